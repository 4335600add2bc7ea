/** Builds `usage_hourly` rows for one batch: exact sums of the call spans' usage and cost. */
import { endpointOf } from '../conventions/provider-call.js';
import type { NormalizedSpan } from '../model/span.js';
import type { SessionWrite } from '../model/session.js';
import { addCostUnits, unitSum, unitSumUnits, unitsCell, type UnitSum } from './cell-format.js';
import { bucketStart, inBucket, inKeyOrder, keyPart, RecentRows, type LastRow } from './key-order.js';
import { spanModel } from './span-row.js';

const NS_PER_HOUR = 3_600_000_000_000n;

interface Acc {
  tenantId: string;
  hourS: number;
  service: string;
  agent: string;
  provider: string;
  /** The catalog's canonical model; `rawModel` is the name as the span reported it. */
  model: string;
  rawModel: string;
  region: string;
  endpoint: string;
  calls: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  costUnits: UnitSum;
  unpriced: number;
  reported: number;
  sessions: number;
  modelSessions: number;
  incompleteCalls: number;
  cacheUnreportedTokens: number;
  overstatedUnits: UnitSum;
}

/** True for the write that counts its session in `Sessions`: the session's first write (version 0 or 1). */
export function isFirstWrite(w: SessionWrite): boolean {
  return w.version <= 1;
}

/** The canonical model a call span is grouped under (the pricing stage's catalog name, else the reported name). */
export function rollupModel(span: NormalizedSpan): string {
  return span.cost.catalogModel ?? spanModel(span);
}

/**
 * Accumulates the rollup of a batch of session writes. Only `call` spans of writes with `countUsage`
 * count (aggregates repeat their children). Costs are summed as integer units of 1e-12 USD, so
 * the rows are exactly the sum of what `spans.CostUsd` stores. `Sessions` counts a session once, in the
 * row of its earliest call of its first write; `ModelSessions` once per canonical model it called, in the
 * row of its earliest call of that model in the write that first called it (docs/storage.md).
 */
export class UsageRollup {
  private readonly acc = new Map<string, Acc>();
  /** The rows the last calls went to, with the hour and the endpoint's parts each stands for. */
  private readonly recent = new RecentRows<LastRow<Acc> & { address: string; port: number }>();

  /** Number of distinct rollup rows so far. */
  get size(): number {
    return this.acc.size;
  }

  /**
   * True when the write counts in this rollup: it has call spans, or is a session's first (the hash of a rollup batch
   * covers its writes' keys: two batches can sum to identical rows).
   */
  static counts(w: SessionWrite): boolean {
    return w.countUsage && (isFirstWrite(w) || w.spans.some((x) => x.usageRole === 'call'));
  }

  /** Adds one session write; returns the number of call spans counted. */
  add(w: SessionWrite): number {
    if (!w.countUsage) return 0;
    const loneAgent = w.summary.agentNames.length === 1 ? w.summary.agentNames[0]! : '';
    let first: Acc | null = null;
    let firstStart = 0n;
    let counted = 0;
    // null: every model this write calls is new to the session (its first write).
    const fresh = w.newCallModels !== undefined ? new Set(w.newCallModels) : isFirstWrite(w) ? null : new Set<string>();
    const firstOfModel = new Map<string, { a: Acc; start: bigint }>();
    for (const span of w.spans) {
      if (span.usageRole !== 'call') continue;
      const a = this.bucket(span, loneAgent);
      const u = span.usage;
      a.calls += 1;
      if (u !== null) {
        a.input += u.inputTokens;
        a.output += u.outputTokens;
        a.cacheRead += u.cacheReadTokens;
        a.cacheWrite += u.cacheWriteTokens;
        a.reasoning += u.reasoningTokens;
      }
      if (span.cost.costUsd === null) a.unpriced += 1;
      else addCostUnits(a.costUnits, span.cost.costUsd);
      if (span.cost.source === 'reported' && span.cost.costUsd !== null) a.reported += 1;
      if (span.cost.usageIncomplete !== undefined) {
        a.incompleteCalls += 1;
        a.cacheUnreportedTokens += span.cost.cacheUnreportedInputTokens ?? 0;
        addCostUnits(a.overstatedUnits, span.cost.overstatedUpToUsd ?? 0);
      }
      const earliest = firstOfModel.get(a.model);
      if (earliest === undefined || span.startTimeUnixNano < earliest.start) firstOfModel.set(a.model, { a, start: span.startTimeUnixNano });
      if (first === null || span.startTimeUnixNano < firstStart) {
        first = a;
        firstStart = span.startTimeUnixNano;
      }
      counted += 1;
    }
    if (first !== null && isFirstWrite(w)) first.sessions += 1;
    for (const [model, { a }] of firstOfModel) if (fresh === null || fresh.has(model)) a.modelSessions += 1;
    return counted;
  }

