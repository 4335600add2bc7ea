/**
 * End to end: realistic agent sessions as ~500-span OTLP Export requests over gRPC from separate generator
 * processes to the real collector (child process: `node dist/cli.js serve`, embedded store, ~10 % kept,
 * 1 s idle timeout), and, in the same run, to a minimal @grpc/grpc-js server that only accepts the bytes
 * (the transport ceiling). Phases (each `--duration` seconds of sending):
 *   ceiling    generator → ceiling server, as fast as accepted (grpc-js as it builds its servers: 64 KiB HTTP/2 windows)
 *   ceiling-windows  the same with the collector's HTTP/2 receive windows (4 MiB per call, 16 MiB per connection)
 *   agenttail  generator → collector, as fast as accepted (or --rate spans/s)
 *   overload   generator → collector at --overload × the agenttail phase's accepted rate (open loop)
 * Reports accepted spans/s, ratio to the ceiling (and to ceiling-windows when run), refusals by gRPC code, kept share, decision delay
 * p50/p99 (last span → decision, idle trigger), insert latency, and per second RSS, event-loop lag, CPU.
 * Run: npx tsx bench/e2e.ts [--duration 20] [--phases ceiling,agenttail,overload] [--rate 0] [--overload 2]
 *        [--senders 1] [--concurrency 16] [--channels 2] [--idle-ms 1000] [--baseline 0.04]
 *        [--buffer-mb 256] [--rss-cap-mb 0] [--decode-workers auto] [--pairs 16] [--warmup 3] [--profile] [--profile-dir bench/.profiles]
 *        [--node-args=--max-semi-space-size=64]   (node flags for the collector child, space-separated)
 * --rss-cap-mb N runs the overload phase's collector with receive.overload.maxRssBytes = N MiB (0, the default: no
 * cap); the overload target is then judged against that cap.
 * --decode-workers N sets receive.decodeWorkers for the collector phases (auto, the default, as `serve` runs; 0 =
 * decode on the main thread): bench/README.md's worker scaling runs 0, 1, 2.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { formatSummary, readProfile, summarizeProfile, type ProfileSummary } from './cpuprofile-top.js';
import { phaseOverrides, startCollector } from './e2e/collector.js';
import type { GeneratorReport } from './e2e/generator.js';
import { runLoad, type LoadResult } from './e2e/load.js';
import { histogramQuantile, scrape, sum, labelValues, type Scrape } from './e2e/prom.js';
import { buildPool, poolToJson } from './e2e/requests.js';

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    phases: { type: 'string', default: 'ceiling,agenttail,overload' },
    rate: { type: 'string', default: '0' },
    overload: { type: 'string', default: '2' },
    senders: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    channels: { type: 'string', default: '2' },
    'idle-ms': { type: 'string', default: '1000' },
    baseline: { type: 'string', default: '0.04' },
    'buffer-mb': { type: 'string', default: '256' },
    'rss-cap-mb': { type: 'string', default: '0' },
    'decode-workers': { type: 'string', default: 'auto' },
    pairs: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'profile-dir': { type: 'string', default: fileURLToPath(new URL('./.profiles', import.meta.url)) },
  },
});

function num(name: keyof typeof a, min: number): number {
  const v = Number(a[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(a[name])}`);
  return v;
}

const DURATION_MS = num('duration', 1) * 1000;
const WARMUP_MS = Math.min(num('warmup', 0) * 1000, DURATION_MS / 2);
const SENDERS = num('senders', 1);
const CONCURRENCY = num('concurrency', 1);
const CHANNELS = num('channels', 1);
const IDLE_MS = num('idle-ms', 1);
const BUFFER_BYTES = num('buffer-mb', 1) * 1024 * 1024;
const STORE_QUEUE_BYTES = 64 * 1024 * 1024;
const RSS_CAP_MB = num('rss-cap-mb', 0);
const DECODE_WORKERS: 'auto' | number = a['decode-workers'] === 'auto' ? 'auto' : num('decode-workers', 0);
const PHASES = String(a.phases).split(',').map((s) => s.trim());
for (const p of PHASES) if (!['ceiling', 'ceiling-windows', 'agenttail', 'overload'].includes(p)) throw new Error(`--phases: unknown phase '${p}' (ceiling, ceiling-windows, agenttail, overload)`);

const work = mkdtempSync(join(tmpdir(), 'agt-e2e-pool-'));
const poolFile = join(work, 'pool.json');
const pool = buildPool({ pairs: num('pairs', 1), spansPerRequest: 500, seed: 7 });
writeFileSync(poolFile, poolToJson(pool));
const poolSpans = pool.reduce((n, p) => n + p.a.spans + p.b.spans, 0);
const poolBytes = pool.reduce((n, p) => n + p.a.bytes.length + p.b.bytes.length, 0);
const poolSessions = pool.reduce((n, p) => n + p.sessions, 0);
const poolInfo = {
  requests: pool.length * 2,
  spansPerRequest: Math.round(poolSpans / (pool.length * 2)),
  wireBytesPerSpan: Math.round(poolBytes / poolSpans),
  spansPerSession: +(poolSpans / poolSessions).toFixed(1),
};
console.log(`pool: ${poolInfo.requests} requests, ~${poolInfo.spansPerRequest} spans and ~${Math.round(poolBytes / pool.length / 2 / 1024)} KiB each, ${poolInfo.wireBytesPerSpan} wire bytes/span, ${poolInfo.spansPerSession} spans/session`);

interface TimelineRow {
  t: number;
  acceptedPerS: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  lagP99Ms: number;
  lagMaxMs: number;
  bufferedMb: number;
  openSessions: number;
  cpu: number;
  storeQueueMb: number;
}

interface PhaseResult {
  phase: string;
  targetSpansPerS: number | null;
  acceptedSpansPerS: number;
  collectorAcceptedSpansPerS: number | null;
  sentSpansPerS: number;
  codes: Record<string, number>;
  refusedByCollector: Record<string, number>;
  behind: number;
  /** Spans that arrived after their session was decided (a session decided before its second request got in). */
  lateSpans: number;
  /** Spans moved from a bare-trace session into the session named later. */
  movedSpans: number;
  keptShare: number | null;
  sessionsDecidedPerS: number | null;
  decisionDelayS: { p50: number | null; p99: number | null; maxBucketS: number | null; triggers: Record<string, number> } | null;
  insertS: { p50: number | null; p99: number | null } | null;
  rssIdleMb: number | null;
  /** Highest RSS scraped while the generators sent (the window the overload target is about). */
  rssMaxMb: number | null;
  /** Highest RSS scraped after the load stopped, while the last sessions were decided and written. */
  rssMaxAfterMb: number | null;
  /** Highest RSS the collector's memory guard sampled over the whole phase (every 100 ms; `agenttail_process_rss_peak_bytes`, 0 without a cap). */
  rssPeakMb: number | null;
  lagP99MaxMs: number | null;
  collectorCpu: number | null;
  /** The collector's main thread alone (Linux /proc/<pid>/task/<pid>/stat), in cores over the steady window; null elsewhere. */
  mainThreadCpu: number | null;
  /** CPU per accepted span over the steady window: the whole process, and its main thread (the one-thread limit). */
  usPerSpan: { process: number; mainThread: number | null } | null;
  generatorCpu: number;
  rttMs: LoadResult['rttMs'];
  crashed: boolean;
  timeline: TimelineRow[];
  profile?: { file: string; summary: ProfileSummary };
}

