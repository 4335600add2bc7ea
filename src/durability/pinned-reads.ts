/**
 * Read-backs of logged records in flight (upgrade backfills of spans and log records, kept spans held lean): each pins
 * the oldest log record it needs until its rows are handed to the store, so checkpoints keep that record, and
 * shutdown and recovery wait for them.
 */
export class PinnedReads {
  private readonly inFlight = new Map<Promise<void>, number>();

  /** Tracks `work` until it settles (it must not reject), pinning `pinLsn`. */
  track(work: Promise<void>, pinLsn: number): void {
    const done = work.finally(() => this.inFlight.delete(done));
    this.inFlight.set(done, pinLsn);
  }

  /** Resolves once every read-back in flight, and any started meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.keys()]);
  }

  /** The oldest log record a read-back in flight needs (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const pin of this.inFlight.values()) if (pin < min) min = pin;
    return min;
  }
}
