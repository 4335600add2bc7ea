import { mkdtemp, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { NoopJournal } from '../../src/durability/journal.js';
import { silentLogger } from '../../src/log.js';
import { WriteAheadLog, type WalRecord } from '../../src/durability/wal/write-ahead-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agt-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const records: WalRecord[] = [
  { type: 'request', tenantId: 't1', mayClaimTenant: false, format: 'protobuf', receivedAtMs: 1700000000000, body: new Uint8Array([0, 1, 2, 255, 0xa9, 0xe7]) },
  { type: 'decision', tenantId: 't1', sessionId: 's1', version: 2, decision: { kept: true, reasons: ['error'], sampleWeight: 1, trigger: 'idle', decidedAtMs: 5 } },
  { type: 'written', table: 'spans', batchId: 'b-1', upToLsn: 42 },
  {
    type: 'eval',
    tenantId: 't1',
    evals: [{ name: 'q', score: 0.5, label: null, explanation: null, target: { sessionId: 's1', traceId: null, spanId: null }, source: 'api', timeUnixNano: 1700000000123456789n }],
  },
];

async function openWal(extra: Partial<Parameters<typeof WriteAheadLog.open>[0]> = {}): Promise<WriteAheadLog> {
  return WriteAheadLog.open({ dir, durability: 'fsync', log: silentLogger(), ...extra });
}

async function replayAll(wal: WriteAheadLog): Promise<{ got: { lsn: number; record: WalRecord }[]; report: Awaited<ReturnType<WriteAheadLog['replay']>> }> {
  const got: { lsn: number; record: WalRecord }[] = [];
  const report = await wal.replay((lsn, record) => {
    got.push({ lsn, record });
  });
  return { got, report };
}

async function appendOk(wal: WriteAheadLog, r: WalRecord): Promise<number> {
  const o = await wal.append(r);
  if (o.status !== 'ok') throw new Error(`append ${o.status}`);
  return o.value.lsn;
}

