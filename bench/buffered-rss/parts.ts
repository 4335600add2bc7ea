/**
 * Parts of bench/buffered-rss.ts, apart so the smoke test can use them: whole-session requests from the e2e pool, the
 * collector child configured only through AGENTTAIL_CFG__* variables, its RSS read from /proc, and an OTLP/gRPC sender
 * that reads every answer as an outsider would (partial_success, gRPC code, the RetryInfo in grpc-status-details-bin).
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNameFor } from '../../src/config/env.js';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';
import { startCollectorProcess, type CollectorProcess } from '../../test/support/collector-process.js';
import { decodeRpcStatus } from '../../test/support/rpc-status.js';
import { ensureBuilt } from '../e2e/collector.js';
import { buildPool, NONCE_BYTES, stamp, type RequestTemplate } from '../e2e/requests.js';
import { encodeTraces } from '../../src/simulate/encode.js';
import { generateScenario, type SimSpan, type SimTrace } from '../../src/simulate/scenario.js';
import { mulberry32 } from '../../src/prng.js';

/** One request shape: whole sessions (roots included), stamped with a fresh nonce per send. */
export interface WholeTemplate {
  template: RequestTemplate;
  sessions: number;
}

/**
 * The e2e pool (bench/e2e/requests.ts: ~12 attributes per span, a 2 KiB prompt on each turn's first model call) with
 * each pair's parts A and B joined into ONE request: an ExportTraceServiceRequest is `repeated ResourceSpans = 1`, so
 * two encoded requests one after the other are one request holding both. Every request then carries whole sessions
 * under one nonce, so a request is a set of sessions no other request touches (fresh session and trace ids per send).
 */
export function wholeSessionPool(pairs: number, spansPerRequest: number, seed = 7): WholeTemplate[] {
  return buildPool({ pairs, spansPerRequest: Math.max(1, Math.round(spansPerRequest / 2)), seed }).map((p) => ({
    template: {
      bytes: Buffer.concat([p.a.bytes, p.b.bytes]),
      spans: p.a.spans + p.b.spans,
      textOffsets: [...p.a.textOffsets, ...p.b.textOffsets.map((o) => o + p.a.bytes.length)],
      binOffsets: [...p.a.binOffsets, ...p.b.binOffsets.map((o) => o + p.a.bytes.length)],
    },
    sessions: p.sessions,
  }));
}

/** Nonce slots of the lean pool, the sizes bench/e2e/requests.ts's stamp() writes: 12 text characters, NONCE_BYTES bytes. */
const TEXT_SLOT = 'QzQzQzQzQzQz';
const BIN_SLOT = Buffer.from([0xd3, 0x7a, 0xb1, 0x9c, 0xe5, 0x43]);
if (BIN_SLOT.length !== NONCE_BYTES) throw new Error('lean pool: the binary slot must be NONCE_BYTES long');

function offsetsOf(bytes: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = bytes.indexOf(needle); i !== -1; i = bytes.indexOf(needle, i + needle.length)) out.push(i);
  return out;
}

/** The short attributes bench/e2e/requests.ts adds to every span (~12 in all), without its long prompt and completion texts. */
function enrichShort(span: SimSpan, rand: () => number): void {
  const a = span.attributes;
  a['user.id'] = `user-${Math.floor(rand() * 500)}`;
  a['server.address'] = 'api.example-llm.com';
  a['code.function'] = span.name.split(' ')[0]!;
  a['thread.id'] = 1 + Math.floor(rand() * 16);
  if (span.kind === 3) {
    a['gen_ai.request.temperature'] = 0.2;
    a['gen_ai.response.finish_reasons'] = 'stop';
  }
}

/**
 * The same sessions as the e2e pool (src/simulate/scenario.ts, same shares) with only short attributes: no 2 KiB
 * prompts or 512-byte completions, so the wire bytes are the span structure and ~12 small attributes (~500 bytes per
 * span), the shape where per-span and per-attribute overhead weighs most.
 */
