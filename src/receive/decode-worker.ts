/**
 * A trace decode worker (worker_threads; src/receive/decode-pool.ts runs them): decode → tenant per resource →
 * normalize → price, as RequestDecoder does on the main thread, with the same config. What it hands back is one
 * transferred ArrayBuffer per request (src/receive/span-transfer.ts), never a structured clone of span objects.
 * Metrics of normalization and pricing are counted on the main thread from the spans handed back, so /metrics shows
 * one registry's counts whatever thread read the request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReceiveConfig } from '../config/receive.js';
import type { PricingConfig } from '../config/pricing.js';
import { protectedKeys, type ConfiguredReads } from '../config/protected-keys.js';
import { Normalizer } from '../conventions/normalize.js';
import { silentLogger } from '../log.js';
import { isAgtError, type ErrorCode } from '../model/errors.js';
import type { Outcome } from '../model/outcome.js';
import type { DecodeLimits } from '../otlp/types.js';
import { Pricer } from '../pricing/pricer.js';
import { Authenticator, type TenantAuth } from './auth.js';
import { RequestDecoder } from './request-decoder.js';
import { readInline, type ReadRequest } from './signal-route.js';
import { TraceReading } from './trace-route.js';
import { SpanAttrFilter } from './span-attr-filter.js';
import { encodeTransferredSpans } from './span-transfer.js';

/** What a worker is built from: the parts of the config decoding reads. Plain data (cloned once, at spawn). */
export interface DecodeWorkerSetup {
  keys: ReceiveConfig['keys'];
  limits: DecodeLimits;
  sessionPrecedence: string[] | undefined;
  endpointRegions: Record<string, string> | undefined;
  pricingOverrides: PricingConfig['overrides'];
  /** Spans held lean are decoded with only the keys read (span-attr-filter.ts); null: decoded whole. */
  filter: { reads: ConfiguredReads; heldKeys: string[] } | null;
}

/** One request to read. `body` is a copy the worker owns (transferred). */
export interface DecodeJob {
  id: number;
  body: Uint8Array;
  format: 'protobuf' | 'json';
  nowMs: number;
  principal: TenantAuth;
  /**
   * Fault injection (AGT_CRASH_AT=decode-worker:<n>, src/crashpoints.ts; tests): `crash` ends the worker as a crash
   * would, `hang` keeps it busy forever (the pool's watchdog ends it), before reading.
   */
  fault?: 'crash' | 'hang';
}

/** A failed Outcome's parts, to rebuild it on the main thread. */
export interface FailureParts {
  status: 'failed' | 'retryable';
  code: ErrorCode;
  message: string;
  retryInMs: number;
}

/** A worker's answer: the spans (encoded), the request refused while resolving tenants, or not read at all. */
export type DecodeAnswer =
  | { id: number; kind: 'spans'; buf: ArrayBuffer }
  | { id: number; kind: 'unresolved'; counts: Omit<ReadRequest<never>, 'resolved'>; failure: FailureParts }
  | { id: number; kind: 'unread'; failure: FailureParts };

/** Sent once the worker is built, before any answer. */
export const WORKER_READY = 'ready';

function partsOf(o: Exclude<Outcome<unknown>, { status: 'ok' }>): FailureParts {
  return { status: o.status, code: o.error.code, message: o.error.message, retryInMs: o.status === 'retryable' ? o.retryInMs : 0 };
}

function serve(setup: DecodeWorkerSetup, port: NonNullable<typeof parentPort>): void {
  // Counted on the main thread (no registry here): see the file comment.
  const normalizer = new Normalizer({ sessionPrecedence: setup.sessionPrecedence, endpointRegions: setup.endpointRegions });
  const pricer = new Pricer({ overrides: setup.pricingOverrides });
  const auth = new Authenticator({ keys: setup.keys, log: silentLogger() });
  const decoder = new RequestDecoder({ auth, limits: setup.limits, normalizer, pricer });
  const filter = setup.filter === null ? undefined : new SpanAttrFilter(protectedKeys(setup.filter.reads), new Set(setup.filter.heldKeys));

  const reading = new TraceReading({ decoder, filter });

  const answer = (job: DecodeJob): { message: DecodeAnswer; transfer: ArrayBuffer[] } => {
    const read = readInline(reading, job.body, job.format, job.nowMs, job.principal);
    if (read.status !== 'ok') return { message: { id: job.id, kind: 'unread', failure: partsOf(read) }, transfer: [] };
    const { resolved, ...counts } = read.value;
    if (resolved.status !== 'ok') return { message: { id: job.id, kind: 'unresolved', counts, failure: partsOf(resolved) }, transfer: [] };
    const buf = encodeTransferredSpans({ ...counts, spans: resolved.value });
    return { message: { id: job.id, kind: 'spans', buf }, transfer: [buf] };
  };

  port.on('message', (job: DecodeJob) => {
    if (job.fault === 'crash') process.exit(70);
    // eslint-disable-next-line no-empty -- a stuck worker, on purpose: what the pool's watchdog is for
    if (job.fault === 'hang') for (;;) {}
    let out: { message: DecodeAnswer; transfer: ArrayBuffer[] };
    try {
      out = answer(job);
    } catch (err) {
      // A bug in decoding or normalizing: the request is answered as the main thread answers an unexpected throw.
      const message = isAgtError(err) ? err.message : `decode worker: ${(err as Error).stack ?? String(err)}`;
      out = { message: { id: job.id, kind: 'unread', failure: { status: 'failed', code: isAgtError(err) ? err.code : 'AGT_ERR_INTERNAL', message, retryInMs: 0 } }, transfer: [] };
    }
    port.postMessage(out.message, out.transfer);
  });
  port.postMessage(WORKER_READY);
}

if (parentPort !== null && (workerData as { decodeWorker?: DecodeWorkerSetup } | null)?.decodeWorker !== undefined) {
  serve((workerData as { decodeWorker: DecodeWorkerSetup }).decodeWorker, parentPort);
}
