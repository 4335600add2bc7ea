/** The e2e traffic handed straight to an ExportHandler, shared by bench/layers.ts and bench/shared-decisions.ts. */
import type { ExportHandler } from '../../src/receive/export-handler.js';
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
