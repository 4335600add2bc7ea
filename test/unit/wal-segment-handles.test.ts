import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentHandles } from '../../src/durability/wal/segment-handles.js';
import { ReadScratch, RecordHeads, type RecordHead } from '../../src/durability/wal/segment-read.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agt-wal-handles-'));
  for (const name of ['a.wal', 'b.wal', 'c.wal', 'd.wal', 'e.wal']) await writeFile(join(dir, name), name);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The handle a use() ran with, and what it read. */
async function handleOf(h: SegmentHandles, name: string): Promise<{ handle: FileHandle; text: string }> {
  const got = await h.use(name, async (handle) => {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await handle.read(buf, 0, 5, 0);
    return { handle, text: buf.subarray(0, bytesRead).toString() };
  });
  if (got === null) throw new Error(`${name} did not open`);
  return got;
}

describe('SegmentHandles', () => {
  describe('use', () => {
    it('keeps one open handle per segment for the reads that follow', async () => {
      const h = new SegmentHandles(dir);
      const first = await handleOf(h, 'a.wal');
      const second = await handleOf(h, 'a.wal');
      expect(second.handle).toBe(first.handle);
      expect(first.handle.fd).toBeGreaterThanOrEqual(0);
      expect(second.text).toBe('a.wal');
      await h.closeAll();
      expect(first.handle.fd).toBe(-1);
    });

    it('answers null for a segment file that is gone', async () => {
      const h = new SegmentHandles(dir);
      expect(await h.use('missing.wal', () => Promise.resolve(1))).toBeNull();
    });

    it('closes the oldest idle handle past four open segments', async () => {
      const h = new SegmentHandles(dir);
      const a = await handleOf(h, 'a.wal');
      for (const name of ['b.wal', 'c.wal', 'd.wal']) await handleOf(h, name);
      expect(a.handle.fd).toBeGreaterThanOrEqual(0);
      const e = await handleOf(h, 'e.wal');
      await new Promise((r) => setImmediate(r));
      expect(a.handle.fd).toBe(-1);
      expect(e.text).toBe('e.wal');
      // The closed one opens again when read.
      expect((await handleOf(h, 'a.wal')).text).toBe('a.wal');
      await h.closeAll();
    });
  });

  describe('drop', () => {
    it('closes a dropped segment’s handle once the read using it is done, not before', async () => {
      const h = new SegmentHandles(dir);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: { handle: FileHandle | null } = { handle: null };
      const reading = h.use('a.wal', async (handle) => {
        seen.handle = handle;
        await gate;
        const buf = Buffer.alloc(5);
        await handle.read(buf, 0, 5, 0);
        return buf.toString();
      });
      while (seen.handle === null) await new Promise((r) => setImmediate(r));
      await h.drop('a.wal');
      expect(seen.handle.fd).toBeGreaterThanOrEqual(0);
      release();
      expect(await reading).toBe('a.wal');
      expect(seen.handle.fd).toBe(-1);
      // A later read opens the file again.
      const again = await handleOf(h, 'a.wal');
      expect(again.handle).not.toBe(seen.handle);
      await h.closeAll();
    });
  });
});

describe('ReadScratch', () => {
  it('hands out at most two buffers; a third taker waits for one given back', async () => {
    const s = new ReadScratch();
    const a = await s.take();
    const b = await s.take();
    expect(a).not.toBe(b);
    let third: Buffer | null = null;
    const waiting = s.take().then((x) => (third = x));
    await new Promise((r) => setImmediate(r));
    expect(third).toBeNull();
    s.give(b);
    await waiting;
    expect(third).toBe(b);
    s.give(a);
    expect(await s.take()).toBe(a);
  });
});

describe('RecordHeads', () => {
  const head = (bodyAt: number): RecordHead => ({ record: { type: 'checkpoint', upToLsn: 0 }, bodyAt, bodyLen: 10 });

  it('reads a record’s head once for the read-backs that follow, a read in flight included', async () => {
    const heads = new RecordHeads();
    let reads = 0;
    const read = (): Promise<RecordHead | null> => {
      reads++;
      return Promise.resolve(head(7));
    };
    const [a, b] = await Promise.all([heads.of(100, read), heads.of(100, read)]);
    expect(await heads.of(100, read)).toBe(a);
    expect(b).toBe(a);
    expect(reads).toBe(1);
  });

  it('does not remember a record not found (its segment may not be written yet), nor a failed read', async () => {
    const heads = new RecordHeads();
    expect(await heads.of(5, () => Promise.resolve(null))).toBeNull();
    expect(await heads.of(6, () => Promise.reject(new Error('EIO')))).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(await heads.of(5, () => Promise.resolve(head(1)))).toEqual(head(1));
    expect(await heads.of(6, () => Promise.resolve(head(2)))).toEqual(head(2));
  });

  it('holds at most 256 heads, dropping the oldest', async () => {
    const heads = new RecordHeads();
    for (let lsn = 0; lsn < 300; lsn++) await heads.of(lsn, () => Promise.resolve(head(lsn)));
    let reads = 0;
    const read = (): Promise<RecordHead | null> => {
      reads++;
      return Promise.resolve(head(-1));
    };
    expect((await heads.of(299, read))?.bodyAt).toBe(299);
    expect((await heads.of(0, read))?.bodyAt).toBe(-1);
    expect(reads).toBe(1);
  });
});
