/**
 * `cache_collapse`: a model (provider + model) whose calls read a cached prefix, then `minMissedCalls` consecutive
 * calls of it read nothing from the cache although their input is at least that prefix. Records the tokens those calls
 * would have read (the prefix, per call, for the whole run of misses) and their extra cost at catalog prices: input
 * price instead of cache-read price. A cache that is cold at the first call and warms up is not a collapse, nor is a
 * dip the cache recovers from (misses, then reads again: an entry that expired and was rewritten).
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import { fired, type Detector, type Finding } from './detector.js';
import { nsToMs, type PriceUsage, type SessionSpans } from './session-spans.js';

type CacheCollapseConfig = DetectorsConfig['cacheCollapse'];

/** The price gap between `tokens` as plain input and as cache reads (or writes), at one call's model's catalog prices (0 when unpriced). */
export function cachePriceGapUsd(price: PriceUsage, call: NormalizedSpan, tokens: number, as: 'read' | 'write'): number {
  const base = { model: call.genai.responseModel ?? call.genai.requestModel, provider: call.genai.provider, atUnixMs: nsToMs(call.startTimeUnixNano) };
  const plain = price({ ...base, usage: { inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } }).costUsd;
  const part = as === 'read' ? { cacheReadTokens: tokens, cacheWriteTokens: 0 } : { cacheReadTokens: 0, cacheWriteTokens: tokens };
  const cached = price({ ...base, usage: { inputTokens: tokens, outputTokens: 0, reasoningTokens: 0, ...part } }).costUsd;
  if (plain === null || cached === null) return 0;
  return Math.abs(plain - cached);
}

/** A collapse in one model's calls: the first call after it, and the calls of the run of misses with the prefix they missed. */
interface Collapse {
  culprit: NormalizedSpan;
  missed: { call: NormalizedSpan; prefix: number }[];
}

export class CacheCollapseDetector implements Detector {
  readonly reason = 'cache_collapse' as const;
  constructor(private readonly config: CacheCollapseConfig) {}

  detect(session: SessionSpans): Finding | null {
    let collapses: Collapse[] | null = null;
    for (const calls of session.modelGroups) {
      const c = this.inModel(calls);
      if (c !== null) (collapses ??= []).push(c);
    }
    if (collapses === null) return null;
    let missed = 0;
    let extra = 0;
    for (const c of collapses) {
      for (const m of c.missed) {
        missed += m.prefix;
        extra += cachePriceGapUsd(session.priceUsage, m.call, m.prefix, 'read');
      }
    }
    return fired(this.reason, collapses.map((c) => c.culprit.spanId), { cacheMissedTokens: missed, cacheCollapseExtraUsd: extra });
  }

  /**
   * The collapse among one model's calls (start order): the runs of misses that reached the threshold after the last
   * call that read the cache, with every miss of them. A run that the cache recovers from (a later call reads it again)
   * is a dip — a cache entry that expired and was written again — not a collapse.
   */
  private inModel(calls: readonly NormalizedSpan[]): Collapse | null {
    const min = this.config.minMissedCalls;
    let prefix = 0;
    let runStart = -1;
    let out: Collapse | null = null;
    for (let i = 0; i < calls.length; i++) {
      const u = calls[i]!.usage;
      if (u === null) continue;
      if (u.cacheReadTokens > 0) {
        if (u.cacheReadTokens > prefix) prefix = u.cacheReadTokens;
        runStart = -1;
        // Recovered: the misses before this read were a dip.
        out = null;
        continue;
      }
      // A miss counts only after a prefix was read, and only when the call sent at least that prefix.
      if (prefix === 0 || u.inputTokens < prefix) {
        runStart = -1;
        continue;
      }
      if (runStart < 0) runStart = i;
      const run = i - runStart + 1;
      if (run < min) continue;
      out ??= { culprit: calls[runStart]!, missed: [] };
      if (run === min) for (let j = runStart; j <= i; j++) out.missed.push({ call: calls[j]!, prefix });
      else out.missed.push({ call: calls[i]!, prefix });
    }
    return out;
  }
}
