/**
 * The e2e load generator's traffic: realistic agent sessions (src/simulate/scenario.ts, enriched to ~12
 * attributes per span with a 2 KiB prompt on the first model call of each turn) encoded ONCE as OTLP Export
 * requests, then stamped with a fresh nonce per send so every send carries distinct sessions and traces.
 *
 * Each template is a PAIR of requests over the same sessions: part A holds the first half of every trace's
 * spans (children only), part B the rest plus the root span. Sessions therefore stay open across two requests and
 * only become complete (roots ended, then idle) after part B, as with an SDK's batch exporter.
 *
 * The nonce is spliced into the encoded bytes in place: session ids carry a 12-character text slot and
 * trace ids a 6-byte binary slot; the offsets of both are found once after encoding.
 */
import { generateScenario, type SimSession, type SimSpan, type SimTrace } from '../../src/simulate/scenario.js';
import { encodeTraces } from '../../src/simulate/encode.js';
import { mulberry32 } from '../../src/prng.js';

/** Text slot in every session id (12 chars, replaced by the nonce as 12 lowercase hex digits). */
const TEXT_SLOT = 'QzQzQzQzQzQz';
/** Binary slot opening every trace id (6 bytes, replaced by the nonce big-endian). */
const BIN_SLOT = Buffer.from([0xd3, 0x7a, 0xb1, 0x9c, 0xe5, 0x42]);
export const NONCE_BYTES = BIN_SLOT.length;

/** One encoded Export request and where its nonce slots are. */
export interface RequestTemplate {
  bytes: Buffer;
  spans: number;
  textOffsets: number[];
  binOffsets: number[];
}

/** Part A and part B of one group of sessions. */
export interface TemplatePair {
  a: RequestTemplate;
  b: RequestTemplate;
  sessions: number;
}

export interface PoolOptions {
  /** Template pairs (distinct session shapes cycled by the generator). */
  pairs: number;
  /** Target spans per request (each pair holds about twice this). */
  spansPerRequest: number;
  seed: number;
}

const PROMPT = 'You are a careful support assistant. Answer using the knowledge base excerpts below, cite them, and ask before refunding. '.repeat(20).slice(0, 2048);
const COMPLETION = 'Thanks for waiting. I checked your order and the knowledge base: the parcel left the warehouse yesterday. '.repeat(6).slice(0, 512);

/** ~12 attributes per span: the scenario's gen_ai attributes plus what real instrumentations add. */
function enrich(span: SimSpan, firstCall: boolean, rand: () => number): void {
  const a = span.attributes;
  a['user.id'] = `user-${Math.floor(rand() * 500)}`;
  a['server.address'] = 'api.example-llm.com';
  a['code.function'] = span.name.split(' ')[0]!;
  a['thread.id'] = 1 + Math.floor(rand() * 16);
  if (span.kind === 3) {
    a['gen_ai.request.temperature'] = 0.2;
    a['gen_ai.response.finish_reasons'] = 'stop';
    if (firstCall) a['gen_ai.input.messages'] = PROMPT;
    else a['gen_ai.output.messages'] = COMPLETION;
  }
}

function hexOf(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return s;
}

