/**
 * Memory per buffered span and per decision, and the write-ahead log's disk per span, for the e2e traffic through the
 * production ExportHandler → SessionBuffer with a real Durability (WAL fsync) in a temp dir, as `serve` runs by default.
 * Heap is read after full collections (in chunks, so decoding garbage is gone and only what the collector holds
 * remains): before any request, with every session buffered and none due, after every session is decided (what a
 * decided session leaves behind: its decision cache entries and anything else), and after the cache's TTL has passed
 * and it purged (the difference is the decision cache's share per decided session).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { silentLogger } from '../../src/log.js';
import { Durability } from '../../src/durability/durability.js';
import { CountingStore } from '../support/counting-store.js';
import { sendAll, type FreshBodies } from '../support/export-traffic.js';
import { ingestPipeline } from '../support/ingest-pipeline.js';
import { SIZING_SAMPLING } from './stages.js';

/** A full collection: global.gc when node runs with --expose-gc, else one exposed for this process. */
export function fullGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const IDLE_MS = 60_000;
const CACHE_TTL_MS = 600_000; // the pipeline's DecisionCache TTL (bench/support/ingest-pipeline.ts)
const CHUNK = 8; // requests between collections

/** What one run of the memory phase measured. */
export interface MemoryResult {
  leanSpans: boolean;
  spans: number;
  sessions: number;
  wireBytesPerSpan: number;
  heapBytesPerBufferedSpan: number;
  /** The buffer's own accounting (`agenttail_sessions_buffered_bytes`) per span. */
  accountedBytesPerSpan: number;
  heapBytesLeftPerDecision: number;
  heapBytesCachePerDecision: number;
  walBytesPerSpanRequests: number;
  walBytesPerSpanWithDecisions: number;
}

/** Bytes of the log's files in `dir` (segments and anything beside them). */
function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

/** One run: `traffic.next()`'s requests buffered, then decided, with spans held whole or lean. */
export async function memoryRun(traffic: FreshBodies, leanSpans: boolean): Promise<MemoryResult> {
  const gc = fullGc();
  const log = silentLogger();
  const dir = mkdtempSync(join(tmpdir(), 'agt-sizing-wal-'));
  const journal = await Durability.open({ dir, durability: 'fsync', segmentBytes: 64 * 1024 ** 2, maxDiskBytes: 64 * 1024 ** 3, groupCommitMs: 2, retentionMs: 3_600_000, log });
  const clock = { ms: Date.now() };
  const store = new CountingStore();
  const { handler, buffer, cache } = ingestPipeline({
    store,
    journal,
    sessions: { idleTimeoutMs: IDLE_MS, maxBufferBytes: 8 * 1024 ** 3, leanSpans },
    sampling: SIZING_SAMPLING,
    now: () => clock.ms,
  });
  try {
    let bodies: Buffer[] | null = traffic.next();
    const wire = bodies.reduce((n, b) => n + b.length, 0);
    gc();
    const h0 = process.memoryUsage().heapUsed;
    let spans = 0;
    for (let i = 0; i < bodies.length; i += CHUNK) {
      spans += await sendAll(handler, bodies.slice(i, i + CHUNK), 4);
      gc();
    }
    bodies = null;
    gc();
    const h1 = process.memoryUsage().heapUsed;
    const stats = buffer.stats();
    if (stats.bufferedSpans !== spans) throw new Error(`bench: ${stats.bufferedSpans} of ${spans} spans buffered`);
    const sessions = stats.openSessions;
    const walRequests = dirBytes(dir);

    clock.ms += IDLE_MS + 1_000;
    while (buffer.stats().openSessions > 0) {
      buffer.sweep();
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 100)); // the last decision records' group commit
    gc();
    const h2 = process.memoryUsage().heapUsed;
    const walAll = dirBytes(dir);
    if (cache.size !== sessions) throw new Error(`bench: ${cache.size} of ${sessions} sessions decided`);

    clock.ms += CACHE_TTL_MS + 1_000;
    cache.purgeStale();
    gc();
    const h3 = process.memoryUsage().heapUsed;
    if (cache.size !== 0) throw new Error('bench: the decision cache did not purge');
    return {
      leanSpans,
      spans,
      sessions,
      wireBytesPerSpan: wire / spans,
      heapBytesPerBufferedSpan: (h1 - h0) / spans,
      accountedBytesPerSpan: stats.bufferedBytes / spans,
      heapBytesLeftPerDecision: (h2 - h0) / sessions,
      heapBytesCachePerDecision: (h2 - h3) / sessions,
      walBytesPerSpanRequests: walRequests / spans,
      walBytesPerSpanWithDecisions: walAll / spans,
    };
  } finally {
    await buffer.shutdown();
    await journal.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