  private bucket(span: NormalizedSpan, loneAgent: string): Acc {
    const ns = span.startTimeUnixNano;
    const agent = span.genai.agentName ?? loneAgent;
    const provider = span.genai.provider ?? '';
    const rawModel = spanModel(span);
    const model = rollupModel(span);
    const { region, serverAddress, serverPort } = span.call;
    // Calls of a session mostly share a few rows: those are compared field by field before any key is built.
    const recent = this.recent.rows;
    for (let i = 0; i < recent.length; i++) {
      const l = recent[i]!;
      if (!inBucket(l, ns) || l.address !== serverAddress || l.port !== serverPort) continue;
      const a = l.acc;
      if (a.tenantId === span.tenantId && a.service === span.serviceName && a.agent === agent && a.provider === provider && a.model === model && a.rawModel === rawModel && a.region === region) return a;
    }
    const hour = ns / NS_PER_HOUR;
    const hourS = Number(hour * 3600n);
    // Region and endpoint are part of the key (migration 010 adds them to the SummingMergeTree ORDER BY).
    const endpoint = endpointOf(span.call);
    const key = keyPart(span.tenantId) + keyPart(span.serviceName) + keyPart(agent) + keyPart(provider) + keyPart(model) + keyPart(rawModel) + keyPart(region) + keyPart(endpoint) + hourS;
    let a = this.acc.get(key);
    if (a === undefined) {
      a = {
        tenantId: span.tenantId,
        hourS,
        service: span.serviceName,
        agent,
        provider,
        model,
        rawModel,
        region,
        endpoint,
        calls: 0,
        input: 0,
        output: 0,
        cacheRead: 0,
        cacheWrite: 0,
        reasoning: 0,
        costUnits: unitSum(),
        unpriced: 0,
        reported: 0,
        sessions: 0,
        modelSessions: 0,
        incompleteCalls: 0,
        cacheUnreportedTokens: 0,
        overstatedUnits: unitSum(),
      };
      this.acc.set(key, a);
    }
    const fromNs = bucketStart(ns, hour, NS_PER_HOUR);
    if (fromNs !== null) this.recent.remember({ acc: a, fromNs, toNs: fromNs + NS_PER_HOUR, address: serverAddress, port: serverPort });
    return a;
  }

  /** The accumulated rows as objects by column, in a stable order (so a rebuilt batch is identical). */
  rows(): Record<string, unknown>[] {
    return inKeyOrder(this.acc.values(), (a) => [a.tenantId, a.hourS, a.service, a.agent, a.provider, a.model, a.rawModel, a.region, a.endpoint]).map((a) => ({
        TenantId: a.tenantId,
        Hour: a.hourS,
        ServiceName: a.service,
        AgentName: a.agent,
        Provider: a.provider,
        Model: a.model,
        RawModel: a.rawModel,
        Region: a.region,
        Endpoint: a.endpoint,
        Calls: a.calls,
        InputTokens: a.input,
        OutputTokens: a.output,
        CacheReadTokens: a.cacheRead,
        CacheWriteTokens: a.cacheWrite,
        ReasoningTokens: a.reasoning,
        CostUsd: unitsCell(unitSumUnits(a.costUnits)),
        UnpricedCalls: a.unpriced,
        ReportedCalls: a.reported,
        Sessions: a.sessions,
        ModelSessions: a.modelSessions,
        UsageIncompleteCalls: a.incompleteCalls,
        CacheUnreportedInputTokens: a.cacheUnreportedTokens,
        CostOverstatedUpToUsd: unitsCell(unitSumUnits(a.overstatedUnits)),
      }));
  }
}