/** Sessions of one pair, with slotted session and trace ids, split into the two parts' traces. */
function pairTraces(seed: number, pairIndex: number, spansWanted: number): { a: SimTrace[]; b: SimTrace[]; sessions: number } {
  const rand = mulberry32(seed * 7919 + pairIndex);
  const sessions: SimSession[] = [];
  let spanCount = 0;
  // Generate in small batches until the pair holds enough spans (sessions average ~10 spans).
  for (let batch = 0; spanCount < spansWanted; batch++) {
    const more = generateScenario({
      sessions: 8,
      seed: seed * 100_003 + pairIndex * 1_009 + batch,
      runId: `${TEXT_SLOT}-p${pairIndex}b${batch}`,
      shares: { error: 0.03, rarePath: 0.02, costOutlier: 0.02, lowEval: 0.02, lateLowEval: 0 },
      nowMs: Date.now(),
      // Model calls carry their endpoint and TTFT; no throttled HTTP children (each span here needs a session slot).
      throttleShare: 0,
    });
    for (const s of more) {
      if (spanCount >= spansWanted) break;
      sessions.push(s);
      for (const t of s.traces) spanCount += t.spans.length;
    }
  }
  const a: SimTrace[] = [];
  const b: SimTrace[] = [];
  for (const s of sessions) {
    for (const t of s.traces) {
      const traceId = BIN_SLOT.toString('hex') + hexOf(rand, 10);
      let firstCall = true;
      for (const span of t.spans) {
        const isCall = span.kind === 3;
        enrich(span, isCall && firstCall, rand);
        if (isCall) firstCall = false;
      }
      const root = t.spans.filter((x) => x.parentSpanId === '');
      const children = t.spans.filter((x) => x.parentSpanId !== '');
      const half = Math.min(children.length, Math.ceil(t.spans.length / 2));
      a.push({ traceId, spans: children.slice(0, half) });
      b.push({ traceId, spans: [...children.slice(half), ...root] });
    }
  }
  return { a: a.filter((t) => t.spans.length > 0), b, sessions: sessions.length };
}

function offsetsOf(bytes: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = bytes.indexOf(needle); i !== -1; i = bytes.indexOf(needle, i + needle.length)) out.push(i);
  return out;
}

function template(traces: SimTrace[]): RequestTemplate {
  const bytes = Buffer.from(encodeTraces(traces, { serviceName: 'support-agent' }));
  const spans = traces.reduce((n, t) => n + t.spans.length, 0);
  const textOffsets = offsetsOf(bytes, Buffer.from(TEXT_SLOT, 'latin1'));
  const binOffsets = offsetsOf(bytes, BIN_SLOT);
  // Every span carries its trace id and a gen_ai.conversation.id naming its session: one slot each.
  if (binOffsets.length !== spans || textOffsets.length !== spans) {
    throw new Error(`nonce slots: expected ${spans} of each, found ${binOffsets.length} binary and ${textOffsets.length} text`);
  }
  return { bytes, spans, textOffsets, binOffsets };
}

/** Encodes the pool once (deterministic from the seed). */
export function buildPool(opts: PoolOptions): TemplatePair[] {
  return Array.from({ length: opts.pairs }, (_, i) => {
    const { a, b, sessions } = pairTraces(opts.seed, i, opts.spansPerRequest * 2);
    return { a: template(a), b: template(b), sessions };
  });
}

/** A copy of the template with the nonce written into every slot (same nonce for parts A and B of a pair). */
export function stamp(t: RequestTemplate, nonce: number): Buffer {
  const out = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(out);
  const bin = Buffer.alloc(NONCE_BYTES);
  bin.writeUIntBE(nonce, 0, NONCE_BYTES);
  const text = Buffer.from(bin.toString('hex'), 'latin1');
  for (const o of t.binOffsets) bin.copy(out, o);
  for (const o of t.textOffsets) text.copy(out, o);
  return out;
}

/** Serialized form for handing the pool to generator processes through a file. */
export function poolToJson(pool: TemplatePair[]): string {
  const enc = (t: RequestTemplate) => ({ bytes: t.bytes.toString('base64'), spans: t.spans, textOffsets: t.textOffsets, binOffsets: t.binOffsets });
  return JSON.stringify(pool.map((p) => ({ a: enc(p.a), b: enc(p.b), sessions: p.sessions })));
}

export function poolFromJson(json: string): TemplatePair[] {
  type Enc = { bytes: string; spans: number; textOffsets: number[]; binOffsets: number[] };
  const dec = (t: Enc): RequestTemplate => ({ ...t, bytes: Buffer.from(t.bytes, 'base64') });
  return (JSON.parse(json) as { a: Enc; b: Enc; sessions: number }[]).map((p) => ({ a: dec(p.a), b: dec(p.b), sessions: p.sessions }));
}
