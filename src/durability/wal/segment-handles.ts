/**
 * Read handles of the log's segment files, kept open between read-backs (a kept session's spans, held lean, are read
 * back from the request records of the last seconds: the same one or two segments, many times a second). Every file
 * operation is a hand-off to the thread pool that costs the main thread about as much as a read (~10–50 µs on the
 * 2-core bench machine, whatever the size): an open and a close around each read-back were half of its operations.
 * A deleted segment's handle is closed once no read uses it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Handles kept open at most: the segment being written and the ones before it that read-backs still reach. */
const MAX_OPEN = 4;

interface Entry {
  handle: Promise<FileHandle>;
  users: number;
  /** Forgotten (segment deleted, evicted, the log closing): closed when its last user is done. */
  dropped: boolean;
}

/** Open read handles by segment file name. */
export class SegmentHandles {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly dir: string) {}

  /** Runs `read` with a read handle of the segment file `name`; null when the file cannot be opened. */
  async use<T>(name: string, read: (handle: FileHandle) => Promise<T>): Promise<T | null> {
    let e = this.entries.get(name);
    if (e === undefined) {
      this.evictIdle();
      e = { handle: open(join(this.dir, name), 'r'), users: 0, dropped: false };
      this.entries.set(name, e);
    }
    e.users++;
    let handle: FileHandle;
    try {
      handle = await e.handle;
    } catch {
      e.users--;
      if (this.entries.get(name) === e) this.entries.delete(name);
      return null;
    }
    try {
      return await read(handle);
    } finally {
      e.users--;
      if (e.dropped && e.users === 0) await handle.close().catch(() => undefined);
    }
  }

  /** The segment file `name` is deleted: its handle is closed (after the reads using it). */
  drop(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (e === undefined) return Promise.resolve();
    this.entries.delete(name);
    return this.forget(e);
  }

  /** Closes every handle (after the reads using them). */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.forget(e)));
  }

  /** Past MAX_OPEN, the oldest handles no read uses are closed. */
  private evictIdle(): void {
    for (const [name, e] of this.entries) {
      if (this.entries.size < MAX_OPEN) return;
      if (e.users > 0) continue;
      this.entries.delete(name);
      void this.forget(e);
    }
  }

  private async forget(e: Entry): Promise<void> {
    e.dropped = true;
    if (e.users > 0) return;
    const handle = await e.handle.catch(() => null);
    await handle?.close().catch(() => undefined);
  }
}
