/**
 * The collector's ingest path built in process for the benches: the production ExportHandler (open auth, decode,
 * normalize, price) → SessionBuffer (optionally with the write-ahead log) → DecisionEngine → a SessionStore.
 */
import { Registry } from 'prom-client';
import { receiveSchema } from '../../src/config/receive.js';
import { samplingSchema } from '../../src/config/sampling.js';
import { sessionsSchema } from '../../src/config/sessions.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { silentLogger } from '../../src/log.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { Authenticator } from '../../src/receive/auth.js';
import { TraceRoute } from '../../src/receive/trace-route.js';
import { ExportHandler } from '../../src/receive/export-handler.js';
import { ReceiveMetrics } from '../../src/receive/metrics.js';
import { RefusalLog } from '../../src/receive/refusal-log.js';
import { QuotaManager } from '../../src/receive/quota.js';
import { RequestDecoder } from '../../src/receive/request-decoder.js';
import { DecisionCache } from '../../src/sampling/decision-cache.js';
import { DecisionEngine, type KeptElsewhere } from '../../src/sampling/engine.js';
import type { Durability } from '../../src/durability/durability.js';
import type { RequestRedactor } from '../../src/receive/redactor.js';
import { SessionBuffer } from '../../src/sessions/session-buffer.js';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { configuredReads } from '../../src/config/redaction.js';
import { SpanAttrFilter, leanSpanFilter } from '../../src/receive/span-attr-filter.js';
import type { SessionStore } from '../../src/model/session-store.js';
import type { SessionWrite } from '../../src/model/session.js';
import { KeepingStore } from './counting-store.js';
import { FreshBodies, sendAll } from './export-traffic.js';

export interface IngestPipelineOptions {
  store: SessionStore;
  journal?: Durability | undefined;
  /** Overrides of the sessions config (the benches set idleTimeoutMs and maxBufferBytes). */
  sessions?: Record<string, unknown>;
  /** Overrides of the sampling config. */
  sampling?: Record<string, unknown>;
  /** Other instances' kept decisions the engine follows (bench/shared-decisions.ts). */
  keptElsewhere?: KeptElsewhere;
  /** Redaction before decoding (bench/redaction.ts); absent: off. */
  redactor?: RequestRedactor;
  /** Wall clock of the buffer and the decision cache, ms (bench/sizing.ts drives `sweep()` and TTLs with it); Date.now when absent. */
  now?: () => number;
}

export function ingestPipeline(o: IngestPipelineOptions) {
  const log = silentLogger();
  const auth = new Authenticator({ keys: [], log });
  const decoder = new RequestDecoder({ auth, limits: receiveSchema.parse({}).limits, normalizer: new Normalizer(), pricer: new Pricer({ overrides: [] }) });
  const sampling = samplingSchema.parse(o.sampling ?? {});
  // What normalization and decisions read (as compose.ts builds it): the keys lean arrivals are decoded with.
  const isRead = protectedKeys(configuredReads({ samplingRules: sampling.rules }));
  const engine = new DecisionEngine({ config: sampling, ...(o.now ? { now: o.now } : {}), ...(o.keptElsewhere ? { keptElsewhere: o.keptElsewhere } : {}) });
  const cache = new DecisionCache({ ttlMs: 600_000, maxEntries: 1_000_000, ...(o.now ? { now: o.now } : {}) });
  const sessions = sessionsSchema.parse(o.sessions ?? {});
  const buffer = new SessionBuffer({
    config: sessions,
    engine,
    cache,
    store: o.store,
    log,
    ...(o.now ? { now: o.now } : {}),
    ...(o.journal ? { journal: o.journal } : {}),
    // sessions.leanSpans as `serve` wires it (src/main/compose.ts): a kept session's detail read back from the log.
    ...(sessions.leanSpans ? { readDetail: (record: Parameters<RequestDecoder['detailOf']>[0], bytes: Uint8Array) => decoder.detailOf(record, bytes) } : {}),
  });
  const handler = new ExportHandler({
    auth,
    quotas: new QuotaManager({ quota: { spansPerSecond: 1e12, bytesPerSecond: 1e15 }, tenantQuotas: {} }),
    // As `serve` wires it: spans held lean (with the log) are decoded with only the attributes that are read.
    route: new TraceRoute({ decoder, sink: buffer, filter: leanSpanFilter(buffer, isRead) }),
    ...(o.redactor ? { redactor: o.redactor } : {}),
    metrics: new ReceiveMetrics(new Registry()),
    refusals: new RefusalLog({ log }),
    maxStringBytes: receiveSchema.parse({}).limits.maxStringBytes,
    log,
  });
  /** The filter `serve` decodes arrivals with when spans are held lean (the default), whether or not this buffer holds them so. */
  const leanFilter = new SpanAttrFilter(isRead, engine.attributeKeys);
  return { handler, buffer, decoder, auth, cache, leanFilter };
}

/**
 * The session writes the production path makes of `requests` fresh e2e requests: ingested, every session decided (idle
 * after 100 ms), handed to a store that keeps them; `sampling` overrides the sampling config. The benches of what the
 * store does with writes start from these.
 */
export async function decidedWrites(requests: number, sampling?: Record<string, unknown>): Promise<{ writes: SessionWrite[]; spans: number }> {
  const store = new KeepingStore();
  const { handler, buffer } = ingestPipeline({ store, sessions: { idleTimeoutMs: 100, sweepIntervalMs: 20, maxBufferBytes: 8 * 1024 ** 3 }, ...(sampling === undefined ? {} : { sampling }) });
  buffer.start();
  await sendAll(handler, new FreshBodies(requests).next(), 8);
  while (buffer.stats().openSessions > 0) await new Promise((r) => setTimeout(r, 20));
  await buffer.shutdown();
  return { writes: store.kept, spans: store.spans };
}
