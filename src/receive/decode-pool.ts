/**
 * Trace decode workers (receive.decodeWorkers): decode → tenant → normalize → price off the main thread, in
 * worker_threads running src/receive/decode-worker.ts. A request's body goes to the worker as a transferred copy;
 * its spans come back as one transferred ArrayBuffer (span-transfer.ts) and are rebuilt on the main thread.
 *
 * What holds as without workers:
 * - Order: answers are handed out in the order requests came in, whatever worker finished first, so the sink takes
 *   requests, and each session's spans, in arrival order.
 * - Nothing is answered before it is logged: the pool only reads; the sink logs as before.
 * - A worker that dies (a crash, out of memory, terminated) is replaced; the requests it held are answered with a
 *   retryable AGT_ERR_DECODE_WORKER_LOST, so clients send them again and nothing acknowledged is lost. One still
 *   reading a request MAX_READ_MS after it was handed over is stuck: it is ended, and the same follows.
 * - Work waiting for the workers is bounded (bytes per worker); past it, requests get a retryable AGT_ERR_OVERLOADED.
 */
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Counter, Gauge, type Registry } from 'prom-client';
import { partCrashDue } from '../crashpoints.js';
import type { Config } from '../config/schema.js';
import { decodeWorkerCount } from '../config/receive.js';
import { configuredReads } from '../config/redaction.js';
import type { Logger } from '../log.js';
import { AgtError } from '../model/errors.js';
import { failed, ok, retryable, type Outcome } from '../model/outcome.js';
import type { NormalizedSpan } from '../model/span.js';
import type { TenantAuth } from './auth.js';
import type { DecodeAnswer, DecodeJob, DecodeWorkerSetup, FailureParts, WORKER_READY } from './decode-worker.js';
import type { ReadRequest } from './signal-route.js';
import { decodeTransferredSpans } from './span-transfer.js';

/** Bytes of request bodies one worker may hold waiting (past it, requests are refused retryably). */
export const MAX_QUEUED_BYTES_PER_WORKER = 64 * 1024 * 1024;
/**
 * A worker still reading a request this long after it was handed over is ended and replaced (its requests answered
 * retryably): a 16 MiB request reads in well under a second, so only a worker stuck in a loop gets here.
 */
export const MAX_READ_MS = 30_000;
/** A worker that dies before it is ready is restarted after this pause (a crash at load would spin). */
const RESTART_PAUSE_MS = 1_000;

export type DecodedRead = Outcome<ReadRequest<NormalizedSpan>>;

interface Job {
  id: number;
  bytes: number;
  /** When it was handed to its slot (ms). */
  sentAtMs: number;
  slot: Slot;
  answer: DecodedRead | DecodeAnswer | null;
  resolve: (read: DecodedRead) => void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  /** Jobs sent and not answered, by id. */
  held: Map<number, Job>;
  heldBytes: number;
  /** Jobs for this slot while its worker is being replaced, posted to the replacement. */
  waiting: DecodeJob[];
  /**
   * When its worker said it was ready (ms), null while it starts: a request sent before counts its time stuck from
   * here.
   */
  readyAtMs: number | null;
  /** Why the pool ended this slot's worker (it was stuck), for the answers of the requests it held. */
  endedBecause: string | null;
}

export class DecodePoolMetrics {
  readonly workers: Gauge;
  readonly restarts: Counter;
  readonly queuedBytes: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.workers = new Gauge({ name: 'agenttail_receive_decode_workers', help: 'Trace decode workers running (receive.decodeWorkers; 0 = traces are decoded on the main thread)', registers });
    this.restarts = new Counter({ name: 'agenttail_receive_decode_worker_restarts_total', help: 'Decode workers that stopped and were replaced (their requests were answered AGT_ERR_DECODE_WORKER_LOST, retryable)', registers });
    this.queuedBytes = new Gauge({ name: 'agenttail_receive_decode_queued_bytes', help: 'Request bytes handed to the decode workers and not answered yet', registers });
  }
}