/** Accepted spans/s over the steady window (after warm-up) from the generators' cumulative ticks. */
function steadyRate(load: LoadResult, pick: (r: GeneratorReport) => number): number {
  const ticks = [...load.ticks, load.totals];
  const first = ticks.find((t) => t.elapsedMs >= WARMUP_MS) ?? ticks[0]!;
  const last = ticks.filter((t) => t.elapsedMs <= DURATION_MS + 500).at(-1) ?? load.totals;
  if (last.elapsedMs <= first.elapsedMs) return (pick(load.totals) / load.totals.elapsedMs) * 1000;
  return ((pick(last) - pick(first)) / (last.elapsedMs - first.elapsedMs)) * 1000;
}

function generatorCpuShare(load: LoadResult): number {
  const ticks = load.ticks;
  if (ticks.length < 2) return load.generatorCpu;
  const f = ticks[0]!;
  const l = ticks.at(-1)!;
  return (l.cpuUserMs + l.cpuSystemMs - f.cpuUserMs - f.cpuSystemMs) / (l.elapsedMs - f.elapsedMs);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null where that cannot be read. */
function procCpuSeconds(pid: number | undefined, thread?: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
    // A thread's own (`/proc/<pid>/task/<tid>/stat`; the main thread's tid is the pid).
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** `ceiling`: grpc-js's own windows; `ceiling-windows`: the collector's. */
async function ceilingPhase(phase: 'ceiling' | 'ceiling-windows'): Promise<PhaseResult> {
  const args = ['--import', 'tsx', fileURLToPath(new URL('./e2e/ceiling-server.ts', import.meta.url)), ...(phase === 'ceiling-windows' ? ['--windows'] : [])];
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
    });
    server.once('exit', (code) => reject(new Error(`ceiling server exited with ${code}`)));
  });
  try {
    const cpu0 = procCpuSeconds(server.pid);
    const t0 = Date.now();
    const load = await runLoad({ target: `127.0.0.1:${port}`, poolFile, senders: SENDERS, durationMs: DURATION_MS, spansPerSecond: 0, concurrency: CONCURRENCY, channels: CHANNELS });
    const cpu1 = procCpuSeconds(server.pid);
    return {
      phase,
      targetSpansPerS: null,
      acceptedSpansPerS: steadyRate(load, (r) => r.okSpans),
      collectorAcceptedSpansPerS: null,
      sentSpansPerS: steadyRate(load, (r) => r.sentSpans),
      codes: load.totals.codes,
      refusedByCollector: {},
      behind: load.totals.behind,
      lateSpans: 0,
      movedSpans: 0,
      keptShare: null,
      sessionsDecidedPerS: null,
      decisionDelayS: null,
      insertS: null,
      rssIdleMb: null,
      rssMaxMb: null,
      rssMaxAfterMb: null,
      rssPeakMb: null,
      lagP99MaxMs: null,
      // The ceiling server's own CPU over the whole load (warm-up included): what the transport alone costs.
      collectorCpu: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / ((Date.now() - t0) / 1000),
      mainThreadCpu: null,
      usPerSpan: null,
      generatorCpu: generatorCpuShare(load),
      rttMs: load.rttMs,
      crashed: server.exitCode !== null,
      timeline: [],
    };
  } finally {
    server.kill('SIGTERM');
  }
}

