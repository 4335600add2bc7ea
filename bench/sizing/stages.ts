/**
 * Per-stage cost of the e2e traffic (bench/e2e/requests.ts via bench/support/export-traffic.ts) in one process, each
 * stage run over the whole round's requests before the next starts, so its process CPU and wall time are its own:
 * decode (through the attribute filter of spans held lean, the default; the later stages get whole spans) → normalize +
 * price (the production RequestDecoder) → buffer (SessionBuffer.accept, nothing due) → decide
 * (the clock moved past the idle timeout, `sweep()` until every session is decided; a store that keeps the writes)
 * → row build + insert (the production ClickHouseStore on chDB: write every session write, then forceFlush).
 * Denominator: every span ingested (about 10 % of sessions are kept, so only their spans become span rows).
 */
import { performance } from 'node:perf_hooks';
import type { DecodedExport } from '../../src/otlp/types.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import type { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { KeepingStore } from '../support/counting-store.js';
import type { FreshBodies } from '../support/export-traffic.js';
import { GcPauses } from '../support/gc-pauses.js';
import { ingestPipeline } from '../support/ingest-pipeline.js';

/** e2e's collector settings that shape decisions (bench/e2e/collector.ts): ≈ 10 % of sessions kept. */
export const SIZING_SAMPLING = { baselineRate: 0.04, budget: { enabled: false } };
const IDLE_MS = 1_000;

export const STAGES = ['decode', 'normalize', 'buffer', 'decide', 'store'] as const;
/** One stage of the ingest path. */
export type Stage = (typeof STAGES)[number];

/** One stage's cost in one round. */
export interface StageSample {
  stage: Stage;
  spans: number;
  wallMs: number;
  /** Process CPU (user + system, every thread: GC helpers, chDB's threads). */
  cpuMs: number;
  /** Main-thread GC pauses within the stage. */
  gcMs: number;
}

/** Main-thread GC pauses, to charge each stage the pauses within it. */
const gcPauses = new GcPauses();

/** Runs `fn` and returns its result with the wall and process CPU time it took. */
async function measure<T>(fn: () => T | Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number; gcMs: number }> {
  // The previous stage's garbage is not this stage's.
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const gcMs = await gcPauses.within(t0, t1, 50);
  return { value, wallMs: t1 - t0, cpuMs: (cpu.user + cpu.system) / 1000, gcMs };
}

/** One round: fresh sessions through every stage; the store stage writes into `chStore`. */
export async function stageRound(traffic: FreshBodies, chStore: ClickHouseStore): Promise<StageSample[]> {
  const clock = { ms: Date.now() };
  const store = new KeepingStore();
  const { decoder, auth, buffer, leanFilter } = ingestPipeline({
    store,
    sessions: { idleTimeoutMs: IDLE_MS, maxBufferBytes: 8 * 1024 ** 3 },
    sampling: SIZING_SAMPLING,
    now: () => clock.ms,
  });
  const principal = auth.authenticate({});
  if (principal.status !== 'ok') throw new Error('bench: open auth refused');
  let bodies: Buffer[] | null = traffic.next();
  const out: StageSample[] = [];
  // Each stage's input is let go once the next stage has it, so no stage pays GC for a heap it would not hold.

  const decodeAll = (filter?: typeof leanFilter) =>
    bodies!.map((b) => {
      const d = decoder.decode(b, 'protobuf', clock.ms, filter);
      if (d.status !== 'ok') throw new Error('bench: request does not decode');
      return d.value;
    });
  // Measured as `serve` decodes by default (spans held lean): only the attributes normalization and decisions read are
  // built. The later stages take whole spans, decoded again unmeasured: this pipeline has no log to read a kept
  // session's attributes back from, and its span rows (the store stage, the disk figures) must be whole as in serve.
  const decode = await measure(() => decodeAll(leanFilter));
  decode.value = decodeAll();
  bodies = null;
  let decoded: DecodedExport[] | null = decode.value;
  const spans = decoded.reduce((n, d) => n + d.spans.length, 0);
  out.push({ stage: 'decode', spans, wallMs: decode.wallMs, cpuMs: decode.cpuMs, gcMs: decode.gcMs });

  const normalize = await measure(() =>
    decoded!.map((d) => {
      const n = decoder.normalize(d, principal.value);
      if (n.status !== 'ok') throw new Error('bench: request does not normalize');
      return n.value;
    }),
  );
  decoded = null;
  decode.value.length = 0;
  let normalized: NormalizedSpan[][] | null = normalize.value;
  out.push({ stage: 'normalize', spans, wallMs: normalize.wallMs, cpuMs: normalize.cpuMs, gcMs: normalize.gcMs });

  const accept = await measure(async () => {
    for (const req of normalized!) {
      const r = await buffer.accept(req);
      if (r.status !== 'ok') throw new Error(`bench: buffer refused ${r.error.code}`);
    }
  });
  if (buffer.stats().bufferedSpans !== spans) throw new Error('bench: not every span buffered');
  normalized = null;
  normalize.value.length = 0;
  out.push({ stage: 'buffer', spans, wallMs: accept.wallMs, cpuMs: accept.cpuMs, gcMs: accept.gcMs });

  clock.ms += IDLE_MS + 1_000;
  const decide = await measure(async () => {
    while (buffer.stats().openSessions > 0) {
      buffer.sweep();
      await new Promise((r) => setImmediate(r));
    }
  });
  if (store.spans !== spans) throw new Error(`bench: ${store.spans} of ${spans} spans decided`);
  out.push({ stage: 'decide', spans, wallMs: decide.wallMs, cpuMs: decide.cpuMs, gcMs: decide.gcMs });

  const insert = await measure(async () => {
    for (const w of store.kept) {
      if (!chStore.hasCapacity()) await chStore.forceFlush();
      const r = chStore.write(w);
      if (r.status !== 'ok') throw new Error(`bench: store refused ${r.error.code}`);
    }
    await chStore.forceFlush();
  });
  out.push({ stage: 'store', spans, wallMs: insert.wallMs, cpuMs: insert.cpuMs, gcMs: insert.gcMs });
  await buffer.shutdown();
  return out;
}

/** The median of each stage over the rounds (by CPU per span), with the rounds' range of CPU µs per span. */
export function stageSummary(rounds: readonly StageSample[][]) {
  return STAGES.map((stage) => {
    const xs = rounds.map((r) => r.find((s) => s.stage === stage)!).sort((a, b) => a.cpuMs / a.spans - b.cpuMs / b.spans);
    const mid = xs[Math.floor(xs.length / 2)]!;
    const us = (x: StageSample): number => (x.cpuMs * 1000) / x.spans;
    return {
      stage,
      spans: mid.spans,
      cpuUsPerSpan: us(mid),
      cpuUsPerSpanRange: [us(xs[0]!), us(xs[xs.length - 1]!)] as [number, number],
      wallUsPerSpan: (mid.wallMs * 1000) / mid.spans,
      gcPauseUsPerSpan: (mid.gcMs * 1000) / mid.spans,
      spansPerS: mid.spans / (mid.wallMs / 1000),
    };
  });
}
