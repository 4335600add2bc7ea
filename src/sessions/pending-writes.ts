/**
 * Writes the store refused (its queue was full) are held here, in order, and retried on each sweep, so a
 * decided session is never lost to back-pressure. Their spans stay accounted against the buffer's memory.
 */
import type { EvalResult } from '../model/span.js';
import type { SessionStore } from '../model/session-store.js';
import { retainedBytes } from './memory.js';
import type { SessionWrite } from '../model/session.js';

/** Names an evals write for the log (see src/store/write-key.ts). */
export interface EvalsTag {
  key: string;
  pinLsn: number;
}

type Held = { kind: 'session'; write: SessionWrite; bytes: number } | { kind: 'evals'; tenantId: string; evals: EvalResult[]; tag: EvalsTag | undefined; bytes: number };

/** An ordered queue of store writes waiting for room. */
export class PendingWrites {
  private readonly store: SessionStore;
  private readonly onRefused: (kind: 'session' | 'evals') => void;
  private readonly held: Held[] = [];
  private heldBytes = 0;

  constructor(p: { store: SessionStore; onRefused: (kind: 'session' | 'evals') => void }) {
    this.store = p.store;
    this.onRefused = p.onRefused;
  }

  /** Writes now, or holds the write when the store refuses (or earlier writes are still held: order matters for versions). */
  write(w: SessionWrite): void {
    let bytes = 0;
    for (const s of w.spans) bytes += retainedBytes(s);
    this.submit({ kind: 'session', write: w, bytes });
  }

  /** Eval results, same rule. */
  writeEvals(tenantId: string, evals: EvalResult[], tag?: EvalsTag): void {
    this.submit({ kind: 'evals', tenantId, evals, tag, bytes: 256 * evals.length });
  }

  /** The oldest log record a held write needs (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const h of this.held) {
      const pin = h.kind === 'session' ? h.write.pinLsn : h.tag?.pinLsn;
      if (pin !== undefined && pin < min) min = pin;
    }
    return min;
  }

  /** Retries held writes in order until the store refuses again. */
  retry(): void {
    while (this.held.length > 0) {
      const h = this.held[0]!;
      if (!this.send(h)) return;
      this.held.shift();
      this.heldBytes -= h.bytes;
    }
  }

  /** Held writes. */
  get size(): number {
    return this.held.length;
  }

  /** Accounted bytes of the held writes. */
  get bytes(): number {
    return this.heldBytes;
  }

  private submit(h: Held): void {
    if (this.held.length === 0 && this.send(h)) return;
    this.onRefused(h.kind);
    this.held.push(h);
    this.heldBytes += h.bytes;
  }

  private send(h: Held): boolean {
    const out = h.kind === 'session' ? this.store.write(h.write) : this.store.writeEvals(h.tenantId, h.evals, h.tag);
    return out.status === 'ok';
  }
}
