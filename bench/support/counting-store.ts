/** A SessionStore that only counts what it is given: the benches measure the stages before ClickHouse with it. */
import type { EvalResult } from '../../src/model/span.js';
import { ok, type Outcome } from '../../src/model/outcome.js';
import type { SessionWrite } from '../../src/model/session.js';
import type { SessionStore } from '../../src/model/session-store.js';

export class CountingStore implements SessionStore {
  writes = 0;
  spans = 0;
  write(w: SessionWrite): Outcome<void> {
    this.writes += 1;
    this.spans += w.spans.length;
    return ok();
  }
  writeEvals(_t: string, _e: EvalResult[]): Outcome<void> {
    return ok();
  }
  hasCapacity(): boolean {
    return true;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A CountingStore that also keeps every session write (benches that replay the writes into the store's stages). */
export class KeepingStore extends CountingStore {
  readonly kept: SessionWrite[] = [];
  override write(w: SessionWrite): Outcome<void> {
    this.kept.push(w);
    return super.write(w);
  }
}
