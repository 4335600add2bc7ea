/**
 * The buffer a decode worker hands its spans back in (src/receive/span-transfer.ts): every field of every span comes
 * back exactly (the corpus of every supported client's traffic, the simulator's sessions and the e2e requests, decoded
 * whole and through the lean filter, normalized and priced as RequestDecoder does; and hand-built edge cases), shared
 * resource attributes stay shared, and a truncated or garbled buffer throws.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { receiveSchema } from '../../src/config/receive.js';
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { silentLogger } from '../../src/log.js';
import type { Attributes } from '../../src/model/otlp-values.js';
import { emptyGenAi, type NormalizedSpan } from '../../src/model/span.js';
import { shareEmpty, type DecodedExport } from '../../src/otlp/types.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { Authenticator } from '../../src/receive/auth.js';
import { RequestDecoder } from '../../src/receive/request-decoder.js';
import { SpanAttrFilter } from '../../src/receive/span-attr-filter.js';
import { decodeTransferredSpans, encodeTransferredSpans, type TransferredSpans } from '../../src/receive/span-transfer.js';
import { PROVIDER_URL_KEYS } from '../../src/sampling/detectors/stalled.js';
import { corpus } from '../support/span-corpus.js';

const NOW_MS = Date.now();
const auth = new Authenticator({ keys: [], log: silentLogger() });
const principal = auth.authenticate({});
const limits = receiveSchema.parse({}).limits;
const decoder = new RequestDecoder({ auth, limits, normalizer: new Normalizer(), pricer: new Pricer({ overrides: [] }) });
// Captured client traffic keeps its own clock: a window that takes it however old the capture is.
const anyTime = new RequestDecoder({ auth, limits: { ...limits, maxPastMs: Number.MAX_SAFE_INTEGER / 2, maxFutureMs: Number.MAX_SAFE_INTEGER / 2 }, normalizer: new Normalizer(), pricer: new Pricer({ overrides: [] }) });
const leanFilter = new SpanAttrFilter(protectedKeys(), new Set(PROVIDER_URL_KEYS));

/** What a worker hands back for one request: decoded (through `filter`), normalized and priced as RequestDecoder does. */
function workerResult(d: RequestDecoder, body: Uint8Array, format: 'protobuf' | 'json', filter?: SpanAttrFilter): TransferredSpans {
  if (principal.status !== 'ok') throw new Error('open auth refused');
  const decoded = d.decode(body, format, NOW_MS, filter);
  if (decoded.status !== 'ok') throw new Error(`decode: ${decoded.error.message}`);
  const v: DecodedExport = decoded.value;
  const received = v.spans.length + v.rejected.length;
  const n = d.normalize(v, principal.value);
  if (n.status !== 'ok') throw new Error('normalize');
  return {
    spans: n.value,
    rejected: v.rejected,
    received,
    ...(v.truncatedStrings === undefined ? {} : { truncatedStrings: v.truncatedStrings }),
    ...(v.unknownFields === undefined ? {} : { unknownFields: v.unknownFields }),
  };
}

const roundTrip = (x: TransferredSpans): TransferredSpans => decodeTransferredSpans(encodeTransferredSpans(x));

/** True when `got` aliases its resource attributes exactly as `want` does (same object ⇔ same object). */
function sameResourceSharing(want: NormalizedSpan[], got: NormalizedSpan[]): boolean {
  const forth = new Map<Attributes, Attributes>();
  const back = new Map<Attributes, Attributes>();
  return want.every((w, i) => {
    const g = got[i]!.resourceAttributes;
    const f = forth.get(w.resourceAttributes);
    const b = back.get(g);
    forth.set(w.resourceAttributes, g);
    back.set(g, w.resourceAttributes);
    return (f === undefined || f === g) && (b === undefined || b === w.resourceAttributes);
  });
}

