/**
 * One load-generator process (forked by bench/e2e/load.ts, never inside the collector): sends the pool's
 * Export requests over OTLP gRPC (@grpc/grpc-js, raw bytes) at a target span rate or as fast as they are
 * accepted, for a duration, and reports cumulative counts to its parent over IPC once a second.
 * Argument: the JSON of GeneratorParams.
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { rawBytes, TRACE_EXPORT_PATH } from '../../src/otlp/trace-service.js';
import { poolFromJson, stamp, type RequestTemplate } from './requests.js';

export interface GeneratorParams {
  /** host:port of the OTLP gRPC receiver. */
  target: string;
  /** File written by poolToJson. */
  poolFile: string;
  /** 0-based; goes into the nonce so processes never send the same sessions. */
  senderIndex: number;
  durationMs: number;
  /** Spans per second this process aims at; 0 = as fast as accepted (closed loop at `concurrency`). */
  spansPerSecond: number;
  /** Most requests in flight at once. */
  concurrency: number;
  /** HTTP/2 connections used round robin. */
  channels: number;
}

/** Cumulative counts, sent once a second and at the end. */
export interface GeneratorReport {
  type: 'tick' | 'done';
  elapsedMs: number;
  okRequests: number;
  okSpans: number;
  sentSpans: number;
  /** Non-OK answers by gRPC status name. */
  codes: Record<string, number>;
  /** Sends skipped in rate mode because `concurrency` requests were already in flight. */
  behind: number;
  /** Round-trip times of OK requests, ms (only in the 'done' report). */
  rttMs?: number[];
  cpuUserMs: number;
  cpuSystemMs: number;
}

const STATUS_NAMES = new Map<number, string>(Object.entries(status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));

/** Runs one generator to completion. Exported for the smoke test; the process entry calls it below. */
export async function runGenerator(p: GeneratorParams, onReport: (r: GeneratorReport) => void): Promise<GeneratorReport> {
  const pool = poolFromJson(readFileSync(p.poolFile, 'utf8'));
  const clients = Array.from(
    { length: Math.max(1, p.channels) },
    () => new Client(p.target, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.use_local_subchannel_pool': 1 }),
  );
  const spansPerRequest = pool.reduce((n, x) => n + x.a.spans + x.b.spans, 0) / (pool.length * 2);
  const r: GeneratorReport = { type: 'tick', elapsedMs: 0, okRequests: 0, okSpans: 0, sentSpans: 0, codes: {}, behind: 0, cpuUserMs: 0, cpuSystemMs: 0 };
  const rtt: number[] = [];
  const nonceBase = (p.senderIndex + 1) * 2 ** 40;
  let step = 0;
  let inFlight = 0;
  const t0 = performance.now();
  const deadline = t0 + p.durationMs;

  /** Step 2k sends part A of pair k % pool, step 2k+1 its part B; both with nonce k. */
  const next = (): RequestTemplate & { nonce: number } => {
    const k = Math.floor(step / 2);
    const pair = pool[k % pool.length]!;
    const t = step % 2 === 0 ? pair.a : pair.b;
    step++;
    return { ...t, nonce: nonceBase + k };
  };

  const sendOne = (done: () => void): void => {
    const t = next();
    const body = stamp(t, t.nonce);
    const client = clients[step % clients.length]!;
    inFlight++;
    r.sentSpans += t.spans;
    const started = performance.now();
    client.makeUnaryRequest(TRACE_EXPORT_PATH, rawBytes, rawBytes, body, new Metadata(), { deadline: Date.now() + 60_000 }, (err: ServiceError | null) => {
      inFlight--;
      if (err) {
        const name = STATUS_NAMES.get(err.code) ?? String(err.code);
        r.codes[name] = (r.codes[name] ?? 0) + 1;
      } else {
        r.okRequests++;
        r.okSpans += t.spans;
        rtt.push(performance.now() - started);
      }
      done();
    });
  };

  const snapshot = (type: GeneratorReport['type']): GeneratorReport => {
    const cpu = process.cpuUsage();
    return { ...r, codes: { ...r.codes }, type, elapsedMs: performance.now() - t0, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 };
  };
  const ticker = setInterval(() => onReport(snapshot('tick')), 1000);

  await new Promise<void>((resolve) => {
    // The open loop's pacing timer may fire late on a loaded machine: an answer that comes after the deadline but
    // before the timer saw it must not end the run (and close the clients) while the timer can still send.
    let pacing = p.spansPerSecond > 0;
    const maybeEnd = (): void => {
      if (!pacing && inFlight === 0 && performance.now() >= deadline) resolve();
    };
    if (p.spansPerSecond <= 0) {
      // Closed loop: each answer sends the next request until the deadline.
      // Past the deadline a pending part B is still sent, so no session is left without its roots.
      const loop = (): void => {
        if (performance.now() < deadline || step % 2 === 1) sendOne(loop);
        else maybeEnd();
      };
      for (let i = 0; i < p.concurrency; i++) loop();
      return;
    }
    // Open loop: requests due by the clock are sent; one that finds `concurrency` in flight is skipped (behind).
    const requestsPerMs = p.spansPerSecond / spansPerRequest / 1000;
    let due = 0;
    const pace = setInterval(() => {
      const now = performance.now();
      if (now >= deadline) {
        clearInterval(pace);
        pacing = false;
        if (step % 2 === 1) sendOne(maybeEnd);
        maybeEnd();
        return;
      }
      const target = Math.floor((now - t0) * requestsPerMs);
      for (; due < target; due++) {
        if (inFlight >= p.concurrency) r.behind++;
        else sendOne(maybeEnd);
      }
    }, 5);
  });
  clearInterval(ticker);
  for (const c of clients) c.close();
  const done = snapshot('done');
  done.rttMs = rtt;
  onReport(done);
  return done;
}

// Process entry: forked with the params as argv[2].
if (process.send !== undefined && process.argv[2] !== undefined) {
  const params = JSON.parse(process.argv[2]) as GeneratorParams;
  // The 'done' report (every round-trip time: ~250 KB at 400K spans/s for 15 s) may still be in the pipe when the
  // run ends; disconnecting then dropped it, and the parent saw a generator exit without its totals.
  let sent: Promise<void> = Promise.resolve();
  const send = (report: GeneratorReport): void => {
    sent = new Promise((resolve) => process.send!(report, undefined, undefined, () => resolve()));
  };
  runGenerator(params, send).then(
    () => sent.then(() => process.disconnect()),
    (err: unknown) => {
      process.stderr.write(`generator ${params.senderIndex}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