/** AGT_CRASH_AT=decode-worker:<n>: the n-th request handed over ends its worker (src/crashpoints.ts). */
function defaultFault(): DecodeJob['fault'] {
  return partCrashDue('decode-worker') ? 'crash' : undefined;
}

/** tsx's ESM register API (its `import` export: the CommonJS one cannot register hooks from a worker). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exportsOf = (require(manifest) as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(manifest), exportsOf['./esm/api']!.import.default)).href;
}

/** How to start the worker module: compiled JavaScript as is; TypeScript sources (tests, benches) through tsx. */
function spawn(data: unknown): Worker {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const entry = new URL(`./decode-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(entry, { workerData: data });
  // Running from sources: the worker registers tsx (a dev dependency, present wherever sources run) first.
  const tsx = tsxEsmApi();
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  /** Jobs in the order they came in; answered from the front only. */
  private readonly order: Job[] = [];
  private nextId = 1;
  private closed = false;
  private spawned = false;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    private readonly p: {
      size: number;
      setup: DecodeWorkerSetup;
      log: Logger;
      metrics?: DecodePoolMetrics;
      retryAfterMs: number;
      maxQueuedBytesPerWorker?: number;
      /** MAX_READ_MS unless a test sets it. */
      maxReadMs?: number;
      /**
       * Fault injection for the n-th request handed over (default: AGT_CRASH_AT=decode-worker:<n> crashes one worker,
       * src/crashpoints.ts); tests also make a worker hang.
       */
      fault?: () => DecodeJob['fault'];
    },
  ) {
    if (p.size < 1) throw new Error('a decode pool needs at least one worker');
    for (let i = 0; i < p.size; i++) this.slots.push({ index: i, worker: null, held: new Map(), heldBytes: 0, waiting: [], readyAtMs: null, endedBecause: null });
  }

  get size(): number {
    return this.p.size;
  }

  /** Starts the workers; resolves once each has built its decoder, rejects if one fails while starting. */
  start(): Promise<void> {
    this.spawnAll();
    if (this.slots.every((s) => s.readyAtMs !== null)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * Reads one request on a worker. Answers come in the order of the calls. `body` is copied: the caller keeps it
   * (the sink logs it).
   */
  read(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number, principal: TenantAuth): Promise<DecodedRead> {
    if (this.closed) return Promise.resolve(retryable(new AgtError('AGT_ERR_SHUTTING_DOWN', 'the collector is shutting down'), this.p.retryAfterMs));
    this.spawnAll();
    let slot: Slot | null = null;
    for (const s of this.slots) if (slot === null || (s.worker !== null && (slot.worker === null || s.heldBytes < slot.heldBytes))) slot = s;
    if (slot === null) throw new Error('a decode pool without workers');
    const limit = this.p.maxQueuedBytesPerWorker ?? MAX_QUEUED_BYTES_PER_WORKER;
    if (slot.held.size > 0 && slot.heldBytes + body.byteLength > limit) {
      const mib = (this.queuedBytes() / 1048576).toFixed(1);
      return Promise.resolve(retryable(new AgtError('AGT_ERR_OVERLOADED', `collector overloaded: the decode workers hold ${mib} MiB of requests not read yet (limit ${limit / 1048576} MiB per worker)`, { retryInMs: this.p.retryAfterMs }), this.p.retryAfterMs));
    }
    const copy = new Uint8Array(body.byteLength);
    copy.set(body);
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, bytes: body.byteLength, sentAtMs: Date.now(), slot, answer: null, resolve };
      this.order.push(job);
      slot.held.set(job.id, job);
      slot.heldBytes += job.bytes;
      this.p.metrics?.queuedBytes.set(this.queuedBytes());
      const msg: DecodeJob = { id: job.id, body: copy, format, nowMs, principal };
      const fault = (this.p.fault ?? defaultFault)();
      if (fault !== undefined) msg.fault = fault;
      if (slot.worker === null) slot.waiting.push(msg);
      else slot.worker.postMessage(msg, [copy.buffer]);
    });
  }

  /** Stops the workers; requests they hold are answered AGT_ERR_SHUTTING_DOWN (retryable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog !== null) clearInterval(this.watchdog);
    const stopping = this.slots.map((s) => s.worker?.terminate());
    await Promise.allSettled(stopping);
  }

  /** Ends one worker as a crash would (tests, and operators' chaos drills): it is replaced, its requests answered retryably. */
  async terminateWorker(index: number): Promise<void> {
    await this.slots[index]?.worker?.terminate();
  }

  private spawnAll(): void {
    if (this.spawned || this.closed) return;
    this.spawned = true;
    for (const s of this.slots) this.startWorker(s);
    const maxReadMs = this.p.maxReadMs ?? MAX_READ_MS;
    this.watchdog = setInterval(() => this.endStuckWorkers(maxReadMs), Math.max(10, Math.min(1_000, maxReadMs / 4)));
    this.watchdog.unref();
  }

  /** Ends a worker whose oldest request (requests are read in the order sent) has been held past `maxReadMs`. */
  private endStuckWorkers(maxReadMs: number): void {
    const now = Date.now();
    for (const slot of this.slots) {
      const oldest = slot.held.values().next();
      // A worker still starting (building its decoder, under tsx from sources) is not stuck.
      if (oldest.done === true || slot.worker === null || slot.readyAtMs === null || slot.endedBecause !== null) continue;
      const heldMs = now - Math.max(oldest.value.sentAtMs, slot.readyAtMs);
      if (heldMs <= maxReadMs) continue;
      slot.endedBecause = `it was still reading after ${heldMs < 10_000 ? `${heldMs} ms` : `${Math.round(heldMs / 1000)} s`}`;
      this.p.log.error({ worker: slot.index, heldMs, heldRequests: slot.held.size }, 'decode worker stuck; ending it');
      void slot.worker.terminate();
    }
  }

  private startWorker(slot: Slot): void {
    const worker = spawn({ decodeWorker: this.p.setup });
    // The collector's shutdown stops the workers; a process that never called it may still exit.
    worker.unref();
    slot.worker = worker;
    slot.readyAtMs = null;
    worker.on('message', (m: DecodeAnswer | typeof WORKER_READY) => {
      if (typeof m === 'string') {
        slot.readyAtMs = Date.now();
        this.p.metrics?.workers.inc();
        if (this.slots.every((s) => s.readyAtMs !== null)) for (const w of this.readyWaiters.splice(0)) w.resolve();
        return;
      }
      const job = slot.held.get(m.id);
      if (job === undefined) return;
      this.settle(job, m);
    });
    worker.on('error', (err) => this.p.log.error({ err, worker: slot.index }, 'decode worker failed'));
    worker.on('exit', (code) => this.onExit(slot, worker, code));
    for (const msg of slot.waiting.splice(0)) worker.postMessage(msg, [msg.body.buffer as ArrayBuffer]);
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    const wasReady = slot.readyAtMs !== null;
    if (wasReady) this.p.metrics?.workers.dec();
    slot.worker = null;
    slot.readyAtMs = null;
    const lost = [...slot.held.values()];
    for (const job of lost) {
      const err = this.closed
        ? new AgtError('AGT_ERR_SHUTTING_DOWN', 'the collector is shutting down')
        : new AgtError('AGT_ERR_DECODE_WORKER_LOST', `the decode worker reading this request stopped (${slot.endedBecause ?? `exit code ${code}`}); it is replaced: send the request again`, { retryInMs: this.p.retryAfterMs });
      this.settle(job, retryable(err, this.p.retryAfterMs));
    }
    slot.endedBecause = null;
    if (this.closed) return;
    if (!wasReady) {
      const err = new Error(`decode worker ${slot.index} stopped while starting (exit code ${code})`);
      for (const w of this.readyWaiters.splice(0)) w.reject(err);
    }
    this.p.metrics?.restarts.inc();
    this.p.log.error({ worker: slot.index, exitCode: code, lostRequests: lost.length }, 'decode worker stopped; replacing it');
    if (wasReady) return this.startWorker(slot);
    // One that could not even start (a broken install, no memory) would fail again at once: the restart waits. Meanwhile
    // requests go to the other workers; with none left they wait in this slot for the replacement.
    const timer = setTimeout(() => {
      if (!this.closed) this.startWorker(slot);
    }, RESTART_PAUSE_MS);
    timer.unref();
  }

  /** Records a job's answer and hands out every answer at the front of the order. */
  private settle(job: Job, answer: DecodedRead | DecodeAnswer): void {
    if (job.answer !== null) return;
    job.answer = answer;
    job.slot.held.delete(job.id);
    job.slot.heldBytes -= job.bytes;
    this.p.metrics?.queuedBytes.set(this.queuedBytes());
    while (this.order.length > 0 && this.order[0]!.answer !== null) {
      const next = this.order.shift()!;
      next.resolve(this.outcomeOf(next.answer!));
    }
  }

  /** Request bytes the workers hold, not answered yet. */
  private queuedBytes(): number {
    let bytes = 0;
    for (const s of this.slots) bytes += s.heldBytes;
    return bytes;
  }

  /** A worker's answer as the Export path takes it; the spans are rebuilt here, when they are handed out. */
  private outcomeOf(a: DecodedRead | DecodeAnswer): DecodedRead {
    if (!('kind' in a)) return a;
    if (a.kind === 'unread') return this.failure(a.failure);
    if (a.kind === 'unresolved') return ok({ ...a.counts, resolved: this.failure(a.failure) });
    const { spans, ...counts } = decodeTransferredSpans(a.buf);
    return ok({ ...counts, resolved: ok(spans) });
  }

  private failure(f: FailureParts): Outcome<never> {
    if (f.code === 'AGT_ERR_INTERNAL') {
      // As the receivers answer an unexpected throw on the main thread: logged with its stack, answered plainly.
      this.p.log.error({ stack: f.message }, 'decode worker: unexpected error');
      return failed(new AgtError('AGT_ERR_INTERNAL', 'unexpected error'));
    }
    const err = new AgtError(f.code, f.message, f.status === 'retryable' ? { retryInMs: f.retryInMs } : undefined);
    return f.status === 'retryable' ? retryable(err, f.retryInMs) : failed(err);
  }
}

/**
 * The trace decode workers `receive.decodeWorkers` asks for on a machine of `cores` (none at 0): each is built from the config parts
 * decoding reads, and decodes lean spans with the same filter as the main thread would (`heldKeys`: the sink's).
 */
export function traceDecodePool(p: { config: Config; log: Logger; registry: Registry; heldKeys: ReadonlySet<string> | null; cores: number }): DecodePool | undefined {
  const { config } = p;
  const metrics = new DecodePoolMetrics(p.registry);
  const size = decodeWorkerCount(config.receive.decodeWorkers, p.cores);
  if (size === 0) return undefined;
  const reads = configuredReads({ sessionPrecedence: config.conventions.sessionPrecedence, samplingRules: config.sampling.rules });
  return new DecodePool({
    size,
    log: p.log.child({ component: 'decode-workers' }),
    metrics,
    retryAfterMs: config.receive.overload.retryAfterMs,
    setup: {
      keys: config.receive.keys,
      limits: config.receive.limits,
      sessionPrecedence: config.conventions.sessionPrecedence,
      endpointRegions: config.conventions.endpointRegions,
      pricingOverrides: config.pricing.overrides,
      filter: p.heldKeys === null ? null : { reads, heldKeys: [...p.heldKeys] },
    },
  });
}
