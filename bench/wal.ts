// bench/wal.ts — append throughput of the hand-written WAL (fsync/batch/off) vs lmdb and classic-level,
// plus replay time per GB. Run: npx tsx bench/wal.ts [bigRecords=200] [smallRecords=20000]
import { NoopJournal } from '../src/durability/journal.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { ClassicLevel } from 'classic-level';
import { open as openLmdb } from 'lmdb';
import { silentLogger } from '../src/log.js';
import { WriteAheadLog, type WalRecord } from '../src/durability/wal/write-ahead-log.js';
import { encodeRecord } from '../src/durability/wal/record-codec.js';

const BIG = Number(process.argv[2] ?? 200);
const SMALL = Number(process.argv[3] ?? 20000);
const CONCURRENCY = 32;
const bigBody = new Uint8Array(280 * 1024).map((_, i) => (i * 31) & 0xff);
const bigRecord: WalRecord = { type: 'request', mayClaimTenant: false, tenantId: 't', format: 'protobuf', receivedAtMs: 0, body: bigBody };
const smallRecord: WalRecord = { type: 'written', table: 'spans', batchId: 'batch-000001', upToLsn: 123456 };

type Put = (i: number, value: Uint8Array, record: WalRecord) => Promise<unknown>;
interface Target { name: string; make(dir: string): Promise<{ put: Put; close(): Promise<void> }> }

const targets: Target[] = [
  ...(['fsync', 'batch'] as const).map((durability) => ({
    name: `wal ${durability}`,
    async make(dir: string) {
      const wal = await WriteAheadLog.open({ dir, durability, log: silentLogger() });
      return { put: (_i: number, _v: Uint8Array, r: WalRecord) => wal.append(r), close: () => wal.close() };
    },
  })),
  {
    name: 'wal off (no-op journal)',
    async make() {
      const journal = new NoopJournal();
      return { put: async (_i: number, _v: Uint8Array, r: WalRecord) => journal.log(r), close: () => Promise.resolve() };
    },
  },
  ...([['lmdb sync', false], ['lmdb noSync', true]] as const).map(([name, noSync]) => ({
    name,
    async make(dir: string) {
      const db = openLmdb<Uint8Array, number>({ path: dir, noSync, encoding: 'binary', mapSize: 4 * 1024 ** 3 });
      return { put: (i: number, v: Uint8Array) => db.put(i, v), close: () => db.close() };
    },
  })),
  ...([['classic-level sync', true], ['classic-level nosync', false]] as const).map(([name, sync]) => ({
    name,
    async make(dir: string) {
      const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
      await db.open();
      return { put: (i: number, v: Uint8Array) => db.put(String(i).padStart(12, '0'), v, { sync }), close: () => db.close() };
    },
  })),
];

async function run(target: Target, record: WalRecord, count: number): Promise<{ recPerS: number; mbPerS: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'agt-bench-wal-'));
  try {
    const store = await target.make(dir);
    const value = encodeRecord(record);
    const start = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) await store.put(next++, value, record);
      }),
    );
    await store.close();
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    return { recPerS: count / s, mbPerS: (count * value.length) / s / 1e6 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function replayPerGb(): Promise<{ sPerGb: number; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'agt-bench-wal-replay-'));
  try {
    const wal = await WriteAheadLog.open({ dir, durability: 'batch', log: silentLogger() });
    await Promise.all(Array.from({ length: BIG * 2 }, () => wal.append(bigRecord)));
    await wal.close();
    const again = await WriteAheadLog.open({ dir, durability: 'batch', log: silentLogger() });
    const start = process.hrtime.bigint();
    const report = await again.replay(() => undefined);
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    await again.close();
    return { sPerGb: s / (report.bytes / 1e9), bytes: report.bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows: Record<string, unknown>[] = [];
const table = new Table({ head: ['store', 'record', 'records/s', 'MB/s'] });
for (const [label, record, count] of [['280 KB request', bigRecord, BIG], ['small written', smallRecord, SMALL]] as const) {
  for (const target of targets) {
    const r = await run(target, record, target.name.includes('sync') && !target.name.includes('no') && label.startsWith('small') ? Math.min(count, 2000) : count);
    rows.push({ store: target.name, record: label, ...r });
    table.push([target.name, label, r.recPerS.toFixed(0), r.mbPerS.toFixed(1)]);
  }
}
const replay = await replayPerGb();
console.log(table.toString());
console.log(`replay: ${replay.sPerGb.toFixed(2)} s/GB over ${(replay.bytes / 1e6).toFixed(0)} MB`);
console.log(JSON.stringify({ concurrency: CONCURRENCY, rows, replay }));
