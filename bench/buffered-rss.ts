/**
 * Memory per buffered wire byte, measured from outside (issue 30, "Span model, part 1"). The BUILT collector runs as a
 * child process (`node dist/cli.js serve`, embedded store, every setting through AGENTTAIL_CFG__* variables); this
 * process is the generator: whole-session OTLP/gRPC Export requests, fresh session and trace ids in every request,
 * sent with raw @grpc/grpc-js as bench/e2e/generator.ts does. `--traffic e2e` (default): the e2e pool of
 * bench/e2e/requests.ts (~12 attributes per span, a 2 KiB prompt on each turn's first model call, 512-byte
 * completions: ~1 KiB per span), parts A and B of a pair joined into one request. `--traffic lean`: the same sessions
 * and short attributes without the long texts (~560 bytes per span), where per-span overhead weighs most.
 * The collector's RSS is VmRSS from /proc/<pid>/status, sampled every 100 ms on a worker thread (the generator's
 * busy loop must not stretch the interval).
 *
 *   growth  nothing is decided (idle timeout and max age 10 min), nothing refused (buffer 2 GiB, no RSS cap, no lag
 *           shedding): `--requests` requests of `--spans` spans, `--concurrency` in flight. Idle RSS once start-up has
 *           settled (≥ 3 s, then the last second within 2 MiB); RSS 2 s and 6 s after the last answer (the collector runs one full collection once idle: src/main/idle-gc.ts), and the peak
 *           while sending. Growth / wire bytes acknowledged is the figure: goal ≤ 1.3. Beside it the collector's own
 *           accounting from /metrics (agenttail_sessions_buffered_bytes, open sessions, V8 heap).
 *   cap     a fresh collector with receive.overload.maxRssBytes = `--cap-mb` MiB, the default buffer (512 MiB), lag
 *           shedding on (default), sessions decided `--idle-ms` after their last span: a `--calibrate` s closed-loop
 *           run measures the accepted rate, then open loop at `--overload` × that (or `--rate` spans/s) for
 *           `--duration` s (at most 128 in flight). Goals: RSS never above the cap (max of the 100 ms samples from
 *           the first send until SIGTERM; also the collector's own agenttail_process_rss_peak_bytes); every refusal
 *           RESOURCE_EXHAUSTED or UNAVAILABLE with a google.rpc.RetryInfo in grpc-status-details-bin; nothing
 *           acknowledged lost. Also RSS at the end of the settle (`--idle-ms` + 6 s after the load: every session
 *           decided and written, the idle collection run): how near its idle RSS a loaded process settles.
 *
 * "Nothing acknowledged lost" is exact on the sessions table: every session, kept or dropped, gets a row whose
 * SpanCount counts its spans, and every request here holds whole sessions no other request touches. After SIGTERM
 * (graceful: open sessions are decided and written; shutdownTimeoutMs raised to 60 s so a full buffer can flush) the
 * data dir is read in a separate process (test/support/chdb-query.ts):
 * `SELECT sum(SpanCount), count() FROM agenttail.sessions FINAL` must equal the spans and sessions acknowledged (OK
 * answers, minus partial_success rejected_spans). `/v1/costs` is not used: usage_hourly counts model calls and
 * sessions, not spans.
 *
 * Baseline (outside measurement on main c4f9ebe, other traffic: ~324 wire bytes per span): 300 fresh-id 512-span
 * requests, 47.5 MiB on the wire, grew RSS by 231 MiB = 4.86× wire; at a 600 MB cap with 2× overload RSS reached
 * 610–675 MB. Neither pool here has its ~324 bytes per span: compare ratios of the same --traffic only (lean is the
 * nearer). First runs here (main 52e57bf, 2-core machine shared, load average 3–6; ~55 s a run):
 *   e2e traffic, 155.3 MiB wire: growth 2.40× / 2.31× (peak the same; own buffered accounting 2.34×); cap 600 MiB at
 *     2× (19.5K / 26.3K spans/s offered): RSS max 630 / 617 MiB (own guard 630 / 616), 1306 / 1678 refusals all
 *     UNAVAILABLE AGT_ERR_MEMORY_LIMIT with RetryInfo, spans acknowledged = stored (167,746 / 182,222).
 *   lean traffic, 82.4 MiB wire: growth 3.20× (own accounting 3.35×); cap: RSS max 584 MiB, 1213 refusals all with
 *     RetryInfo, 171,374 acknowledged = stored.
 *
 * Run: npx tsx bench/buffered-rss.ts [--phases growth,cap] [--requests 300] [--spans 512] [--concurrency 4]
 *        [--cap-mb 600] [--overload 2] [--rate 0] [--duration 30] [--calibrate 5] [--idle-ms 1000]
 *        [--traffic e2e|lean] [--pairs 16]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { queryDataDir } from '../test/support/collector-process.js';
import { scrape, sum, type Scrape } from './e2e/prom.js';
import { emptyTally, OtlpSender, RequestStream, RssSampler, leanSessionPool, sendClosedLoop, sendOpenLoop, settledRss, startRssCollector, wholeSessionPool, type RssCollector, type SendTally } from './buffered-rss/parts.js';

const { values: a } = parseArgs({
  options: {
    phases: { type: 'string', default: 'growth,cap' },
    requests: { type: 'string', default: '300' },
    spans: { type: 'string', default: '512' },
    concurrency: { type: 'string', default: '4' },
    'cap-mb': { type: 'string', default: '600' },
    overload: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '30' },
    calibrate: { type: 'string', default: '5' },
    'idle-ms': { type: 'string', default: '1000' },
    pairs: { type: 'string', default: '16' },
    traffic: { type: 'string', default: 'e2e' },
  },
});

function num(name: keyof typeof a, min: number): number {
  const v = Number(a[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(a[name])}`);
  return v;
}

const PHASES = String(a.phases).split(',').map((s) => s.trim()).filter(Boolean);
for (const p of PHASES) if (!['growth', 'cap'].includes(p)) throw new Error(`--phases: unknown phase '${p}' (growth, cap)`);
const REQUESTS = num('requests', 1);
const CONCURRENCY = num('concurrency', 1);
const CAP_MB = num('cap-mb', 1);
const CAP_BYTES = Math.round(CAP_MB * 1024 * 1024);
const IDLE_MS = num('idle-ms', 1);
const MiB = 1024 * 1024;
const mib = (x: number): number => +(x / MiB).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const TRAFFIC = String(a.traffic);
if (TRAFFIC !== 'e2e' && TRAFFIC !== 'lean') throw new Error(`--traffic: 'e2e' or 'lean', got '${TRAFFIC}'`);
const pool = TRAFFIC === 'e2e' ? wholeSessionPool(num('pairs', 1), num('spans', 2)) : leanSessionPool(num('pairs', 1), num('spans', 2));
const poolSpans = pool.reduce((n, p) => n + p.template.spans, 0);
const poolBytes = pool.reduce((n, p) => n + p.template.bytes.length, 0);
const poolInfo = { templates: pool.length, spansPerRequest: Math.round(poolSpans / pool.length), wireBytesPerSpan: Math.round(poolBytes / poolSpans), sessionsPerRequest: +(pool.reduce((n, p) => n + p.sessions, 0) / pool.length).toFixed(1) };
console.log(`pool (${TRAFFIC}): ${poolInfo.templates} request shapes, ~${poolInfo.spansPerRequest} spans, ~${poolInfo.sessionsPerRequest} whole sessions and ~${Math.round(poolBytes / pool.length / 1024)} KiB each, ${poolInfo.wireBytesPerSpan} wire bytes/span`);

/** SIGKILL (growth: its buffered sessions are of no interest) or SIGTERM and wait; removes the data dir unless kept. */
async function stopCollector(c: RssCollector, signal: 'SIGTERM' | 'SIGKILL', timeoutMs = 90_000): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const t0 = performance.now();
  c.proc.child.kill(signal);
  const timer = setTimeout(() => c.proc.child.kill('SIGKILL'), timeoutMs);
  const e = await c.proc.exited;
  clearTimeout(timer);
  return { ...e, ms: Math.round(performance.now() - t0) };
}

