/** The e2e traffic handed straight to an ExportHandler, shared by bench/layers.ts and bench/shared-decisions.ts. */
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ExportHandler } from '../../src/receive/export-handler.js';
import { benchConfig } from '../e2e/collector.js';
import { buildPool, stamp } from '../e2e/requests.js';

/** Hands every body to the handler with `concurrency` requests in flight; the spans accepted. */
export async function sendAll(handler: ExportHandler, bodies: readonly Buffer[], concurrency: number): Promise<number> {
  let next = 0;
  let spans = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const r = await handler.handle({ credentials: {}, body: bodies[next++]!, format: 'protobuf', transport: 'grpc' });
        if (r.status !== 'ok') throw new Error(`bench: refused ${r.error.code}`);
        spans += r.value.accepted;
      }
    }),
  );
  return spans;
}

/** Request bodies of the e2e pool (~500-span requests, sessions split over two requests), fresh sessions every call. */
export class FreshBodies {
  private readonly templates = buildPool({ pairs: 16, spansPerRequest: 500, seed: 7 }).flatMap((p) => [p.a, p.b]);
  private nonceBase = 0;

  constructor(private readonly requests: number) {}

  /** `requests` bodies; each template pair gets a nonce no earlier call used. */
  next(): Buffer[] {
    const base = this.nonceBase;
    const n = this.templates.length;
    this.nonceBase += Math.ceil(this.requests / n) + 1;
    return Array.from({ length: this.requests }, (_, i) => stamp(this.templates[i % n]!, base + Math.floor(i / n) + 1));
  }
}

/**
 * The config of a server built in process (`startServer`) for the e2e traffic: the e2e collector's settings, any free
 * ports, shedding off (on a shared 2-core machine the loop can lag past the production limit; these benches measure
 * throughput and allocation), `overrides` on top (sessions, store).
 */
export function inProcessServerConfig(dir: string, overrides: Record<string, unknown>): Config {
  return parseConfig({
    ...benchConfig(dir),
    logLevel: 'warn',
    receive: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, overload: { maxRssBytes: 0, maxEventLoopLagMs: 60_000 } },
    ...overrides,
  });
}

/** Waits until every open session is decided and the store has inserted what it queued. */
export async function untilWritten(buffer: { stats(): { openSessions: number } }, store: { forceFlush(): Promise<void> }): Promise<void> {
  while (buffer.stats().openSessions > 0) await new Promise((r) => setTimeout(r, 10));
  await store.forceFlush();
}