describe('WriteAheadLog', () => {
  describe('append/replay', () => {
    it('round-trips every record type with increasing LSNs', async () => {
      const wal = await openWal({ registry: new Registry() });
      const lsns: number[] = [];
      for (const r of records) lsns.push(await appendOk(wal, r));
      await wal.close();
      expect(lsns).toEqual([...lsns].sort((a, b) => a - b));
      expect(new Set(lsns).size).toBe(4);
      const again = await openWal();
      const { got, report } = await replayAll(again);
      await again.close();
      expect(got.map((g) => g.lsn)).toEqual(lsns);
      expect(got.map((g) => g.record)).toEqual(records);
      expect(report).toMatchObject({ records: 4, corrupt: 0, tornTail: false });
    });

    it('keeps LSNs increasing across reopen', async () => {
      const a = await openWal();
      const first = await appendOk(a, records[2]!);
      await a.close();
      const b = await openWal();
      const second = await appendOk(b, records[2]!);
      await b.close();
      expect(second).toBeGreaterThan(first);
    });
  });

  describe('group commit', () => {
    it('shares one fsync among many concurrent appends', async () => {
      const wal = await openWal({ groupCommitMs: 5 });
      const outs = await Promise.all(Array.from({ length: 200 }, () => wal.append(records[1]!)));
      expect(outs.every((o) => o.status === 'ok')).toBe(true);
      expect(wal.fsyncCount).toBeLessThanOrEqual(3);
      expect(wal.fsyncCount).toBeGreaterThanOrEqual(1);
      await wal.close();
    });

    it('does not fsync per append in batch mode', async () => {
      const wal = await openWal({ durability: 'batch' });
      for (let i = 0; i < 20; i++) await appendOk(wal, records[2]!);
      expect(wal.fsyncCount).toBeLessThan(20);
      await wal.close();
      const again = await openWal();
      expect((await replayAll(again)).report.records).toBe(20);
      await again.close();
    });
  });

  describe('damage', () => {
    it('reports a torn last record and returns the intact ones', async () => {
      const wal = await openWal();
      for (const r of records) await appendOk(wal, r);
      await wal.close();
      const [seg] = await readdir(dir);
      const path = join(dir, seg!);
      const size = (await readFile(path)).length;
      await truncate(path, size - 5);
      const again = await openWal();
      const { got, report } = await replayAll(again);
      expect(got.map((g) => g.record)).toEqual(records.slice(0, 3));
      expect(report.tornTail).toBe(true);
      expect(report.corrupt).toBe(0);
      // Appending after a torn tail goes to a new segment and replays fine.
      await appendOk(again, records[2]!);
      await again.close();
      const third = await openWal();
      const r3 = await replayAll(third);
      await third.close();
      expect(r3.got.map((g) => g.record)).toEqual([...records.slice(0, 3), records[2]]);
    });

    it('skips a corrupted middle record and resyncs to the records after it', async () => {
      const wal = await openWal();
      const lsns: number[] = [];
      for (const r of records) lsns.push(await appendOk(wal, r));
      await wal.close();
      const [seg] = await readdir(dir);
      const path = join(dir, seg!);
      const buf = await readFile(path);
      buf[lsns[1]! + 20] ^= 0xff; // inside the decision record's payload
      await writeFile(path, buf);
      const again = await openWal({ registry: new Registry() });
      const { got, report } = await replayAll(again);
      await again.close();
      expect(got.map((g) => g.record)).toEqual([records[0], records[2], records[3]]);
      expect(report).toMatchObject({ records: 3, corrupt: 1, tornTail: false });
    });
  });

  describe('segments', () => {
    it('rolls over to a new segment at segmentBytes', async () => {
      const wal = await openWal({ segmentBytes: 200 });
      for (let i = 0; i < 10; i++) await appendOk(wal, records[2]!);
      await wal.close();
      expect((await readdir(dir)).length).toBeGreaterThan(2);
      const again = await openWal();
      expect((await replayAll(again)).report.records).toBe(10);
      await again.close();
    });

    it('refuses requests with retryable AGT_ERR_WAL_FULL at the disk cap, but never control records', async () => {
      const wal = await openWal({ maxDiskBytes: 300 });
      let last;
      for (let i = 0; i < 20; i++) {
        last = await wal.append(records[0]!);
        if (last.status !== 'ok') break;
      }
      expect(last?.status).toBe('retryable');
      if (last?.status === 'retryable') expect(last.error.code).toBe('AGT_ERR_WAL_FULL');
      expect(wal.diskBytes).toBeLessThanOrEqual(300);
      // A decision or a batch confirmation past the cap still goes in: the log must describe what it holds.
      expect((await wal.append(records[1]!)).status).toBe('ok');
      expect((await wal.append(records[2]!)).status).toBe('ok');
      expect(wal.diskBytes).toBeGreaterThan(300);
      await wal.close();
    });

    it('log() gives LSNs in call order at once and readAt() reads records back by LSN', async () => {
      const wal = await openWal();
      const a = wal.log(records[0]!);
      const b = wal.log(records[1]!);
      if (a.status !== 'ok' || b.status !== 'ok') throw new Error('log refused');
      expect(b.value.lsn).toBeGreaterThan(a.value.lsn);
      expect(wal.endLsn).toBeGreaterThan(b.value.lsn);
      expect((await a.value.durable).status).toBe('ok');
      expect((await b.value.durable).status).toBe('ok');
      const back = await wal.readAt([b.value.lsn, a.value.lsn, 999_999]);
      expect(back.map((x) => x.record.type)).toEqual(['request', 'decision']);
      expect(back[0]!.record).toEqual(records[0]);
      await wal.close();
    });

    it('readAt() of a record logged in this tick waits for its write instead of missing it', async () => {
      const wal = await openWal({ groupCommitMs: 50 });
      const a = wal.log(records[0]!);
      if (a.status !== 'ok') throw new Error('log refused');
      // Not durable yet: the group is still gathering for 50 ms.
      const back = await wal.readAt([a.value.lsn]);
      expect(back.map((x) => x.lsn)).toEqual([a.value.lsn]);
      expect(back[0]!.record).toEqual(records[0]);
      await wal.close();
    });

    it('readBodyRanges() reads byte ranges of a logged body (with its metadata) without the whole frame, once written', async () => {
      const wal = await openWal({ groupCommitMs: 50 });
      const body = Uint8Array.from({ length: 40_000 }, (_, i) => i % 251);
      const a = wal.log({ type: 'request', tenantId: 't9', mayClaimTenant: true, format: 'protobuf', receivedAtMs: 1700000000123, body });
      const b = wal.log(records[1]!);
      if (a.status !== 'ok' || b.status !== 'ok') throw new Error('log refused');
      // Out of order, close together, and one past the body's end.
      const got = await wal.readBodyRanges(a.value.lsn, [
        { offset: 30_000, length: 100 },
        { offset: 5, length: 7 },
        { offset: 20, length: 3 },
        { offset: 39_990, length: 20 },
      ]);
      expect(got?.record).toMatchObject({ type: 'request', tenantId: 't9', mayClaimTenant: true, format: 'protobuf', receivedAtMs: 1700000000123 });
      expect(got?.parts.map((p) => (p === null ? null : [...p]))).toEqual([[...body.subarray(30_000, 30_100)], [...body.subarray(5, 12)], [...body.subarray(20, 23)], null]);
      // A record without a body, and an LSN the log does not hold.
      expect(await wal.readBodyRanges(b.value.lsn, [{ offset: 0, length: 1 }])).toBeNull();
      expect(await wal.readBodyRanges(99_999_999, [{ offset: 0, length: 1 }])).toBeNull();
      await wal.close();
    });

    it('readBodyRanges() reads a record whose metadata is longer than the first read, and ranges spread over a large body, joined or alone', async () => {
      const wal = await openWal({ groupCommitMs: 5 });
      const body = Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7) % 253);
      // A tenant id of 3,000 characters: the metadata does not fit in the read that takes the frame header.
      const tenantId = 't'.repeat(3000);
      const a = wal.log({ type: 'request', tenantId, mayClaimTenant: false, format: 'protobuf', receivedAtMs: 1700000000999, body });
      if (a.status !== 'ok') throw new Error('log refused');
      // Ten ranges every 200 KiB (joined, in reads cut at their size bound), one of 600 KiB, one far from the rest.
      const KiB = 1024;
      const ranges = [...Array.from({ length: 10 }, (_, i) => ({ offset: i * 200 * KiB + 3, length: 50 + i })), { offset: 2000 * KiB, length: 600 * KiB }, { offset: 2900 * KiB, length: 77 }];
      const got = await wal.readBodyRanges(a.value.lsn, ranges);
      expect(got?.record).toMatchObject({ type: 'request', tenantId, mayClaimTenant: false, receivedAtMs: 1700000000999 });
      expect(got?.parts.map((p) => (p === null ? null : [...p]))).toEqual(ranges.map((r) => [...body.subarray(r.offset, r.offset + r.length)]));
      await wal.close();
    });

    it('release deletes only closed segments below the LSN and older than retention', async () => {
      const wal = await openWal({ segmentBytes: 150 });
      const lsns: number[] = [];
      for (let i = 0; i < 8; i++) lsns.push(await appendOk(wal, records[2]!));
      const files = (await readdir(dir)).sort();
      expect(files.length).toBeGreaterThan(3);
      expect((await wal.release(lsns[7]!, 60_000)).deletedSegments).toBe(0); // too young
      const old = new Date(Date.now() - 3_600_000);
      for (const f of files) await utimes(join(dir, f), old, old);
      const cut = lsns[4]!;
      const { deletedSegments } = await wal.release(cut, 60_000);
      expect(deletedSegments).toBeGreaterThan(0);
      const left = await readdir(dir);
      for (const f of left) expect(f).toMatch(/\.wal$/);
      const kept: number[] = [];
      await wal.replay((lsn) => {
        kept.push(lsn);
      });
      expect(kept).toContain(cut);
      expect(kept).toContain(lsns[7]);
      expect(kept).not.toContain(lsns[0]);
      await wal.close();
    });
  });

  describe('NoopJournal (durability off)', () => {
    it('writes nothing and reads nothing back', async () => {
      const journal = new NoopJournal();
      const first = journal.log(records[0]!);
      const second = journal.log(records[1]!);
      expect(first.status === 'ok' && second.status === 'ok' && second.value.lsn > first.value.lsn).toBe(true);
      expect(journal.keepsRecords).toBe(false);
      expect(await journal.readBack([1, 2])).toEqual([]);
    });
  });
});