interface GrowthResult {
  wireMiB: number;
  requests: number;
  spans: number;
  refused: Record<string, number>;
  sendSeconds: number;
  rssIdleMiB: number;
  rssAfterMiB: number;
  /** RSS 6 s after the last answer (the collector's idle collection has had its two idle checks). */
  rssSettledMiB: number;
  rssPeakMiB: number;
  growthMiB: number;
  growthRatio: number;
  /** Growth 6 s after the last answer ÷ wire. */
  settledRatio: number;
  peakRatio: number;
  /** Longest gap between RSS samples while sending (the aim: 100 ms). */
  sampleMaxGapMs: number;
  bufferedMiB: number;
  bufferedRatio: number;
  openSessions: number;
  sessionsAcked: number;
  heapUsedMiB: { idle: number; after: number };
  externalMiB: { idle: number; after: number };
  bufferedToRss: number;
}

async function growthPhase(): Promise<GrowthResult> {
  const c = await startRssCollector({
    sessions: { idleTimeoutMs: 600_000, maxSessionAgeMs: 600_000, maxBufferBytes: 2 * 1024 * MiB },
    receive: { overload: { maxRssBytes: 0, maxEventLoopLagMs: 0 } },
  });
  const sampler = new RssSampler(c.pid);
  const sender = new OtlpSender(c.proc.grpcTarget);
  try {
    const idle = await settledRss(sampler);
    const m0 = await scrape(c.proc.httpUrl);
    const t0 = performance.now();
    const t = await sendClosedLoop(sender, new RequestStream(pool), { requests: REQUESTS, concurrency: CONCURRENCY });
    const t1 = performance.now();
    await sleep(2_000);
    const after = sampler.recent(500);
    await sleep(4_000);
    const settled = sampler.recent(500);
    const peak = Math.max(sampler.max(t0), after);
    const m1 = await scrape(c.proc.httpUrl);
    if (c.proc.child.exitCode !== null) throw new Error(`collector exited during growth: ${c.proc.tail()}`);
    const buffered = sum(m1, 'agenttail_sessions_buffered_bytes');
    const growth = after - idle;
    const wire = t.ackedWireBytes;
    return {
      wireMiB: mib(wire),
      requests: t.okRequests,
      spans: t.ackedSpans,
      refused: t.refused,
      sendSeconds: +((t1 - t0) / 1000).toFixed(1),
      rssIdleMiB: mib(idle),
      rssAfterMiB: mib(after),
      rssSettledMiB: mib(settled),
      rssPeakMiB: mib(peak),
      growthMiB: mib(growth),
      growthRatio: +(growth / wire).toFixed(2),
      settledRatio: +((settled - idle) / wire).toFixed(2),
      peakRatio: +((peak - idle) / wire).toFixed(2),
      sampleMaxGapMs: sampler.maxGapMs(t0, t1),
      bufferedMiB: mib(buffered),
      bufferedRatio: +(buffered / wire).toFixed(2),
      openSessions: sum(m1, 'agenttail_sessions_open_sessions'),
      sessionsAcked: t.ackedSessions,
      heapUsedMiB: { idle: mib(sum(m0, 'nodejs_heap_size_used_bytes')), after: mib(sum(m1, 'nodejs_heap_size_used_bytes')) },
      externalMiB: { idle: mib(sum(m0, 'nodejs_external_memory_bytes')), after: mib(sum(m1, 'nodejs_external_memory_bytes')) },
      bufferedToRss: +(buffered / growth).toFixed(2),
    };
  } finally {
    sender.close();
    sampler.stop();
    await stopCollector(c, 'SIGKILL');
    rmSync(c.dataDir, { recursive: true, force: true });
  }
}

