/**
 * The sizing bench's measurements (bench/sizing.ts prints them): per-stage CPU, memory per buffered span and per
 * decision, the write-ahead log's and ClickHouse's disk, and the machine they ran on. The chDB data directory is a
 * temp dir opened once per process (chDB binds one per process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { storeSchema } from '../../src/config/store.js';
import { silentLogger } from '../../src/log.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { FreshBodies } from '../support/export-traffic.js';
import { clickHouseDisk } from './clickhouse-disk.js';
import { memoryRun } from './memory.js';
import { stageRound, stageSummary, type StageSample } from './stages.js';

/** Sizes of one sizing run. */
export interface SizingParams {
  /** ~500-span requests per stage round. */
  requests: number;
  /** Stage rounds (each on fresh sessions; the median is reported), after one warm-up round. */
  rounds: number;
  /** ~500-span requests buffered in each memory run (whole spans, then lean). */
  memoryRequests: number;
}

/** The machine the figures come from. */
export function machine() {
  const [load1, load5, load15] = loadavg();
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    load: [load1!, load5!, load15!],
    node: process.version,
  };
}

/** Measures everything the sizing table needs. */
export async function runSizing(p: SizingParams) {
  const before = machine();
  const chDir = mkdtempSync(join(tmpdir(), 'agt-sizing-ch-'));
  const config = storeSchema.parse({ kind: 'embedded', path: chDir });
  const store = await ClickHouseStore.open({ config, log: silentLogger() });
  try {
    const traffic = new FreshBodies(p.requests);
    const warmUp = await stageRound(new FreshBodies(Math.min(p.requests, 16)), store);
    const rounds: StageSample[][] = [];
    for (let r = 0; r < p.rounds; r++) rounds.push(await stageRound(traffic, store));
    const disk = await clickHouseDisk(store, config.database);
    const memTraffic = new FreshBodies(p.memoryRequests);
    const memory = [await memoryRun(memTraffic, false), await memoryRun(memTraffic, true)];
    // Every round's spans went to the store, the warm-up's too.
    const ingested = [warmUp, ...rounds].reduce((n, r) => n + r[0]!.spans, 0);
    return { params: p, machine: { ...before, loadAfter: machine().load }, stages: stageSummary(rounds), memory, clickhouse: { ...disk, spansIngested: ingested } };
  } finally {
    await store.shutdown();
    rmSync(chDir, { recursive: true, force: true });
  }
}

/** What runSizing returns. */
export type SizingResult = Awaited<ReturnType<typeof runSizing>>;
