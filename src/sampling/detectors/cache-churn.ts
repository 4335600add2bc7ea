/**
 * `cache_churn`: a model (provider + model) whose calls write the prompt cache `minWriteCalls` times or more and never
 * read it — a cache key that changes every call (a timestamp in the system prompt, tools reordered). Records what the
 * writes cost above plain input at catalog prices (cache writes are priced above input by the providers that charge them).
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import { cachePriceGapUsd } from './cache-collapse.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';

type CacheChurnConfig = DetectorsConfig['cacheChurn'];

export class CacheChurnDetector implements Detector {
  readonly reason = 'cache_churn' as const;
  constructor(private readonly config: CacheChurnConfig) {}

  detect(session: SessionSpans): Finding | null {
    if (session.modelCalls.length < this.config.minWriteCalls) return null;
    let churned: NormalizedSpan[][] | null = null;
    for (const calls of session.modelGroups) {
      const writes = this.churnIn(calls);
      if (writes !== null) (churned ??= []).push(writes);
    }
    if (churned === null) return null;
    let extra = 0;
    for (const writes of churned) for (const c of writes) extra += cachePriceGapUsd(session.priceUsage, c, c.usage!.cacheWriteTokens, 'write');
    return fired(this.reason, churned.map((w) => w[0]!.spanId), { cacheChurnExtraUsd: extra });
  }

  /** One model's cache-writing calls when there are enough of them and no call read the cache, else null. */
  private churnIn(calls: readonly NormalizedSpan[]): NormalizedSpan[] | null {
    let writes = 0;
    for (const c of calls) {
      const u = c.usage;
      if (u === null) continue;
      if (u.cacheReadTokens > 0) return null;
      if (u.cacheWriteTokens > 0) writes++;
    }
    if (writes < this.config.minWriteCalls) return null;
    return calls.filter((c) => (c.usage?.cacheWriteTokens ?? 0) > 0);
  }
}
