/**
 * bench/offload.ts's worker: decodes, normalizes and prices the Export requests it is sent and posts the spans back
 * (the design under test: the receive stage on a second thread, the session buffer on the main thread).
 * `light`: leave out attributes, resource attributes, events and links (what the buffer needs for decisions only;
 * kept sessions would re-decode their spans from the request bytes).
 */
import { parentPort } from 'node:worker_threads';
import { Normalizer } from '../../src/conventions/normalize.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { Pricer } from '../../src/pricing/pricer.js';

const normalizer = new Normalizer();
const pricer = new Pricer();
const NO_ATTRS = {};

parentPort!.on('message', (m: { id: number; body: Uint8Array; light: boolean }) => {
  const spans: NormalizedSpan[] = [];
  for (const s of decodeExportRequest(m.body, DEFAULT_DECODE_LIMITS, Date.now()).spans) {
    const n = normalizer.normalize(s, 'default');
    n.cost = pricer.price(n);
    if (m.light) {
      n.attributes = NO_ATTRS;
      n.resourceAttributes = NO_ATTRS;
      n.events = [];
      n.links = [];
    }
    spans.push(n);
  }
  parentPort!.postMessage({ id: m.id, spans });
});