interface CapResult {
  capMiB: number;
  calibrationSpansPerS: number | null;
  targetSpansPerS: number;
  sentSpansPerS: number;
  acceptedSpansPerS: number;
  rssIdleMiB: number;
  /** Max of the 100 ms samples from the first send to the end of the settle (SIGTERM not yet sent). */
  rssMaxMiB: number;
  rssMaxUnderLoadMiB: number;
  rssMaxSettleMiB: number;
  /** RSS at the end of the settle: every session decided and written, the collector idle (how near idle it settles). */
  rssEndOfSettleMiB: number;
  /** The collector's own guard (agenttail_process_rss_peak_bytes, 100 ms). */
  rssPeakSelfMiB: number;
  /** Max RSS while shutting down (SIGTERM → exit: open sessions decided, the store flushed). */
  rssMaxShutdownMiB: number | null;
  samplesOverCap: number;
  /** RSS samples from the first send to the end of the settle, and the longest gap between two (the aim: 100 ms). */
  samples: { count: number; maxGapMs: number };
  tally: SendTally;
  refusedRequests: number;
  allRefusalsRetryable: boolean;
  ackedSpans: number;
  ackedSessions: number;
  storedSpans: number | null;
  storedSessions: number | null;
  shutdown: { code: number | null; signal: string | null; ms: number; unwrittenBatches: unknown };
  collectorRefusals: Record<string, number>;
}

