/**
 * Builds `provider_minutely` rows for one batch: per tenant, minute, provider, model and region, the model calls,
 * their HTTP attempts and the provider's refusals (429 / overload / 5xx), retry-after sent, tokens, and time to first
 * token. Counted exactly once per span, kept or dropped (the same `countUsage` rule as usage_hourly), so
 * Σ Calls and Σ tokens per minute are the load in flight when each refusal happened.
 *
 * Attempts: a model call whose HTTP children are in the same write counts one attempt per child (a client retrying
 * a 429 twice and then succeeding is 3 attempts, 2 refusals, 1 call); a call without HTTP children is one attempt,
 * refused when the call span itself says so. An HTTP span to a known provider host whose parent is not a model call
 * of the write counts as an attempt of that provider (model '').
 */
import { isModelCall } from '../conventions/provider-call.js';
import type { NormalizedSpan } from '../model/span.js';
import type { SessionWrite } from '../model/session.js';
import { bucketStart, inBucket, inKeyOrder, keyPart, RecentRows, type LastRow } from './key-order.js';
import { spanModel } from './span-row.js';

const NS_PER_MINUTE = 60_000_000_000n;

interface Acc {
  tenantId: string;
  minuteS: number;
  provider: string;
  model: string;
  region: string;
  calls: number;
  attempts: number;
  refusals: number;
  rateLimited: number;
  overloaded: number;
  serverErrors: number;
  retryAfterCount: number;
  retryAfterSumMs: number;
  input: number;
  output: number;
  ttftCount: number;
  ttftSumUs: number;
}

/** True for a span that carries an HTTP status (an attempt of some request). */
function isHttpAttempt(span: NormalizedSpan): boolean {
  return span.call.httpStatus !== null;
}

/** Accumulates the provider rollup of a batch of session writes. */
export class ProviderRollup {
  private readonly acc = new Map<string, Acc>();
  /** The rows the last spans went to (key-order.ts). */
  private readonly recent = new RecentRows<LastRow<Acc>>();

  /** Number of distinct rollup rows so far. */
  get size(): number {
    return this.acc.size;
  }

  /** True when the write has anything this rollup counts. */
  static counts(w: SessionWrite): boolean {
    return w.countUsage && w.spans.some((s) => isModelCall(s) || (isHttpAttempt(s) && s.call.hostProvider !== null));
  }

  /** Adds one session write; returns the number of model calls counted. */
  add(w: SessionWrite): number {
    if (!w.countUsage) return 0;
    // One pass: model calls by span id, and the HTTP attempts (most writes have none).
    const calls = new Map<string, NormalizedSpan>();
    let attempts: NormalizedSpan[] | null = null;
    for (const s of w.spans) {
      if (isModelCall(s)) calls.set(s.spanId, s);
      else if (isHttpAttempt(s)) (attempts ??= []).push(s);
    }
    const children = new Map<string, NormalizedSpan[]>();
    for (const s of attempts ?? []) {
      if (calls.has(s.parentSpanId)) {
        const list = children.get(s.parentSpanId);
        if (list === undefined) children.set(s.parentSpanId, [s]);
        else list.push(s);
      } else if (s.call.hostProvider !== null) {
        this.attempt(this.bucket(s, s.call.hostProvider, ''), s);
      }
    }
    for (const c of calls.values()) {
      const a = this.bucket(c, c.genai.provider ?? c.call.hostProvider ?? '', spanModel(c));
      a.calls += 1;
      const u = c.usage;
      if (u !== null) {
        a.input += u.inputTokens;
        a.output += u.outputTokens;
      }
      if (c.call.ttftMs !== null) {
        a.ttftCount += 1;
        a.ttftSumUs += Math.round(c.call.ttftMs * 1000);
      }
      const own = children.get(c.spanId);
      if (own === undefined) this.attempt(a, c);
      else for (const h of own) this.attempt(a, h);
    }
    return calls.size;
  }

  private attempt(a: Acc, s: NormalizedSpan): void {
    a.attempts += 1;
    const kind = s.call.refusal;
    if (kind === null) return;
    a.refusals += 1;
    if (kind === 'rate_limited') a.rateLimited += 1;
    else if (kind === 'overloaded') a.overloaded += 1;
    else a.serverErrors += 1;
    if (s.call.retryAfterMs !== null) {
      a.retryAfterCount += 1;
      a.retryAfterSumMs += s.call.retryAfterMs;
    }
  }

  private bucket(span: NormalizedSpan, provider: string, model: string): Acc {
    const ns = span.startTimeUnixNano;
    const region = span.call.region;
    const recent = this.recent.rows;
    for (let i = 0; i < recent.length; i++) {
      const l = recent[i]!;
      if (!inBucket(l, ns)) continue;
      const a = l.acc;
      if (a.tenantId === span.tenantId && a.provider === provider && a.model === model && a.region === region) return a;
    }
    const minute = ns / NS_PER_MINUTE;
    const minuteS = Number(minute * 60n);
    const key = keyPart(span.tenantId) + keyPart(provider) + keyPart(model) + keyPart(region) + minuteS;
    let a = this.acc.get(key);
    if (a === undefined) {
      a = { tenantId: span.tenantId, minuteS, provider, model, region, calls: 0, attempts: 0, refusals: 0, rateLimited: 0, overloaded: 0, serverErrors: 0, retryAfterCount: 0, retryAfterSumMs: 0, input: 0, output: 0, ttftCount: 0, ttftSumUs: 0 };
      this.acc.set(key, a);
    }
    const fromNs = bucketStart(ns, minute, NS_PER_MINUTE);
    if (fromNs !== null) this.recent.remember({ acc: a, fromNs, toNs: fromNs + NS_PER_MINUTE });
    return a;
  }

  /** The accumulated rows as objects by column, in a stable order (so a rebuilt batch is identical). */
  rows(): Record<string, unknown>[] {
    return inKeyOrder(this.acc.values(), (a) => [a.tenantId, a.minuteS, a.provider, a.model, a.region]).map((a) => ({
        TenantId: a.tenantId,
        Minute: a.minuteS,
        Provider: a.provider,
        Model: a.model,
        Region: a.region,
        Calls: a.calls,
        Attempts: a.attempts,
        Refusals: a.refusals,
        RateLimited: a.rateLimited,
        Overloaded: a.overloaded,
        ServerErrors: a.serverErrors,
        RetryAfterCount: a.retryAfterCount,
        RetryAfterSumMs: a.retryAfterSumMs,
        InputTokens: a.input,
        OutputTokens: a.output,
        TtftCount: a.ttftCount,
        TtftSumUs: a.ttftSumUs,
      }));
  }
}
