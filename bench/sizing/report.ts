/** The sizing bench's result as a markdown table (the README's "Performance and sizing" rows) and one JSON object. */
import type { SizingResult } from './run.js';
import type { Stage } from './stages.js';

const STAGE_NAMES: Record<Stage, string> = {
  decode: 'decode (protobuf → spans)',
  normalize: 'normalize + price',
  buffer: 'buffer (SessionBuffer.accept)',
  decide: 'decide (sweep, policies, decision cache)',
  store: 'row build + insert (ClickHouseStore, chDB)',
};

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const us = (x: number): string => x.toFixed(x < 10 ? 2 : 1);

/** Markdown rows: what, figure, how measured. */
export function markdownTable(r: SizingResult, command: string): string {
  const m = r.machine;
  const rows: [string, string, string][] = [];
  const total = r.stages.reduce((n, s) => n + s.cpuUsPerSpan, 0);
  for (const s of r.stages) {
    rows.push([STAGE_NAMES[s.stage], `**${us(s.cpuUsPerSpan)} µs** CPU/span (${us(s.cpuUsPerSpanRange[0])}–${us(s.cpuUsPerSpanRange[1])}; main-thread GC pauses ${us(s.gcPauseUsPerSpan)} wall), ${int(s.spansPerS)} spans/s alone`, 'median of the rounds, process CPU']);
  }
  rows.push(['all stages, one thread', `${us(total)} µs CPU/span → ~${int(1e6 / total)} spans/s per core`, 'sum of the medians']);
  for (const x of r.memory) {
    rows.push([
      `memory per buffered span (${x.leanSpans ? 'sessions.leanSpans' : 'whole spans'})`,
      `**${int(x.heapBytesPerBufferedSpan)} B** heap (${(x.heapBytesPerBufferedSpan / x.wireBytesPerSpan).toFixed(2)}× its ${int(x.wireBytesPerSpan)} wire B; accounted ${int(x.accountedBytesPerSpan)} B)`,
      'heap after full GC',
    ]);
  }
  const whole = r.memory[0]!;
  rows.push(['memory per decision', `**${int(whole.heapBytesCachePerDecision)} B** decision cache per decided session; ${int(whole.heapBytesLeftPerDecision)} B left in all (${(whole.spans / whole.sessions).toFixed(1)} spans/session)`, 'heap after full GC, before and after the cache purged']);
  rows.push(['write-ahead log per million spans', `**${(whole.walBytesPerSpanWithDecisions / 1e3).toFixed(2)} GB** (requests ${(whole.walBytesPerSpanRequests / 1e3).toFixed(2)} GB + decisions)`, 'segment files, WAL fsync']);
  const merged = new Map(r.clickhouse.merged.map((t) => [t.table, t]));
  const perRow = (table: string): string => {
    const t = merged.get(table);
    return t === undefined || t.rows === 0 ? 'n/a' : `${int(t.bytesOnDisk / t.rows)} B (${int(t.uncompressedBytes / t.rows)} B uncompressed)`;
  };
  const all = r.clickhouse.merged.reduce((n, t) => n + t.bytesOnDisk, 0);
  const allRaw = r.clickhouse.merged.reduce((n, t) => n + t.uncompressedBytes, 0);
  const perMillion = (bytes: number): string => (((bytes / r.clickhouse.spansIngested) * 1e6) / 1e9).toFixed(3);
  rows.push(['ClickHouse per stored span / session row', `**${perRow('spans')}** per span row, **${perRow('sessions')}** per session row`, 'system.parts bytes_on_disk ÷ rows, merged']);
  rows.push(['ClickHouse per million ingested spans', `**${perMillion(all)} GB** (${perMillion(allRaw)} GB uncompressed; all tables, ~10 % of sessions kept)`, 'system.parts, merged']);
  // The stages above run on one thread; how throughput grows with workers is an e2e measurement (README, decode workers).
  rows.push(['decode workers', 'not measured here: the stages run on one thread (`receive.decodeWorkers` moves decode, normalize and price to workers)', 'e2e spans/s by worker count: `npx tsx bench/e2e.ts --decode-workers 0|1|2`']);
  const head = `${command} — ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB, Node ${m.node}, load ${m.load.map((x) => x.toFixed(1)).join(' ')} → ${m.loadAfter.map((x) => x.toFixed(1)).join(' ')}; ${r.stages[0]!.spans} spans per round, ${r.params.rounds} rounds`;
  return [head, '', '| what | figure | how |', '|---|---|---|', ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
}