async function capPhase(): Promise<CapResult> {
  const c = await startRssCollector({
    sessions: { idleTimeoutMs: IDLE_MS },
    receive: { overload: { maxRssBytes: CAP_BYTES } },
    shutdownTimeoutMs: 60_000,
  });
  const sampler = new RssSampler(c.pid);
  const sender = new OtlpSender(c.proc.grpcTarget);
  try {
    const idle = await settledRss(sampler, 2_000, 6_000);
    const stream = new RequestStream(pool);
    const tally = emptyTally();
    const t0 = performance.now();
    let calibration: number | null = null;
    let target = num('rate', 0);
    if (!(target > 0)) {
      const calMs = num('calibrate', 1) * 1000;
      const before = tally.ackedSpans;
      await sendClosedLoop(sender, stream, { untilMs: t0 + calMs, concurrency: CONCURRENCY }, tally);
      calibration = ((tally.ackedSpans - before) / (performance.now() - t0)) * 1000;
      target = calibration * num('overload', 0);
      process.stderr.write(`cap: calibration accepted ${Math.round(calibration)} spans/s; sending ${Math.round(target)} spans/s for ${num('duration', 1)} s …\n`);
    }
    const durationMs = num('duration', 1) * 1000;
    const sentBefore = tally.sentSpans;
    const ackedBefore = tally.ackedSpans;
    const tl = performance.now();
    await sendOpenLoop(sender, stream, { spansPerSecond: target, spansPerRequest: poolInfo.spansPerRequest, durationMs, maxInFlight: 128 }, tally);
    const tEnd = performance.now();
    const loadS = (tEnd - tl) / 1000;
    // Long enough for the sessions to be decided and written and for the idle collection's two idle checks.
    await sleep(IDLE_MS + 6_000);
    const tSettled = performance.now();
    const endOfSettle = sampler.recent(500);
    const m = await scrape(c.proc.httpUrl);
    const refusedByCollector: Record<string, number> = {};
    for (const x of (m as Scrape).samples) if (x.name === 'agenttail_receive_requests_total' && x.labels.code !== 'ok') refusedByCollector[x.labels.code!] = (refusedByCollector[x.labels.code!] ?? 0) + x.value;
    if (c.proc.child.exitCode !== null) throw new Error(`collector exited during cap: ${c.proc.tail()}`);
    const stop = await stopCollector(c, 'SIGTERM');
    const tStopped = performance.now();
    await sleep(250); // the sampler thread's last messages
    sampler.stop();
    const done = c.proc.logs.find((l) => l.msg === 'shutdown complete');
    let storedSpans: number | null = null;
    let storedSessions: number | null = null;
    try {
      const [rows] = await queryDataDir<{ spans: string | number; sessions: string | number }>(join(c.dataDir, 'clickhouse'), ['SELECT sum(SpanCount) AS spans, count() AS sessions FROM agenttail.sessions FINAL']);
      storedSpans = Number(rows![0]!.spans);
      storedSessions = Number(rows![0]!.sessions);
    } catch (err) {
      process.stderr.write(`cap: reading the store failed: ${(err as Error).message}\n`);
    }
    const refusedRequests = Object.values(tally.refused).reduce((x, y) => x + y, 0);
    return {
      capMiB: CAP_MB,
      calibrationSpansPerS: calibration === null ? null : Math.round(calibration),
      targetSpansPerS: Math.round(target),
      sentSpansPerS: Math.round((tally.sentSpans - sentBefore) / loadS),
      acceptedSpansPerS: Math.round((tally.ackedSpans - ackedBefore) / loadS),
      rssIdleMiB: mib(idle),
      rssMaxMiB: mib(sampler.max(t0, tSettled)),
      rssMaxUnderLoadMiB: mib(sampler.max(t0, tEnd)),
      rssMaxSettleMiB: mib(sampler.max(tEnd, tSettled)),
      rssEndOfSettleMiB: mib(endOfSettle),
      rssPeakSelfMiB: mib(sum(m, 'agenttail_process_rss_peak_bytes')),
      rssMaxShutdownMiB: Number.isNaN(sampler.max(tSettled, tStopped)) ? null : mib(sampler.max(tSettled, tStopped)),
      samplesOverCap: sampler.samples.filter((s) => s.atMs >= t0 && s.atMs <= tSettled && s.rss > CAP_BYTES).length,
      samples: { count: sampler.samples.filter((s) => s.atMs >= t0 && s.atMs <= tSettled).length, maxGapMs: sampler.maxGapMs(t0, tSettled) },
      tally,
      refusedRequests,
      allRefusalsRetryable: tally.refusedRetryable === refusedRequests,
      ackedSpans: tally.ackedSpans,
      ackedSessions: tally.ackedSessions,
      storedSpans,
      storedSessions,
      shutdown: { ...stop, unwrittenBatches: done?.unwrittenBatches ?? null },
      collectorRefusals: refusedByCollector,
    };
  } finally {
    sender.close();
    sampler.stop();
    if (c.proc.child.exitCode === null && c.proc.child.signalCode === null) await stopCollector(c, 'SIGKILL');
    rmSync(c.dataDir, { recursive: true, force: true });
  }
}