/** A hand-built span with every field set; `over` replaces some. */
function span(over: Partial<NormalizedSpan> = {}): NormalizedSpan {
  return {
    tenantId: 't1',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: '',
    traceState: 'k=v',
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_001_000_000_000n,
    statusCode: 2,
    statusMessage: 'boom',
    serviceName: 'svc',
    resourceAttributes: { 'service.name': 'svc' },
    scopeName: 'scope',
    scopeVersion: '1.0',
    attributes: { 'gen_ai.request.model': 'gpt-4o' },
    events: shareEmpty([]),
    links: shareEmpty([]),
    genai: { ...emptyGenAi(), operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', conventions: Object.freeze(['genai']) as string[] },
    sessionId: 's1',
    userId: null,
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 1 },
    usageRole: 'call',
    usageMissing: ['cacheWriteTokens'],
    usageViolations: shareEmpty([]),
    cost: { costUsd: 0.0012, source: 'catalog', priceVersion: '2026-01' },
    isError: true,
    errorType: 'RateLimitError',
    toolArgsHash: null,
    httpStatus: 429,
    call: { serverAddress: 'api.openai.com', serverPort: 443, region: 'us', regionSource: 'host', hostProvider: 'openai', ttftMs: null, refusal: 'rate_limited', httpStatus: 429, retryAfterMs: 2000 },
    evals: shareEmpty([]),
    wireBytes: 321,
    ...over,
  };
}

const batch = (spans: NormalizedSpan[], over: Partial<TransferredSpans> = {}): TransferredSpans => ({ spans, rejected: [], received: spans.length, ...over });

