/** Builders for the session buffer tests (not a test file): spans, a fake store, a wired buffer. */
import { Registry } from 'prom-client';
import { sessionsSchema, type SessionsConfig } from '../../src/config/sessions.js';
import { samplingSchema } from '../../src/config/sampling.js';
import type { EvalResult, NormalizedSpan } from '../../src/model/span.js';
import { AgtError } from '../../src/model/errors.js';
import { silentLogger } from '../../src/log.js';
import { ok, retryable, type Outcome } from '../../src/model/outcome.js';
import { DecisionCache } from '../../src/sampling/decision-cache.js';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { SessionBuffer } from '../../src/sessions/session-buffer.js';
import type { SessionWrite } from '../../src/model/session.js';
import type { SessionStore } from '../../src/model/session-store.js';
import { span as baseSpan } from './sampling-fixtures.js';

export const T0 = 1_700_000_000_000_000_000n;

/** A trace id made of one repeated hex digit pair (`trace(1)` → '01' × 16). */
export function trace(n: number): string {
  return n.toString(16).padStart(2, '0').repeat(16);
}

/** A span id (`sid(1)` → '01' × 8). */
export function sid(n: number): string {
  return n.toString(16).padStart(2, '0').repeat(8);
}

/** A normalized span with sensible defaults (a root span of trace(1)). */
export function span(over: Partial<NormalizedSpan> = {}): NormalizedSpan {
  // The sampling fixtures' span with this file's defaults (same T0).
  return baseSpan({ tenantId: 't1', traceId: trace(1), spanId: sid(1), name: 'invoke_agent', kind: 1, wireBytes: 300, ...over });
}

/** An eval result. */
export function evalResult(over: Partial<EvalResult> & { target: EvalResult['target'] }): EvalResult {
  return { name: 'faithfulness', score: 0.9, label: null, explanation: null, source: 'api', timeUnixNano: T0, ...over };
}

/** An in-memory SessionStore recording every write; `full` makes it refuse retryably. */
export class FakeStore implements SessionStore {
  readonly writes: SessionWrite[] = [];
  readonly evals: { tenantId: string; evals: EvalResult[] }[] = [];
  full = false;
  flushes = 0;

  write(w: SessionWrite): Outcome<void> {
    if (this.full) return retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'full'), 100);
    this.writes.push(w);
    return ok();
  }

  writeEvals(tenantId: string, evals: EvalResult[]): Outcome<void> {
    if (this.full) return retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'full'), 100);
    this.evals.push({ tenantId, evals });
    return ok();
  }

  hasCapacity(): boolean {
    return true;
  }

  forceFlush(): Promise<void> {
    this.flushes += 1;
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Writes of one session, in order. */
  of(sessionId: string, tenantId = 't1'): SessionWrite[] {
    return this.writes.filter((w) => w.summary.sessionId === sessionId && w.summary.tenantId === tenantId);
  }
}

/** A buffer wired to the real DecisionEngine and DecisionCache, a fake store and an injected clock. */
export function harness(opts: { sessions?: Partial<SessionsConfig>; keepAll?: boolean; rarePath?: boolean } = {}) {
  const clock = { ms: 1_700_000_000_000 };
  const now = (): number => clock.ms;
  const registry = new Registry();
  // Only the error, low-eval and baseline policies vote, so outcomes are certain: baseline 1 keeps all, 0 drops.
  const sampling = samplingSchema.parse({
    baselineRate: opts.keepAll === true ? 1 : 0,
    policies: { rarePath: { enabled: opts.rarePath === true }, costOutlier: { enabled: false }, latency: { enabled: false } },
    budget: { enabled: false },
  });
  const engine = new DecisionEngine({ config: sampling, now });
  const cache = new DecisionCache({ ttlMs: 60 * 60_000, maxEntries: 10_000, now });
  const store = new FakeStore();
  const config = sessionsSchema.parse({ idleTimeoutMs: 5_000, maxSessionAgeMs: 60_000, ...opts.sessions });
  const buffer = new SessionBuffer({ config, engine, cache, store, registry, log: silentLogger(), now });
  const advance = (ms: number): void => {
    clock.ms += ms;
    buffer.sweep();
  };
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const m = await registry.getSingleMetric(name)?.get();
    const match = (v: { labels: Record<string, unknown> }): boolean => Object.entries(labels).every(([k, x]) => v.labels[k] === x);
    return (m?.values ?? []).filter(match).reduce((a, v) => a + v.value, 0);
  };
  return { buffer, store, cache, engine, clock, advance, registry, metric, config };
}