const growth = PHASES.includes('growth') ? (process.stderr.write(`growth: ${REQUESTS} requests, ${CONCURRENCY} in flight …\n`), await growthPhase()) : null;
const cap = PHASES.includes('cap') ? await capPhase() : null;

const codes = (c: Record<string, number>): string => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || '–';
if (growth) {
  const t = new Table({ head: ['growth', 'wire MiB', 'requests / spans', 'RSS idle MiB', 'RSS after (2 s / 6 s) MiB', 'RSS peak MiB', 'growth MiB', 'growth / wire (2 s / 6 s)', 'peak / wire', 'buffered (own) MiB', 'buffered / wire', 'open sessions', 'heap used idle → after MiB'], style: { head: [], border: [] } });
  t.push([
    `${growth.sendSeconds} s`,
    growth.wireMiB,
    `${growth.requests} / ${growth.spans.toLocaleString('en')}`,
    growth.rssIdleMiB,
    `${growth.rssAfterMiB} / ${growth.rssSettledMiB}`,
    growth.rssPeakMiB,
    growth.growthMiB,
    `${growth.growthRatio} / ${growth.settledRatio}`,
    growth.peakRatio,
    growth.bufferedMiB,
    growth.bufferedRatio,
    `${growth.openSessions} (acked ${growth.sessionsAcked})`,
    `${growth.heapUsedMiB.idle} → ${growth.heapUsedMiB.after}`,
  ]);
  console.log(t.toString());
}
if (cap) {
  const t = new Table({ head: ['cap', 'spans/s calibrated / target / sent / accepted', 'RSS idle MiB', 'RSS max load / settle, at its end / shutdown MiB', 'own peak MiB', 'samples > cap (of; max gap ms)', 'requests ok / refused', 'refused by code (gRPC; AGT)', 'with RetryInfo', 'spans acked / stored', 'sessions acked / stored', 'shutdown'], style: { head: [], border: [] } });
  t.push([
    `${cap.capMiB} MiB`,
    `${cap.calibrationSpansPerS ?? '–'} / ${cap.targetSpansPerS} / ${cap.sentSpansPerS} / ${cap.acceptedSpansPerS}`,
    cap.rssIdleMiB,
    `${cap.rssMaxUnderLoadMiB} / ${cap.rssMaxSettleMiB}, ${cap.rssEndOfSettleMiB} / ${cap.rssMaxShutdownMiB ?? '–'}`,
    cap.rssPeakSelfMiB,
    `${cap.samplesOverCap} (${cap.samples.count}; ${cap.samples.maxGapMs})`,
    `${cap.tally.okRequests} / ${cap.refusedRequests}${cap.tally.behind > 0 ? ` (${cap.tally.behind} skipped, 128 in flight)` : ''}`,
    `${codes(cap.tally.refused)}; ${codes(cap.tally.refusedBy)}`,
    `${cap.tally.refusedRetryable} / ${cap.refusedRequests}`,
    `${cap.ackedSpans.toLocaleString('en')} / ${cap.storedSpans?.toLocaleString('en') ?? '–'}`,
    `${cap.ackedSessions.toLocaleString('en')} / ${cap.storedSessions?.toLocaleString('en') ?? '–'}`,
    `exit ${cap.shutdown.code ?? cap.shutdown.signal} in ${(cap.shutdown.ms / 1000).toFixed(1)} s, unwritten batches ${JSON.stringify(cap.shutdown.unwrittenBatches)}`,
  ]);
  console.log(t.toString());
  for (const s of cap.tally.notRetryableSamples) console.log(`refusal without RetryInfo: ${s}`);
}