export function leanSessionPool(templates: number, spansPerRequest: number, seed = 7): WholeTemplate[] {
  return Array.from({ length: templates }, (_, i) => {
    const rand = mulberry32(seed * 7919 + i);
    const traces: SimTrace[] = [];
    let spans = 0;
    let sessions = 0;
    for (let batch = 0; spans < spansPerRequest; batch++) {
      const more = generateScenario({
        sessions: 8,
        seed: seed * 100_003 + i * 1_009 + batch,
        runId: `${TEXT_SLOT}-p${i}b${batch}`,
        shares: { error: 0.03, rarePath: 0.02, costOutlier: 0.02, lowEval: 0.02, lateLowEval: 0 },
        nowMs: Date.now(),
        throttleShare: 0,
      });
      for (const s of more) {
        if (spans >= spansPerRequest) break;
        sessions++;
        for (const t of s.traces) {
          let traceId = BIN_SLOT.toString('hex');
          for (let k = 0; k < 10; k++) traceId += Math.floor(rand() * 256).toString(16).padStart(2, '0');
          for (const span of t.spans) enrichShort(span, rand);
          traces.push({ ...t, traceId });
          spans += t.spans.length;
        }
      }
    }
    const bytes = Buffer.from(encodeTraces(traces, { serviceName: 'support-agent' }));
    const textOffsets = offsetsOf(bytes, Buffer.from(TEXT_SLOT, 'latin1'));
    const binOffsets = offsetsOf(bytes, BIN_SLOT);
    if (binOffsets.length !== spans || textOffsets.length < spans) throw new Error(`lean pool: ${spans} spans but ${binOffsets.length} trace-id and ${textOffsets.length} session-id slots`);
    return { template: { bytes, spans, textOffsets, binOffsets }, sessions };
  });
}

/** Hands out stamped requests: template i % n, nonce i + 1 (unique per request). */
export class RequestStream {
  private i = 0;
  constructor(
    private readonly pool: readonly WholeTemplate[],
    private readonly nonceBase = 0,
  ) {}
  next(): { body: Buffer; spans: number; sessions: number } {
    const t = this.pool[this.i % this.pool.length]!;
    this.i++;
    return { body: stamp(t.template, this.nonceBase + this.i), spans: t.template.spans, sessions: t.sessions };
  }
}

/** `{ sessions: { idleTimeoutMs: 5 } }` → `{ AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS: '5' }`. */
export function configEnv(config: Record<string, unknown>, path: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, configEnv(v as Record<string, unknown>, [...path, k]));
    else out[envNameFor([...path, k])] = String(v);
  }
  return out;
}

/** A collector child and its temp data directory. */
export interface RssCollector {
  proc: CollectorProcess;
  pid: number;
  dataDir: string;
  env: Record<string, string>;
}

/**
 * `node dist/cli.js serve` (built first when dist/ is older than src/) with every setting from the environment: the
 * config file startCollectorProcess writes is `{}`. Data in a fresh temp dir, both receivers on port 0 (the listening
 * log line names the ports), info logs (the default level).
 */
export async function startRssCollector(settings: Record<string, unknown>): Promise<RssCollector> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'agt-rss-'));
  const base = { dataDir, receive: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } } };
  const env = configEnv(base);
  Object.assign(env, configEnv(settings));
  const proc = await startCollectorProcess(dataDir, {}, { env });
  return { proc, pid: proc.child.pid!, dataDir, env };
}