/** A scraped byte gauge in MB. */
const mbOf = (s: Scrape, name: string): number => Math.round(sum(s, name) / 1024 / 1024);

function timelineRow(prev: Scrape, cur: Scrape, t0: number): TimelineRow {
  const dt = (cur.atMs - prev.atMs) / 1000;
  const mb = (x: number): number => Math.round(x / 1024 / 1024);
  return {
    t: Math.round((cur.atMs - t0) / 1000),
    acceptedPerS: Math.round((sum(cur, 'agenttail_receive_spans_accepted_total') - sum(prev, 'agenttail_receive_spans_accepted_total')) / dt),
    rssMb: mb(sum(cur, 'process_resident_memory_bytes')),
    heapMb: mb(sum(cur, 'nodejs_heap_size_used_bytes')),
    externalMb: mb(sum(cur, 'nodejs_external_memory_bytes')),
    lagP99Ms: +(sum(cur, 'nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1),
    lagMaxMs: +(sum(cur, 'nodejs_eventloop_lag_max_seconds') * 1000).toFixed(1),
    bufferedMb: mb(sum(cur, 'agenttail_sessions_buffered_bytes')),
    openSessions: sum(cur, 'agenttail_sessions_open_sessions'),
    cpu: +((sum(cur, 'process_cpu_seconds_total') - sum(prev, 'process_cpu_seconds_total')) / dt).toFixed(2),
    storeQueueMb: mb(sum(cur, 'agenttail_store_queue_bytes')),
  };
}

function newestProfile(dir: string, since: number): string | undefined {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
}

async function collectorPhase(phase: string, spansPerSecond: number, concurrency: number, rssCapBytes: number): Promise<PhaseResult> {
  const profileDir = a.profile ? resolvePath(String(a['profile-dir'])) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const startedAt = Date.now();
  const c = await startCollector({
    profileDir,
    nodeArgs: String(a['node-args']).split(' ').filter(Boolean),
    overrides: phaseOverrides({ idleMs: IDLE_MS, bufferBytes: BUFFER_BYTES, storeQueueBytes: STORE_QUEUE_BYTES, baselineRate: num('baseline', 0), rssCapBytes, decodeWorkers: DECODE_WORKERS }),
  });
  const scrapes: Scrape[] = [];
  /** The main thread's CPU seconds when each scrape was taken. */
  const mainCpuAt = new Map<Scrape, number | null>();
  let scraping = false;
  const take = async (): Promise<Scrape | null> => {
    if (scraping || c.exited() !== null) return null;
    scraping = true;
    try {
      const s = await scrape(c.httpUrl);
      mainCpuAt.set(s, procCpuSeconds(c.pid, c.pid));
      scrapes.push(s);
      return s;
    } catch {
      return null;
    } finally {
      scraping = false;
    }
  };
  let crashed = false;
  try {
    const s0 = (await take())!;
    const sampler = setInterval(() => void take(), 1000);
    const loadStart = Date.now();
    let load: LoadResult;
    try {
      load = await runLoad({ target: c.grpcTarget, poolFile, senders: SENDERS, durationMs: DURATION_MS, spansPerSecond, concurrency, channels: CHANNELS });
    } finally {
      clearInterval(sampler);
    }
    while (scraping) await new Promise((r) => setTimeout(r, 10));
    const sendEnd = (await take()) ?? scrapes.at(-1)!;
    // Let the last sessions go idle and be decided and written.
    const settle = setInterval(() => void take(), 1000);
    await new Promise((r) => setTimeout(r, IDLE_MS + 2_500));
    clearInterval(settle);
    while (scraping) await new Promise((r) => setTimeout(r, 10));
    const end = (await take()) ?? scrapes.at(-1)!;
    crashed = c.exited() !== null;

    const steadyFrom = scrapes.find((s) => s.atMs >= loadStart + WARMUP_MS && s.atMs < sendEnd.atMs) ?? s0;
    const timeline = scrapes.slice(1).map((s, i) => timelineRow(scrapes[i]!, s, loadStart));
    const decided = (s: Scrape, outcome?: string): number => sum(s, 'agenttail_sessions_decided_total', outcome ? { outcome } : {});
    const decidedTotal = decided(end) - decided(s0);
    const refusedByCollector: Record<string, number> = {};
    for (const code of labelValues(end, 'agenttail_receive_requests_total', 'code')) {
      if (code === 'ok') continue;
      refusedByCollector[code] = sum(end, 'agenttail_receive_requests_total', { code }) - sum(s0, 'agenttail_receive_requests_total', { code });
    }
    const triggers: Record<string, number> = {};
    for (const t of labelValues(end, 'agenttail_sessions_decision_delay_seconds_count', 'trigger')) triggers[t] = sum(end, 'agenttail_sessions_decision_delay_seconds_count', { trigger: t });
    const windowS = (sendEnd.atMs - steadyFrom.atMs) / 1000;
    const acceptedInWindow = sum(sendEnd, 'agenttail_receive_spans_accepted_total') - sum(steadyFrom, 'agenttail_receive_spans_accepted_total');
    const m0 = mainCpuAt.get(steadyFrom) ?? null;
    const m1 = mainCpuAt.get(sendEnd) ?? null;
    const mainThreadSeconds = m0 === null || m1 === null ? null : m1 - m0;
    const mainThreadCores = mainThreadSeconds === null || windowS <= 0 ? null : mainThreadSeconds / windowS;
    const during = timeline.filter((r) => r.t * 1000 <= DURATION_MS + 1000);
    return {
      phase,
      targetSpansPerS: spansPerSecond > 0 ? spansPerSecond : null,
      acceptedSpansPerS: steadyRate(load, (r) => r.okSpans),
      collectorAcceptedSpansPerS: windowS > 0 ? (sum(sendEnd, 'agenttail_receive_spans_accepted_total') - sum(steadyFrom, 'agenttail_receive_spans_accepted_total')) / windowS : null,
      sentSpansPerS: steadyRate(load, (r) => r.sentSpans),
      codes: load.totals.codes,
      refusedByCollector,
      behind: load.totals.behind,
      lateSpans: sum(end, 'agenttail_sessions_late_spans_total') - sum(s0, 'agenttail_sessions_late_spans_total'),
      movedSpans: sum(end, 'agenttail_sessions_moved_spans_total') - sum(s0, 'agenttail_sessions_moved_spans_total'),
      keptShare: decidedTotal > 0 ? (decided(end, 'kept') - decided(s0, 'kept')) / decidedTotal : null,
      sessionsDecidedPerS: windowS > 0 ? (decided(sendEnd) - decided(steadyFrom)) / windowS : null,
      decisionDelayS: {
        p50: histogramQuantile(end, s0, 'agenttail_sessions_decision_delay_seconds', 0.5, { trigger: 'idle' }),
        p99: histogramQuantile(end, s0, 'agenttail_sessions_decision_delay_seconds', 0.99, { trigger: 'idle' }),
        maxBucketS: histogramQuantile(end, s0, 'agenttail_sessions_decision_delay_seconds', 1, { trigger: 'idle' }),
        triggers,
      },
      insertS: {
        p50: histogramQuantile(end, s0, 'agenttail_store_insert_duration_seconds', 0.5),
        p99: histogramQuantile(end, s0, 'agenttail_store_insert_duration_seconds', 0.99),
      },
      rssIdleMb: Math.round(sum(s0, 'process_resident_memory_bytes') / 1024 / 1024),
      rssMaxMb: Math.max(...scrapes.filter((s) => s.atMs <= sendEnd.atMs).map((s) => mbOf(s, 'process_resident_memory_bytes'))),
      rssMaxAfterMb: Math.max(...scrapes.filter((s) => s.atMs > sendEnd.atMs).map((s) => mbOf(s, 'process_resident_memory_bytes'))),
      rssPeakMb: mbOf(end, 'agenttail_process_rss_peak_bytes'),
      lagP99MaxMs: Math.max(...during.map((r) => r.lagP99Ms)),
      collectorCpu: windowS > 0 ? (sum(sendEnd, 'process_cpu_seconds_total') - sum(steadyFrom, 'process_cpu_seconds_total')) / windowS : null,
      mainThreadCpu: windowS > 0 ? mainThreadCores : null,
      usPerSpan: acceptedInWindow > 0 ? { process: ((sum(sendEnd, 'process_cpu_seconds_total') - sum(steadyFrom, 'process_cpu_seconds_total')) / acceptedInWindow) * 1e6, mainThread: mainThreadSeconds === null ? null : (mainThreadSeconds / acceptedInWindow) * 1e6 } : null,
      generatorCpu: generatorCpuShare(load),
      rttMs: load.rttMs,
      crashed,
      timeline,
    };
  } finally {
    const code = await c.stop();
    if (code !== 0 && !crashed) process.stderr.write(`${phase}: collector exited with ${code}\n`);
    if (profileDir) {
      const file = newestProfile(profileDir, startedAt);
      if (file) lastProfile = { file, summary: summarizeProfile(readProfile(file)) };
    }
  }
}
let lastProfile: PhaseResult['profile'] | undefined;

const results: PhaseResult[] = [];
try {
  for (const phase of PHASES) {
    process.stderr.write(`phase ${phase} (${DURATION_MS / 1000} s) …\n`);
    lastProfile = undefined;
    let r: PhaseResult;
    if (phase === 'ceiling' || phase === 'ceiling-windows') r = await ceilingPhase(phase);
    else if (phase === 'agenttail') r = await collectorPhase('agenttail', num('rate', 0), CONCURRENCY, 0);
    else {
      const base = results.find((x) => x.phase === 'agenttail')?.acceptedSpansPerS ?? num('rate', 0);
      if (!(base > 0)) throw new Error('the overload phase needs the agenttail phase first, or --rate');
      r = await collectorPhase('overload', base * num('overload', 1), Math.max(CONCURRENCY, 128), Math.round(RSS_CAP_MB * 1024 * 1024));
    }
    if (lastProfile) r.profile = lastProfile;
    results.push(r);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const ceiling = results.find((r) => r.phase === 'ceiling')?.acceptedSpansPerS ?? null;
const ceilingWindows = results.find((r) => r.phase === 'ceiling-windows')?.acceptedSpansPerS ?? null;
const isCeiling = (r: PhaseResult): boolean => r.phase === 'ceiling' || r.phase === 'ceiling-windows';
const k = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en'));
const f2 = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const codes = (c: Record<string, number>): string => Object.entries(c).map(([name, n]) => `${name} ${n}`).join(', ') || '–';

const summary = new Table({
  head: ['phase', 'target spans/s', 'accepted spans/s', 'vs ceiling', 'refused (gRPC code: requests)', 'kept', 'decision p50/p99 s', 'insert p50/p99 s', 'RSS idle / max under load / max after MB', 'loop lag p99 max ms', 'CPU collector/generator'],
  style: { head: [], border: [] },
});
for (const r of results) {
  summary.push([
    r.phase + (r.crashed ? ' (CRASHED)' : ''),
    k(r.targetSpansPerS),
    k(r.acceptedSpansPerS),
    ceiling && !isCeiling(r) ? f2(r.acceptedSpansPerS / ceiling) : '–',
    codes(r.codes) + (r.behind > 0 ? `; ${r.behind} sends skipped (in-flight cap)` : ''),
    r.keptShare === null ? '–' : `${(r.keptShare * 100).toFixed(1)}%`,
    r.decisionDelayS ? `${f2(r.decisionDelayS.p50)} / ${f2(r.decisionDelayS.p99)}` : '–',
    r.insertS ? `${f2(r.insertS.p50, 3)} / ${f2(r.insertS.p99, 3)}` : '–',
    r.rssMaxMb === null ? '–' : `${r.rssIdleMb} / ${r.rssMaxMb} / ${r.rssMaxAfterMb}`,
    f2(r.lagP99MaxMs, 1),
    `${f2(r.collectorCpu)} / ${f2(r.generatorCpu)}`,
  ]);
}
console.log(summary.toString());
if (ceilingWindows !== null) {
  for (const r of results) if (!isCeiling(r)) console.log(`${r.phase}: ${f2(r.acceptedSpansPerS / ceilingWindows)} of ceiling-windows (${k(ceilingWindows)} spans/s: the transport with the collector's HTTP/2 windows)`);
}
for (const r of results) {
  if (r.usPerSpan === null) continue;
  const main = r.usPerSpan.mainThread === null ? 'main thread: not readable here' : `main thread ${f2(r.mainThreadCpu)} cores, ${r.usPerSpan.mainThread.toFixed(1)} µs per span`;
  console.log(`${r.phase}: CPU per accepted span: process ${r.usPerSpan.process.toFixed(1)} µs; ${main} (decode workers: ${String(DECODE_WORKERS)})`);
}

for (const r of results) {
  if (r.timeline.length === 0) continue;
  const t = new Table({ head: [`${r.phase}: t s`, 'accepted/s', 'RSS MB', 'heap MB', 'external MB', 'lag p99/max ms', 'buffered MB', 'open sessions', 'store queue MB', 'CPU'], style: { head: [], border: [] } });
  for (const x of r.timeline) t.push([x.t, k(x.acceptedPerS), x.rssMb, x.heapMb, x.externalMb, `${x.lagP99Ms} / ${x.lagMaxMs}`, x.bufferedMb, k(x.openSessions), x.storeQueueMb, x.cpu]);
  console.log(t.toString());
  if (r.profile) console.log(`${r.phase} profile ${r.profile.file}\n${formatSummary(r.profile.summary)}`);
}

const agent = results.find((r) => r.phase === 'agenttail');
const over = results.find((r) => r.phase === 'overload');
// With --rss-cap-mb the collector enforces a cap itself and is judged against it; without, against the memory it is configured to hold.
const capMb = RSS_CAP_MB > 0 ? RSS_CAP_MB : over?.rssIdleMb != null ? over.rssIdleMb + (BUFFER_BYTES + STORE_QUEUE_BYTES) / 1024 / 1024 : null;
const capSource = RSS_CAP_MB > 0 ? 'receive.overload.maxRssBytes, --rss-cap-mb' : 'idle RSS + maxBufferBytes + store maxQueueBytes';
const targets = {
  spansPerS: agent ? { goal: 200_000, measured: Math.round(agent.acceptedSpansPerS), met: agent.acceptedSpansPerS >= 200_000 } : null,
  ceilingRatio: agent && ceiling ? { goal: 0.4, measured: +(agent.acceptedSpansPerS / ceiling).toFixed(3), met: agent.acceptedSpansPerS / ceiling >= 0.4 } : null,
  decisionP99: agent?.decisionDelayS?.p99 != null ? { goalS: (IDLE_MS + 1000) / 1000, measuredS: +agent.decisionDelayS.p99.toFixed(3), met: agent.decisionDelayS.p99 <= (IDLE_MS + 1000) / 1000 } : null,
  overload: over
    ? {
        capMb,
        rssMaxMb: over.rssMaxMb,
        rssMaxAfterMb: over.rssMaxAfterMb,
        rssPeakMb: over.rssPeakMb,
        refusals: over.codes,
        crashed: over.crashed,
        // With a cap, the bound holds over the whole phase (the settle tail too), at the guard's 100 ms resolution.
        met:
          !over.crashed &&
          capMb !== null &&
          Math.max(over.rssMaxMb ?? Infinity, RSS_CAP_MB > 0 ? Math.max(over.rssMaxAfterMb ?? Infinity, over.rssPeakMb ?? Infinity) : 0) <= capMb &&
          Object.keys(over.codes).every((c) => c === 'UNAVAILABLE' || c === 'RESOURCE_EXHAUSTED'),
      }
    : null,
};
console.log(
  [
    targets.spansPerS && `≥200K spans/s: ${targets.spansPerS.met ? 'met' : 'NOT met'} (${k(targets.spansPerS.measured)})`,
    targets.ceilingRatio && `≥40% of ceiling: ${targets.ceilingRatio.met ? 'met' : 'NOT met'} (${(targets.ceilingRatio.measured * 100).toFixed(1)}%)`,
    targets.decisionP99 && `decision p99 ≤ idle + 1 s (${targets.decisionP99.goalS} s): ${targets.decisionP99.met ? 'met' : 'NOT met'} (${targets.decisionP99.measuredS} s)`,
    targets.overload && `overload: RSS max under load ${targets.overload.rssMaxMb} MB (after: ${targets.overload.rssMaxAfterMb} MB; peak sampled every 100 ms: ${targets.overload.rssPeakMb} MB) vs cap ${Math.round(targets.overload.capMb ?? NaN)} MB (${capSource}), refusals ${codes(targets.overload.refusals)}: ${targets.overload.met ? 'met' : 'NOT met'}`,
  ]
    .filter(Boolean)
    .join('\n'),
);
console.log(
  JSON.stringify(
    {
      bench: 'e2e',
      node: process.version,
      params: { nodeArgs: String(a['node-args']), durationS: DURATION_MS / 1000, warmupS: WARMUP_MS / 1000, senders: SENDERS, concurrency: CONCURRENCY, channels: CHANNELS, idleMs: IDLE_MS, bufferBytes: BUFFER_BYTES, storeQueueBytes: STORE_QUEUE_BYTES, rssCapMb: RSS_CAP_MB, baselineRate: num('baseline', 0) },
      pool: poolInfo,
      ceilingSpansPerS: ceiling,
      ceilingWindowsSpansPerS: ceilingWindows,
      phases: results.map((r) => ({
        ...r,
        ratioToCeiling: ceiling && !isCeiling(r) ? r.acceptedSpansPerS / ceiling : null,
        ratioToCeilingWindows: ceilingWindows && !isCeiling(r) ? r.acceptedSpansPerS / ceilingWindows : null,
        profile: r.profile ? { file: r.profile.file, stages: r.profile.summary.stages, top: r.profile.summary.top.slice(0, 15) } : undefined,
      })),
      targets,
    },
    null,
    2,
  ),
);
