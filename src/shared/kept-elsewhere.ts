/** Sessions other instances kept, held so this instance follows them when it decides its own part (bounded LRU + TTL). */
import { LRUCache } from 'lru-cache';
import type { KeptElsewhere } from '../sampling/engine.js';

/** The engine's view of other instances' kept decisions; `onFollowed` counts each session it made kept. */
export class KeptElsewhereMap implements KeptElsewhere {
  private readonly weights: LRUCache<string, number>;

  constructor(private readonly p: { maxEntries: number; ttlMs: number; onFollowed: () => void }) {
    this.weights = new LRUCache({ max: p.maxEntries, ttl: p.ttlMs });
  }

  /** Remembers that another instance kept the session with `sampleWeight`. */
  set(tenantId: string, sessionId: string, sampleWeight: number): void {
    this.weights.set(`${tenantId}\u0000${sessionId}`, sampleWeight);
  }

  weightOf(tenantId: string, sessionId: string): number | undefined {
    const w = this.weights.get(`${tenantId}\u0000${sessionId}`);
    if (w !== undefined) this.p.onFollowed();
    return w;
  }
}
