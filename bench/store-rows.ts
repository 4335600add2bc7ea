/**
 * The store's main-thread work per session write, without ClickHouse: the e2e traffic (bench/e2e/requests.ts) through
 * the production ingest path with sessions decided (a store that keeps the writes), then the captured writes, in
 * batches of 500, through what ClickHouseStore.write does with them before an insert: `rows` — sessionTableRows and
 * one JSON line per row; `rollups` — UsageRollup and ProviderRollup add, then their rows as JSON lines. Reports ns per
 * span ingested (every span counts in the rollups; kept spans only get rows), the best of the rounds.
 * Baseline in the same run: a loop that reads every span of every write once.
 * Time is CPU time (process.cpuUsage), not wall time: on a shared 2-core machine the wall time of the same round
 * moved 2x with the load (rows 1.9-5.0 µs per span in four runs). Each case starts after a forced GC and a pause, so
 * its figure holds no GC work left over from the case before (the sweep runs on helper threads after gc()).
 * Run: node --expose-gc --import tsx bench/store-rows.ts [requests] [rounds]
 */
import Table from 'cli-table3';
import { ProviderRollup } from '../src/store/provider-rollup.js';
import { sessionTableRows } from '../src/store/session-rows.js';
import { UsageRollup } from '../src/store/usage-rollup.js';
import { decidedWrites } from './support/ingest-pipeline.js';

const REQUESTS = Number(process.argv[2] ?? 120);
const ROUNDS = Number(process.argv[3] ?? 7);
const BATCH = 500;

const { writes, spans } = await decidedWrites(REQUESTS, { baselineRate: 0.04, budget: { enabled: false } });

let sink = 0;
const cases: Record<string, () => void> = {
  baseline: () => {
    for (const w of writes) for (const s of w.spans) sink += s.spanId.length;
  },
  rows: () => {
    for (const w of writes) for (const t of sessionTableRows(w)) if (t.rows !== null) for (const r of t.rows) sink += JSON.stringify(r).length;
  },
  rollups: () => {
    for (let i = 0; i < writes.length; i += BATCH) {
      const u = new UsageRollup();
      const p = new ProviderRollup();
      for (const w of writes.slice(i, i + BATCH)) {
        if (UsageRollup.counts(w)) u.add(w);
        if (ProviderRollup.counts(w)) p.add(w);
      }
      for (const r of [...u.rows(), ...p.rows()]) sink += JSON.stringify(r).length;
    }
  },
};
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = process.cpuUsage();
    fn();
    const cpu = process.cpuUsage(t0);
    const ns = ((cpu.user + cpu.system) * 1e3) / spans;
    best.set(name, Math.min(best.get(name) ?? Infinity, ns));
  }
}
const table = new Table({ head: [`${writes.length} writes, ${spans} spans`, 'CPU ns per span (best)', 'vs baseline'] });
for (const [name, ns] of best) table.push([name, ns.toFixed(0), `${(ns / best.get('baseline')!).toFixed(1)}×`]);
console.log(table.toString());
console.log(JSON.stringify({ bench: 'store-rows', requests: REQUESTS, writes: writes.length, spans, nsPerSpan: Object.fromEntries(best), sink: sink > 0 }));