describe('span transfer (receive/span-transfer.ts)', () => {
  describe('decodeTransferredSpans(encodeTransferredSpans(x))', () => {
    it('gives back every request of the corpus exactly, decoded whole and through the lean filter', () => {
      const requests: { name: string; bytes: Uint8Array; format: 'protobuf' | 'json'; d: RequestDecoder }[] = corpus(NOW_MS).map((r) => ({ ...r, format: 'protobuf', d: decoder }));
      // The captured clients' own bodies as well, as OTLP/JSON (no wire offsets, other key orders).
      const clientDir = new URL('../fixtures/clients/', import.meta.url);
      for (const f of readdirSync(clientDir).filter((x) => x.endsWith('.json'))) requests.push({ name: `json/${f}`, bytes: readFileSync(new URL(f, clientDir)), format: 'json', d: anyTime });
      let spans = 0;
      let seen = { events: 0, links: 0, evals: 0, usage: 0, calls: 0, wireOffset: 0, json: 0, attrs: 0 };
      for (const r of requests) {
        for (const filter of r.format === 'protobuf' ? [undefined, leanFilter] : [undefined]) {
          const want = workerResult(r.d, r.bytes, r.format, filter);
          const buf = encodeTransferredSpans(want);
          const got = decodeTransferredSpans(buf);
          expect(got, r.name).toStrictEqual(want);
          expect(sameResourceSharing(want.spans, got.spans), r.name).toBe(true);
          got.spans.forEach((g, i) => {
            const w = want.spans[i]!;
            // The key order of Normalizer.normalize (one hidden class), and of every attribute map.
            expect(Object.keys(g), r.name).toEqual(Object.keys(w));
            expect(Object.keys(g.attributes), r.name).toEqual(Object.keys(w.attributes));
            expect(Object.keys(g.cost), r.name).toEqual(Object.keys(w.cost));
            expect(g.call === NO_PROVIDER_CALL, r.name).toBe(w.call === NO_PROVIDER_CALL);
            // The shared frozen empty lists (otlp/types.ts shareEmpty) stay the shared ones.
            for (const k of ['events', 'links', 'evals', 'usageMissing', 'usageViolations'] as const) expect(Object.isFrozen(g[k]), `${r.name} ${k}`).toBe(Object.isFrozen(w[k]));
          });
          spans += want.spans.length;
          seen = {
            events: seen.events + want.spans.filter((s) => s.events.length > 0).length,
            links: seen.links + want.spans.filter((s) => s.links.length > 0).length,
            evals: seen.evals + want.spans.filter((s) => s.evals.length > 0).length,
            usage: seen.usage + want.spans.filter((s) => s.usage !== null).length,
            calls: seen.calls + want.spans.filter((s) => s.call !== NO_PROVIDER_CALL).length,
            wireOffset: seen.wireOffset + want.spans.filter((s) => s.wireOffset !== undefined).length,
            json: seen.json + (r.format === 'json' ? want.spans.length : 0),
            attrs: seen.attrs + want.spans.reduce((n, s) => n + Object.keys(s.attributes).length, 0),
          };
        }
      }
      // The corpus exercises every variable part.
      expect(spans).toBeGreaterThan(1000);
      for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
    });

    it('keeps the edge cases of every field: times, numbers, strings, bytes, nesting, key order, optional fields', () => {
      const nested: Attributes = {
        s: '',
        emoji: 'a😀b',
        cjk: '漢字かな',
        latin: 'é',
        nul: '\u0000x',
        lone: '\uD800',
        loneLow: 'x\uDC00',
        loneEnd: 'a\uD83D',
        long: 'x'.repeat(300_000) + 'é',
        negZero: -0,
        nan: NaN,
        inf: Infinity,
        negInf: -Infinity,
        frac: 0.1,
        big: '9007199254740993',
        maxSafe: Number.MAX_SAFE_INTEGER,
        neg: -1,
        // Around the limits of the integers that travel in the main stream (2^28 in values, 2^31 in fields).
        under28: 2 ** 28 - 1,
        at28: 2 ** 28,
        at31: 2 ** 31,
        yes: true,
        no: false,
        nothing: null,
        bytes: new Uint8Array([0, 1, 255]),
        noBytes: new Uint8Array(0),
        empty: [],
        emptyMap: {},
        arr: [1, 'two', [3, [4, { five: 5 }]], null, new Uint8Array([7])],
        map: { b: 1, a: { c: [true] }, '': 'blank' },
        '2': 'index-like',
        '1': 'index-like too',
        '': 'empty key',
      };
      Object.defineProperty(nested, '__proto__', { value: 'own', enumerable: true, writable: true, configurable: true });
      const evals = [
        { name: 'relevance', score: null, label: null, explanation: null, target: { sessionId: null, traceId: null, spanId: 'c'.repeat(16) }, source: 'event' as const, timeUnixNano: 0n },
        { name: 'faith', score: -0, label: 'bad', explanation: 'why\uD800', target: { sessionId: 's', traceId: 'a'.repeat(32), spanId: null }, source: 'api' as const, timeUnixNano: 2n ** 64n - 1n },
      ];
      const spans: NormalizedSpan[] = [
        span({ attributes: nested, startTimeUnixNano: 0n, endTimeUnixNano: 2n ** 64n - 1n, wireOffset: 0, detailAt: 2 ** 40 }),
        span({
          kind: 5,
          statusCode: 0,
          name: '\uDBFF\uDFFF name',
          events: [
            { timeUnixNano: 2n ** 63n, name: 'exception', attributes: { 'exception.type': 'E', 'exception.stacktrace': 'at x\n'.repeat(50) } },
            { timeUnixNano: 1n, name: '', attributes: {} },
          ],
          links: [{ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16), traceState: '', attributes: { reason: 'evaluates', n: 1.5 } }],
          evals,
          usage: null,
          usageRole: 'none',
          usageMissing: shareEmpty([]),
          usageViolations: ['cacheReadTokens>inputTokens'],
          cost: { costUsd: -0, source: 'catalog', priceVersion: 'v', catalogModel: 'gpt-4o', usageIncomplete: 'cache_read+cache_write', overstatedUpToUsd: NaN, cacheUnreportedInputTokens: 1024 },
          isError: false,
          errorType: null,
          toolArgsHash: 4_294_967_295,
          httpStatus: null,
          call: NO_PROVIDER_CALL,
          wireBytes: 2 ** 53 + 2,
          sessionId: null,
          userId: 'u\u2028',
        }),
        // Optional fields absent, or present but undefined, on hand-built spans.
        (() => {
          const s = span({ cost: { costUsd: null, source: 'unknown', priceVersion: '', catalogModel: undefined, overstatedUpToUsd: undefined }, detailAt: undefined, wireOffset: undefined, wireBytes: 2 ** 31 - 1 });
          delete s.toolArgsHash;
          return s;
        })(),
        (() => {
          const s = span({ wireBytes: 2 ** 31, toolArgsHash: undefined, call: { ...NO_PROVIDER_CALL, ttftMs: 0.5, refusal: null, httpStatus: null, retryAfterMs: null, hostProvider: null } });
          delete s.httpStatus;
          return s;
        })(),
        span({ genai: emptyGenAi(), events: [], links: [], evals: [], usageViolations: [] }),
      ];
      const want = batch(spans, {
        received: 7,
        rejected: [
          { kind: 'utf8', path: 'resourceSpans[0].scopeSpans[0].spans[3]', reason: 'not UTF-8' },
          { path: 'span 1 of trace 2', kind: 'usage', reason: 'negative' } as never,
        ],
        truncatedStrings: 3,
        unknownFields: { fields: ['resourceLogs', 'x\uD800'], message: 'only unknown fields' },
      });
      const got = roundTrip(want);
      expect(got).toStrictEqual(want);
      const [a, b, c, d, e] = got.spans as [NormalizedSpan, NormalizedSpan, NormalizedSpan, NormalizedSpan, NormalizedSpan];
      expect(Object.keys(a.attributes)).toEqual(Object.keys(nested));
      expect(Object.keys(a.attributes.map as Attributes)).toEqual(['b', 'a', '']);
      expect(Object.getPrototypeOf(a.attributes)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(a.attributes, '__proto__')?.value).toBe('own');
      expect(Object.is(a.attributes.negZero, -0)).toBe(true);
      expect(a.attributes.lone).toBe('\uD800');
      // Bytes come back as plain Uint8Array copies (as the decoders make them), not views of the transferred buffer.
      const bytes = a.attributes.bytes as Uint8Array;
      expect(bytes.constructor).toBe(Uint8Array);
      expect(bytes.buffer.byteLength).toBe(3);
      expect(((a.attributes.arr as unknown[])[4] as Uint8Array).constructor).toBe(Uint8Array);
      expect(Object.is(b.cost.costUsd, -0)).toBe(true);
      expect(Object.keys(b.cost)).toEqual(['costUsd', 'source', 'priceVersion', 'catalogModel', 'usageIncomplete', 'overstatedUpToUsd', 'cacheUnreportedInputTokens']);
      expect(b.call).toBe(NO_PROVIDER_CALL);
      expect(b.evals[1]!.timeUnixNano).toBe(2n ** 64n - 1n);
      expect('toolArgsHash' in c).toBe(false);
      expect('detailAt' in c && c.detailAt === undefined).toBe(true);
      expect('catalogModel' in c.cost && 'usageIncomplete' in c.cost).toBe(false);
      expect('httpStatus' in d).toBe(false);
      expect('toolArgsHash' in d && d.toolArgsHash === undefined).toBe(true);
      // Empty lists: the shared frozen one when that is what was sent, a fresh one otherwise.
      expect(a.events).toBe(shareEmpty([]));
      expect(Object.isFrozen(e.events) || Object.isFrozen(e.evals) || Object.isFrozen(e.usageViolations)).toBe(false);
      expect(Object.isFrozen(a.genai.conventions)).toBe(true);
      expect(Object.keys(got.rejected[1]!)).toEqual(['path', 'kind', 'reason']);
      expect(Object.keys(got)).toEqual(['spans', 'rejected', 'received', 'truncatedStrings', 'unknownFields']);
      expect(roundTrip(batch([]))).toStrictEqual(batch([]));
      expect(roundTrip(batch([], { truncatedStrings: undefined }))).toStrictEqual(batch([], { truncatedStrings: undefined }));
    });

    it('shares one resource attributes object between the spans that shared it, and one convention list', () => {
      const r1: Attributes = { 'service.name': 'a' };
      const r2: Attributes = { 'service.name': 'a' }; // equal, but another object
      const conventions = Object.freeze(['genai', 'vercel']) as string[];
      const genai = { ...emptyGenAi(), conventions };
      const got = roundTrip(batch([span({ resourceAttributes: r1, genai }), span({ resourceAttributes: r2, genai: { ...genai } }), span({ resourceAttributes: r1 })])).spans;
      expect(got[0]!.resourceAttributes).toBe(got[2]!.resourceAttributes);
      expect(got[0]!.resourceAttributes).not.toBe(got[1]!.resourceAttributes);
      expect(got[0]!.resourceAttributes).toStrictEqual(r1);
      expect(got[0]!.genai.conventions).toBe(got[1]!.genai.conventions);
      expect(got[0]!.genai.conventions).not.toBe(got[2]!.genai.conventions);
    });

    it('hands out a fresh, exactly sized buffer each time that survives being transferred', () => {
      const x = batch([span({ spanId: '1'.repeat(16) })]);
      const y = batch([span({ spanId: '2'.repeat(16), attributes: { k: 'v'.repeat(100_000) } })]);
      const bx = encodeTransferredSpans(x);
      const by = encodeTransferredSpans(y);
      expect(bx).not.toBe(by);
      expect(bx.byteLength).toBeLessThan(by.byteLength);
      const moved = structuredClone(bx, { transfer: [bx] });
      expect(bx.byteLength).toBe(0); // detached: it moved, it was not copied
      expect(decodeTransferredSpans(moved)).toStrictEqual(x);
      expect(decodeTransferredSpans(by)).toStrictEqual(y);
    });

    it('refuses what no decoder makes rather than writing it wrongly', () => {
      expect(() => encodeTransferredSpans(batch([span({ startTimeUnixNano: -1n })]))).toThrow(/64 unsigned bits/);
      expect(() => encodeTransferredSpans(batch([span({ startTimeUnixNano: 2n ** 64n })]))).toThrow(/64 unsigned bits/);
      expect(() => encodeTransferredSpans(batch([span({ attributes: { f: (() => 1) as never } })]))).toThrow(/function/);
      // The scratch streams are reset after a throw: the next buffer is whole.
      expect(roundTrip(batch([span()]))).toStrictEqual(batch([span()]));
    });
  });

  describe('decodeTransferredSpans', () => {
    const good = encodeTransferredSpans(batch([span({ attributes: { a: [1, 2, { b: 'c' }], bytes: new Uint8Array(8) } }), span({ spanId: 'f'.repeat(16) })]));

    it('throws an Error for a truncated buffer, at every length', () => {
      for (let n = 0; n < good.byteLength; n++) expect(() => decodeTransferredSpans(good.slice(0, n)), `${n} bytes`).toThrow(Error);
    });

    it('throws an Error or gives spans for a garbled buffer, and never hangs', () => {
      let thrown = 0;
      let seed = 99;
      const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      for (let i = 0; i < 3000; i++) {
        const bad = good.slice(0);
        const words = new Uint32Array(bad, 0, bad.byteLength >>> 2);
        const w = Math.floor(rand() * words.length);
        words[w] = rand() < 0.5 ? words[w]! ^ (1 << Math.floor(rand() * 32)) : Math.floor(rand() * 2 ** 32);
        try {
          decodeTransferredSpans(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          thrown += 1;
        }
      }
      expect(thrown).toBeGreaterThan(1000);
    });
  });
});