const targets = {
  growthRatio: growth ? { goal: 1.3, measured: growth.growthRatio, settled: growth.settledRatio, met: growth.growthRatio <= 1.3, metSettled: growth.settledRatio <= 1.3 } : null,
  capRss: cap ? { goal: cap.capMiB, measured: Math.max(cap.rssMaxMiB, cap.rssPeakSelfMiB), met: Math.max(cap.rssMaxMiB, cap.rssPeakSelfMiB) <= cap.capMiB } : null,
  refusalsRetryable: cap ? { goal: 'every refusal RESOURCE_EXHAUSTED / UNAVAILABLE with RetryInfo', measured: `${cap.tally.refusedRetryable} of ${cap.refusedRequests}`, met: cap.allRefusalsRetryable } : null,
  nothingLost: cap ? { goal: cap.ackedSpans, measured: cap.storedSpans, met: cap.storedSpans === cap.ackedSpans } : null,
};
console.log(
  [
    targets.growthRatio && `RSS growth ≤ 1.3× wire: 2 s after the load ${targets.growthRatio.met ? 'met' : 'NOT met'} (${growth!.growthRatio}×), 6 s after ${targets.growthRatio.metSettled ? 'met' : 'NOT met'} (${growth!.settledRatio}×; peak ${growth!.peakRatio}×)`,
    targets.capRss && `RSS ≤ cap ${cap!.capMiB} MiB: ${targets.capRss.met ? 'met' : 'NOT met'} (max ${cap!.rssMaxMiB} MiB outside, ${cap!.rssPeakSelfMiB} MiB by its own guard)`,
    targets.refusalsRetryable && `every refusal retryable with RetryInfo: ${targets.refusalsRetryable.met ? 'met' : 'NOT met'} (${targets.refusalsRetryable.measured})`,
    targets.nothingLost && `nothing acknowledged lost: ${targets.nothingLost.met ? 'met' : 'NOT met'} (acked ${cap!.ackedSpans} spans, stored ${cap!.storedSpans})`,
  ]
    .filter(Boolean)
    .join('\n'),
);
console.log(
  JSON.stringify(
    {
      bench: 'buffered-rss',
      node: process.version,
      params: { traffic: TRAFFIC, phases: PHASES, requests: REQUESTS, concurrency: CONCURRENCY, capMb: CAP_MB, overload: num('overload', 0), rate: num('rate', 0), durationS: num('duration', 1), calibrateS: num('calibrate', 1), idleMs: IDLE_MS },
      pool: poolInfo,
      growth,
      cap,
      targets,
    },
    null,
    2,
  ),
);
