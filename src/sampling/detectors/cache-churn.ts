/**
 * `cache_churn`: a model (provider + model) whose calls write the prompt cache `minWriteCalls` times or more and never
 * read it — a cache key that changes every call (a timestamp in the system prompt, tools reordered). Records what the
 * writes cost above plain input at catalog prices (cache writes are priced above input by the providers that charge them).
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../conventions/types.js';
import { cachePriceGapUsd } from './cache-collapse.js';
import { fired, type Detector, type Finding } from './detector.js';
import { modelKey, type SessionSpans } from './session-spans.js';

type CacheChurnConfig = DetectorsConfig['cacheChurn'];

export class CacheChurnDetector implements Detector {
  readonly reason = 'cache_churn' as const;
  constructor(private readonly config: CacheChurnConfig) {}

  detect(session: SessionSpans): Finding | null {
    let writes: Map<string, NormalizedSpan[]> | null = null;
    const reads = new Set<string>();
    for (const c of session.modelCalls) {
      const u = c.usage;
      if (u === null) continue;
      if (u.cacheReadTokens > 0) reads.add(modelKey(c));
      if (u.cacheWriteTokens === 0) continue;
      writes ??= new Map();
      const key = modelKey(c);
      const list = writes.get(key);
      if (list === undefined) writes.set(key, [c]);
      else list.push(c);
    }
    if (writes === null) return null;
    const culprits: string[] = [];
    let extra = 0;
    for (const [key, calls] of writes) {
      if (calls.length < this.config.minWriteCalls || reads.has(key)) continue;
      culprits.push(calls[0]!.spanId);
      for (const c of calls) extra += cachePriceGapUsd(session.priceUsage, c, c.usage!.cacheWriteTokens, 'write');
    }
    return culprits.length === 0 ? null : fired(this.reason, culprits, { cacheChurnExtraUsd: extra });
  }
}