/** VmRSS of a process in bytes (Linux /proc/<pid>/status); null once it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Reads VmRSS on its own thread, so a busy generator loop on the main thread does not stretch the interval. */
const SAMPLER_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const take = () => {
  try {
    const m = /VmRSS:\\s+(\\d+)\\s+kB/.exec(readFileSync('/proc/' + workerData.pid + '/status', 'utf8'));
    if (m) parentPort.postMessage([performance.timeOrigin + performance.now(), Number(m[1]) * 1024]);
  } catch {}
};
take();
setInterval(take, workerData.everyMs);
`;

/**
 * Samples a process's RSS every `everyMs` from outside, on a worker thread (the timestamps are the thread's, in this
 * thread's performance.now() terms, so late delivery does not shift them).
 */
export class RssSampler {
  readonly samples: { atMs: number; rss: number }[] = [];
  /** Resolves at the first sample. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  constructor(pid: number, everyMs = 100) {
    this.worker = new Worker(SAMPLER_THREAD, { eval: true, workerData: { pid, everyMs } });
    this.worker.unref();
    this.ready = new Promise((resolve) => {
      this.worker.on('message', ([at, rss]: [number, number]) => {
        this.samples.push({ atMs: at - performance.timeOrigin, rss });
        resolve();
      });
    });
  }
  /** Highest sample in [fromMs, toMs] (performance.now() times); NaN without samples. */
  max(fromMs = 0, toMs = Infinity): number {
    let m = NaN;
    for (const s of this.samples) if (s.atMs >= fromMs && s.atMs <= toMs && !(s.rss <= m)) m = s.rss;
    return m;
  }
  /** Longest gap between consecutive samples in [fromMs, toMs]: how close to `everyMs` the sampling kept. */
  maxGapMs(fromMs = 0, toMs = Infinity): number {
    let gap = 0;
    const xs = this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
    for (let i = 1; i < xs.length; i++) gap = Math.max(gap, xs[i]!.atMs - xs[i - 1]!.atMs);
    return Math.round(gap);
  }
  /** Median of the samples in the last `windowMs`. */
  recent(windowMs: number): number {
    const now = performance.now();
    const xs = this.samples.filter((s) => s.atMs >= now - windowMs).map((s) => s.rss).sort((a, b) => a - b);
    return xs.length === 0 ? (this.samples.at(-1)?.rss ?? NaN) : xs[Math.floor(xs.length / 2)]!;
  }
  stop(): void {
    void this.worker.terminate();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until start-up has settled: at least `minMs`, then until the samples of the last second span less than
 * `toleranceBytes` (at most `maxMs`). Returns the median of the last second.
 */
export async function settledRss(sampler: RssSampler, minMs = 3_000, maxMs = 10_000, toleranceBytes = 2 * 1024 * 1024): Promise<number> {
  const t0 = performance.now();
  await sleep(minMs);
  while (performance.now() - t0 < maxMs) {
    const now = performance.now();
    const last = sampler.samples.filter((s) => s.atMs >= now - 1_000).map((s) => s.rss);
    if (last.length > 0 && Math.max(...last) - Math.min(...last) < toleranceBytes) break;
    await sleep(200);
  }
  return sampler.recent(1_000);
}

const STATUS_NAMES = new Map<number, string>(Object.entries(status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));

/** What the collector answered to one Export. */
export type Outcome =
  | { ok: true; rejected: number; ms: number }
  | { ok: false; code: string; ms: number; retryDelayMs: number | null; message: string };

/** Reads a protobuf varint at `pos`; [value, next pos]. */
function varint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const x = b[pos++]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, pos];
    mul *= 128;
  }
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; … } }. */
export function rejectedSpans(response: Buffer | undefined): number {
  if (!response || response.length === 0) return 0;
  let pos = 0;
  while (pos < response.length) {
    const [tag, p1] = varint(response, pos);
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) throw new Error(`unexpected field ${tag >>> 3} in the Export response`);
    const [len, p2] = varint(response, p1);
    const inner = response.subarray(p2, p2 + len);
    pos = p2 + len;
    let q = 0;
    while (q < inner.length) {
      const [t, q1] = varint(inner, q);
      if (t === 0x08) return varint(inner, q1)[0];
      if ((t & 7) !== 2) throw new Error(`unexpected partial_success field ${t >>> 3}`);
      const [l, q2] = varint(inner, q1);
      q = q2 + l;
    }
  }
  return 0;
}

/** Raw-bytes OTLP/gRPC TraceService client over `channels` HTTP/2 connections (as bench/e2e/generator.ts). */
export class OtlpSender {
  private readonly clients: Client[];
  private n = 0;
  constructor(target: string, channels = 2) {
    this.clients = Array.from(
      { length: Math.max(1, channels) },
      () => new Client(target, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.use_local_subchannel_pool': 1 }),
    );
  }

  send(body: Buffer, deadlineMs = 60_000): Promise<Outcome> {
    const client = this.clients[this.n++ % this.clients.length]!;
    const t0 = performance.now();
    return new Promise((resolve) => {
      client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, body, new Metadata(), { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, res?: Buffer) => {
        const ms = performance.now() - t0;
        if (!err) return resolve({ ok: true, rejected: rejectedSpans(res), ms });
        const details = err.metadata?.get('grpc-status-details-bin')[0];
        let retryDelayMs: number | null = null;
        if (details instanceof Buffer) {
          try {
            retryDelayMs = decodeRpcStatus(details).retryDelayMs;
          } catch {
            retryDelayMs = null;
          }
        }
        resolve({ ok: false, code: STATUS_NAMES.get(err.code) ?? String(err.code), ms, retryDelayMs, message: err.details });
      });
    });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** Counts of a run of sends. */
export interface SendTally {
  sentRequests: number;
  sentSpans: number;
  sentWireBytes: number;
  okRequests: number;
  /** Spans acknowledged: those of OK answers minus their partial_success rejected_spans. */
  ackedSpans: number;
  ackedSessions: number;
  ackedWireBytes: number;
  rejectedSpans: number;
  /** Refused requests by gRPC code. */
  refused: Record<string, number>;
  /** Refusals that were RESOURCE_EXHAUSTED or UNAVAILABLE with a RetryInfo detail. */
  refusedRetryable: number;
  /** A few messages of refusals that were not (for the report). */
  notRetryableSamples: string[];
  /** Sends skipped in open loop because `maxInFlight` were already in flight. */
  behind: number;
  /** Refusal messages by their AGT_ERR code (the text before the colon). */
  refusedBy: Record<string, number>;
}

export function emptyTally(): SendTally {
  return { sentRequests: 0, sentSpans: 0, sentWireBytes: 0, okRequests: 0, ackedSpans: 0, ackedSessions: 0, ackedWireBytes: 0, rejectedSpans: 0, refused: {}, refusedRetryable: 0, notRetryableSamples: [], behind: 0, refusedBy: {} };
}

async function sendCounted(sender: OtlpSender, stream: RequestStream, t: SendTally): Promise<void> {
  const r = stream.next();
  t.sentRequests++;
  t.sentSpans += r.spans;
  t.sentWireBytes += r.body.length;
  const o = await sender.send(r.body);
  if (o.ok) {
    t.okRequests++;
    t.ackedSpans += r.spans - o.rejected;
    t.rejectedSpans += o.rejected;
    if (o.rejected === 0) t.ackedSessions += r.sessions;
    t.ackedWireBytes += r.body.length;
    return;
  }
  t.refused[o.code] = (t.refused[o.code] ?? 0) + 1;
  const agt = o.message.split(':')[0]!;
  t.refusedBy[agt] = (t.refusedBy[agt] ?? 0) + 1;
  if ((o.code === 'RESOURCE_EXHAUSTED' || o.code === 'UNAVAILABLE') && o.retryDelayMs !== null) t.refusedRetryable++;
  else if (t.notRetryableSamples.length < 5) t.notRetryableSamples.push(`${o.code} retryDelayMs=${o.retryDelayMs}: ${o.message}`);
}

/** Closed loop: `requests` sends (or until `untilMs`, performance.now()) with `concurrency` in flight. */
export async function sendClosedLoop(sender: OtlpSender, stream: RequestStream, o: { requests?: number; untilMs?: number; concurrency: number }, t = emptyTally()): Promise<SendTally> {
  const more = (): boolean => (o.requests === undefined || t.sentRequests < o.requests) && (o.untilMs === undefined || performance.now() < o.untilMs);
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (more()) await sendCounted(sender, stream, t);
    }),
  );
  return t;
}

/** Open loop: requests due by the clock at `spansPerSecond` for `durationMs`; a send that finds `maxInFlight` in flight is skipped (behind). */
export async function sendOpenLoop(sender: OtlpSender, stream: RequestStream, o: { spansPerSecond: number; spansPerRequest: number; durationMs: number; maxInFlight: number }, t = emptyTally()): Promise<SendTally> {
  const perMs = o.spansPerSecond / o.spansPerRequest / 1000;
  const t0 = performance.now();
  let due = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const pace = setInterval(() => {
      const now = performance.now();
      if (now - t0 >= o.durationMs) {
        clearInterval(pace);
        resolve();
        return;
      }
      for (const target = Math.floor((now - t0) * perMs); due < target; due++) {
        if (inFlight >= o.maxInFlight) {
          t.behind++;
          continue;
        }
        inFlight++;
        const p = sendCounted(sender, stream, t).finally(() => {
          inFlight--;
          pending.delete(p);
        });
        pending.add(p);
      }
    }, 5);
  });
  await Promise.all(pending);
  return t;
}
