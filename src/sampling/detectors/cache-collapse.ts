/**
 * `cache_collapse`: a model (provider + model) whose calls read a cached prefix, then `minMissedCalls` consecutive
 * calls of it read nothing from the cache although their input is at least that prefix. Records the tokens those calls
 * would have read (the prefix, per call, for the whole run of misses) and their extra cost at catalog prices: input
 * price instead of cache-read price. A cache that is cold at the first call and warms up is not a collapse.
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../conventions/types.js';
import { fired, type Detector, type Finding } from './detector.js';
import { modelKey, nsToMs, type PriceUsage, type SessionSpans } from './session-spans.js';

type CacheCollapseConfig = DetectorsConfig['cacheCollapse'];

interface ModelState {
  prefix: number;
  misses: NormalizedSpan[];
  missedTokens: number;
  extraUsd: number;
  collapsed: boolean;
  culprit: string | null;
}

/** The price gap between `tokens` as plain input and as cache reads (or writes), at one call's model's catalog prices (0 when unpriced). */
export function cachePriceGapUsd(price: PriceUsage, call: NormalizedSpan, tokens: number, as: 'read' | 'write'): number {
  const base = { model: call.genai.responseModel ?? call.genai.requestModel, provider: call.genai.provider, atUnixMs: nsToMs(call.startTimeUnixNano) };
  const plain = price({ ...base, usage: { inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } }).costUsd;
  const part = as === 'read' ? { cacheReadTokens: tokens, cacheWriteTokens: 0 } : { cacheReadTokens: 0, cacheWriteTokens: tokens };
  const cached = price({ ...base, usage: { inputTokens: tokens, outputTokens: 0, reasoningTokens: 0, ...part } }).costUsd;
  if (plain === null || cached === null) return 0;
  return Math.abs(plain - cached);
}

export class CacheCollapseDetector implements Detector {
  readonly reason = 'cache_collapse' as const;
  constructor(private readonly config: CacheCollapseConfig) {}

  detect(session: SessionSpans): Finding | null {
    let states: Map<string, ModelState> | null = null;
    for (const c of session.modelCalls) {
      const u = c.usage;
      if (u === null) continue;
      if (states === null) {
        // Most sessions never read the cache: no state until a call does.
        if (u.cacheReadTokens === 0) continue;
        states = new Map();
      }
      const key = modelKey(c);
      let s = states.get(key);
      if (s === undefined) {
        if (u.cacheReadTokens === 0) continue;
        s = { prefix: 0, misses: [], missedTokens: 0, extraUsd: 0, collapsed: false, culprit: null };
        states.set(key, s);
      }
      if (u.cacheReadTokens > 0) {
        s.prefix = Math.max(s.prefix, u.cacheReadTokens);
        s.misses = [];
        continue;
      }
      if (u.inputTokens < s.prefix) {
        s.misses = [];
        continue;
      }
      s.misses.push(c);
      if (s.misses.length === this.config.minMissedCalls) {
        s.collapsed = true;
        s.culprit ??= s.misses[0]!.spanId;
        for (const m of s.misses) this.count(session, s, m);
      } else if (s.misses.length > this.config.minMissedCalls) {
        this.count(session, s, c);
      }
    }
    if (states === null) return null;
    let missed = 0;
    let extra = 0;
    const culprits: string[] = [];
    for (const s of states.values()) {
      if (!s.collapsed) continue;
      missed += s.missedTokens;
      extra += s.extraUsd;
      culprits.push(s.culprit!);
    }
    return culprits.length === 0 ? null : fired(this.reason, culprits, { cacheMissedTokens: missed, cacheCollapseExtraUsd: extra });
  }

  private count(session: SessionSpans, s: ModelState, call: NormalizedSpan): void {
    s.missedTokens += s.prefix;
    s.extraUsd += cachePriceGapUsd(session.priceUsage, call, s.prefix, 'read');
  }
}
