import { describe, expect, it } from 'vitest';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type OtlpSpan, type SpanRejectionKind } from '../../src/otlp/types.js';
import { AgtError } from '../../src/model/errors.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';
import { decodeWithProtobufjs } from '../support/otlp-protobufjs.js';
import { fixed64, ld, varint } from '../support/proto-wire.js';

const NOW_MS = 1_750_000_000_000;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;
const T = (s: Partial<FixtureSpan> = {}, n = 0): FixtureSpan => ({ traceId: fixtureId(1000 + n, 16), spanId: fixtureId(n, 8), ...s });
const decode = (bytes: Uint8Array, limits: Partial<DecodeLimits> = {}) => decodeExportRequest(bytes, { ...DEFAULT_DECODE_LIMITS, ...limits }, NOW_MS);
const build = (spans: FixtureSpan[], res = {}) => buildExportRequest(spans, res, { nowMs: NOW_MS });

function errorOf(fn: () => unknown): AgtError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgtError);
    return err as AgtError;
  }
  throw new Error('expected a throw');
}

const wrapSpan = (span: number[]): Uint8Array => new Uint8Array(ld(1, ld(2, ld(2, span))));
const ids = [...ld(1, new Array(16).fill(1)), ...ld(2, new Array(8).fill(2))];
const times = [...fixed64(7, NOW_NS - 1000n), ...fixed64(8, NOW_NS)];

describe('decodeExportRequest', () => {
  it('gives spans without events or links one shared frozen empty list, and each span with some its own', () => {
    const withEvent = T({ events: [{ name: 'exception', timeUnixNano: NOW_NS - 500n, attributes: { 'exception.type': 'E' } }] }, 3);
    const [a, b, c] = decode(build([T({}, 1), T({}, 2), withEvent])).spans;
    expect(a!.events).toBe(b!.events);
    expect(a!.links).toBe(b!.events);
    expect(Object.isFrozen(a!.events)).toBe(true);
    expect(() => (a!.events as unknown[]).push(1)).toThrow(TypeError);
    expect(c!.events.map((e) => e.name)).toEqual(['exception']);
    expect(Object.isFrozen(c!.events)).toBe(false);
  });

  describe('attribute key and value caches', () => {
    it('gives every key back exactly across spans, with more distinct keys than cache slots (collisions replace slots)', () => {
      // 6,000 distinct short keys in 4,096 slots: collisions are certain; each span repeats keys of earlier spans.
      const keys = Array.from({ length: 6_000 }, (_, i) => `attr.k${i}.${'x'.repeat(i % 40)}`);
      const spans: FixtureSpan[] = [];
      for (let s = 0; s < 60; s++) {
        const attributes: Record<string, string | number> = {};
        for (let k = 0; k < 200; k++) attributes[keys[(s * 97 + k * 31) % keys.length]!] = k;
        spans.push(T({ spanId: fixtureId(1000 + s, 8), attributes }));
      }
      const decoded = decodeExportRequest(build(spans), DEFAULT_DECODE_LIMITS, NOW_MS);
      expect(decoded.rejected).toEqual([]);
      decoded.spans.forEach((span, s) => {
        const want: Record<string, number> = {};
        for (let k = 0; k < 200; k++) want[keys[(s * 97 + k * 31) % keys.length]!] = k;
        expect(span.attributes).toEqual(want);
      });
    });

    it('tells apart keys and values that differ in one byte anywhere, at every cached length, decoded again and again', () => {
      // The caches compare strings as 32-bit words (the last one overlapping): a byte missed by the hash or the
      // compare, first, middle, last or in the overlapped tail, would hand back the other string's cached copy.
      const variants = (base: string): string[] => {
        const out = [base];
        for (let at = 0; at < base.length; at++) out.push(base.slice(0, at) + String.fromCharCode(base.charCodeAt(at) ^ 1) + base.slice(at + 1));
        return out;
      };
      const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 24, 47, 48, 49, 63, 64, 65];
      const base = (len: number) => Array.from({ length: len }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
      const values = lengths.filter((l) => l <= 49).flatMap((l) => variants(base(l)));
      const keys = lengths.flatMap((l) => variants(`K${base(l - 1)}`));
      const spans: FixtureSpan[] = [];
      for (let s = 0; s < 12; s++) {
        const attributes: Record<string, string> = {};
        // Each span walks the lists from a different start, so equal strings meet other strings' slots in between.
        for (let i = 0; i < keys.length; i++) attributes[keys[(i + s * 37) % keys.length]!] = values[(i * 5 + s * 11) % values.length]!;
        spans.push(T({ spanId: fixtureId(2000 + s, 8), attributes }));
      }
      for (let round = 0; round < 2; round++) {
        const decoded = decodeExportRequest(build(spans), DEFAULT_DECODE_LIMITS, NOW_MS);
        expect(decoded.rejected).toEqual([]);
        decoded.spans.forEach((span, s) => expect(span.attributes).toEqual(spans[s]!.attributes));
      }
    });

    it('gives back every one of 12,000 values of one length that differ only in one 4-byte field (slots collide)', () => {
      // More same-length values than the value cache has slots: many land on a slot held by a value equal to them
      // except in the field, so a compare that skipped any word (first, middle, overlapped last) would return it.
      for (const [pre, post] of [['', '-p0b0-0000000001'], ['sess-0000', '-p0b0-0001'], ['sess-00000000-p0b0-', ''], ['sess-00000000-p0b0-0', '']]) {
        const value = (n: number) => `${pre}${n.toString(36).padStart(4, '0')}${post}`.slice(0, 24);
        const spans = Array.from({ length: 60 }, (_, s) => {
          const attributes: Record<string, string> = {};
          for (let k = 0; k < 200; k++) attributes[`a${k}`] = value((s * 200 + k) * 7);
          return T({ spanId: fixtureId(5000 + s, 8), attributes });
        });
        const decoded = decodeExportRequest(build(spans), DEFAULT_DECODE_LIMITS, NOW_MS);
        decoded.spans.forEach((span, s) => expect(span.attributes).toEqual(spans[s]!.attributes));
      }
    });

    it('keeps alternating session ids that differ only inside their nonce apart (no stale hit), and UTF-8 values too', () => {
      // The e2e traffic's shape: same length, prefix and suffix; only middle bytes differ between sessions.
      const ids = ['0000000003e9-p0b0-000001', '0000000003ea-p0b0-000001', '0000000103e9-p0b0-000001', '0000000003e9-p0b0-000002'];
      const texts = ['héllo wörld ✓', 'héllo wörld ✗', 'é', 'ü', '✓✓', '✓✗'];
      const spans = Array.from({ length: 40 }, (_, s) =>
        T({ spanId: fixtureId(3000 + s, 8), attributes: { 'session.id': ids[s % ids.length]!, text: texts[s % texts.length]!, [texts[(s + 1) % texts.length]!]: 1 } }),
      );
      const decoded = decodeExportRequest(build(spans), DEFAULT_DECODE_LIMITS, NOW_MS);
      expect(decoded.rejected).toEqual([]);
      decoded.spans.forEach((span, s) => expect(span.attributes).toEqual(spans[s]!.attributes));
    });

    it('reads cached strings right from a request that starts at an odd offset of its buffer', () => {
      const spans = Array.from({ length: 6 }, (_, s) => T({ spanId: fixtureId(4000 + s, 8), attributes: { 'gen_ai.request.model': s % 2 ? 'gpt-4o-mini' : 'gpt-4o-mini-2024-07-18', abc: `user-${s % 3}` } }));
      const bytes = build(spans);
      for (const offset of [1, 2, 3, 5]) {
        const backing = new Uint8Array(bytes.length + offset + 3);
        backing.set(bytes, offset);
        const decoded = decodeExportRequest(backing.subarray(offset, offset + bytes.length), DEFAULT_DECODE_LIMITS, NOW_MS);
        decoded.spans.forEach((span, s) => expect(span.attributes).toEqual(spans[s]!.attributes));
      }
    });

    it('still rejects a span whose key is not UTF-8, and a valid key with the same length after it decodes normally', () => {
      const kv = (key: number[]) => ld(9, [...ld(1, key), ...ld(2, ld(1, [0x76]))]);
      const bad = decodeExportRequest(wrapSpan([...ids, ...ld(5, [0x6e]), ...times, ...kv([0xc3, 0x28])]), DEFAULT_DECODE_LIMITS, NOW_MS);
      expect(bad.spans).toHaveLength(0);
      expect(bad.rejected[0]?.kind).toBe('utf8');
      const good = decodeExportRequest(wrapSpan([...ids, ...ld(5, [0x6e]), ...times, ...kv([0x6f, 0x6b])]), DEFAULT_DECODE_LIMITS, NOW_MS);
      expect(good.spans[0]?.attributes).toEqual({ ok: 'v' });
    });
  });

  describe('valid requests', () => {
    it('decodes every span field, attribute kind, event, link and status', () => {
      const spans: FixtureSpan[] = [
        T({
          parentSpanId: fixtureId(77, 8),
          name: 'chat gpt-4o',
          kind: 3,
          traceState: 'a=b',
          flags: 1,
          attributes: {
            s: 'hé llo ✓',
            b: true,
            i: 42,
            neg: -7,
            d: 1.5,
            bytes: new Uint8Array([1, 2, 255]),
            arr: ['x', 1, false, null],
            kv: { inner: { deep: 'yes' }, n: 3 },
          },
          events: [{ timeUnixNano: NOW_NS - 500n, name: 'gen_ai.choice', attributes: { idx: 0 } }],
          links: [{ traceId: fixtureId(5, 16), spanId: fixtureId(6, 8), attributes: { why: 'retry' } }],
          status: { code: 2, message: 'boom' },
        }),
      ];
      const out = decode(build(spans, { 'service.name': 'agent' }));
      expect(out.rejected).toEqual([]);
      expect(out.truncatedStrings).toBeUndefined();
      const s = out.spans[0]!;
      expect(s).toMatchObject({
        traceId: fixtureId(1000, 16),
        spanId: fixtureId(0, 8),
        parentSpanId: fixtureId(77, 8),
        name: 'chat gpt-4o',
        kind: 3,
        traceState: 'a=b',
        flags: 1,
        startTimeUnixNano: NOW_NS - 1_000_000_000n,
        endTimeUnixNano: NOW_NS - 900_000_000n,
        status: { code: 2, message: 'boom' },
        resource: { attributes: { 'service.name': 'agent' }, droppedAttributesCount: 0 },
        scope: { name: 'agenttail-fixture', version: '1.0.0', attributes: {} },
      });
      expect(s.attributes).toEqual({
        s: 'hé llo ✓',
        b: true,
        i: 42,
        neg: -7,
        d: 1.5,
        bytes: new Uint8Array([1, 2, 255]),
        arr: ['x', 1, false, null],
        kv: { inner: { deep: 'yes' }, n: 3 },
      });
      expect(s.events).toEqual([{ timeUnixNano: NOW_NS - 500n, name: 'gen_ai.choice', attributes: { idx: 0 } }]);
      expect(s.links).toEqual([{ traceId: fixtureId(5, 16), spanId: fixtureId(6, 8), traceState: '', attributes: { why: 'retry' } }]);
      expect(s.wireBytes).toBeGreaterThan(100);
    });

    it('shares one resource and one scope object across the spans they contain', () => {
      const out = decode(build([T({}, 1), T({}, 2), T({}, 3)]));
      expect(out.spans).toHaveLength(3);
      expect(out.spans[0]!.resource).toBe(out.spans[2]!.resource);
      expect(out.spans[0]!.scope).toBe(out.spans[1]!.scope);
    });

    it('matches the protobufjs reference on the same bytes', () => {
      const bytes = build([T({ attributes: { a: 'x', n: 2 ** 40, big: 1.25 }, events: [{ name: 'e' }] }, 1), T({ parentSpanId: fixtureId(1, 8) }, 2)]);
      const mine = decode(bytes).spans.map((s): OtlpSpan => ({ ...s, wireBytes: 0 }));
      expect(mine).toEqual(decodeWithProtobufjs(bytes));
    });

    it('decodes a view that starts inside a larger buffer (pooled Buffers, gRPC frames)', () => {
      const bytes = build([T({ attributes: { t: 1.5 } }, 1)]);
      const host = new Uint8Array(bytes.length + 7);
      host.set(bytes, 3);
      const view = host.subarray(3, 3 + bytes.length);
      expect(decode(view)).toEqual(decode(bytes));
      expect(decode(view).spans[0]!.startTimeUnixNano).toBe(NOW_NS - 1_000_000_000n);
    });

    it('accepts an empty request and empty ResourceSpans / ScopeSpans', () => {
      expect(decode(new Uint8Array(0))).toEqual({ spans: [], rejected: [] });
      expect(decode(new Uint8Array([...ld(1, []), ...ld(1, ld(2, []))]))).toEqual({ spans: [], rejected: [] });
    });

    it('skips unknown fields of every wire type', () => {
      const unknown = [...varint((99 << 3) | 0), 5, ...fixed64(98, 1n), ...ld(97, [1, 2, 3]), ...varint((96 << 3) | 5), 1, 2, 3, 4];
      unknown.push(...varint((95 << 3) | 3), ...varint((1 << 3) | 0), 1, ...varint((95 << 3) | 4));
      const out = decode(wrapSpan([...unknown, ...ids, ...times, ...ld(5, [0x61])]));
      expect(out.rejected).toEqual([]);
      expect(out.spans[0]!.name).toBe('a');
    });

    it('reads int64 values beyond 2^53 as decimal strings and negatives exactly', () => {
      const kv = (key: string, v: number[]) => ld(9, [...ld(1, [...Buffer.from(key)]), ...ld(2, [0x18, ...v])]);
      const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
      const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
      const out = decode(wrapSpan([...ids, ...times, ...kv('max', max), ...kv('m1', minusOne)]));
      expect(out.spans[0]!.attributes).toEqual({ max: '9223372036854775807', m1: -1 });
    });

    it('truncates strings longer than maxStringBytes on a character boundary and counts them', () => {
      const out = decode(build([T({ name: 'abcdef', attributes: { s: 'ééé' } })]), { maxStringBytes: 5 });
      expect(out.spans[0]!.name).toBe('abcde');
      expect(out.spans[0]!.attributes.s).toBe('éé');
      expect(out.truncatedStrings).toBe(3); // the name, the attribute and the scope name "agenttail-fixture"
    });

    it('truncates a short value under a small limit even after the same value was decoded (and cached) in full', () => {
      const spans = [T({ name: 'n', attributes: { model: 'gpt-4o-mini' } })];
      expect(decode(build(spans)).spans[0]!.attributes).toEqual({ model: 'gpt-4o-mini' });
      const cut = decode(build(spans), { maxStringBytes: 6 });
      expect(cut.spans[0]!.attributes).toEqual({ model: 'gpt-4o' });
    });

    it('keeps a "__proto__" attribute key as an ordinary property', () => {
      const out = decode(build([T({ attributes: JSON.parse('{"__proto__": "x"}') as Record<string, string> })]));
      const attrs = out.spans[0]!.attributes;
      expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toBe('x');
    });
  });

  describe('span rejections', () => {
    const cases: [string, Uint8Array, Partial<DecodeLimits>, RegExp, SpanRejectionKind][] = [
      ['a short trace id', wrapSpan([...ld(1, [1, 2]), ...ld(2, new Array(8).fill(2)), ...times]), {}, /traceId is 2 bytes, expected 16/, 'trace_id'],
      ['an all-zero trace id', wrapSpan([...ld(1, new Array(16).fill(0)), ...ld(2, new Array(8).fill(2)), ...times]), {}, /traceId is all zero/, 'trace_id'],
      ['a missing span id', wrapSpan([...ld(1, new Array(16).fill(1)), ...times]), {}, /spanId is 0 bytes/, 'span_id'],
      ['an all-zero span id', wrapSpan([...ld(1, new Array(16).fill(1)), ...ld(2, new Array(8).fill(0)), ...times]), {}, /spanId is all zero/, 'span_id'],
      ['a 3-byte parent id', wrapSpan([...ids, ...ld(4, [1, 2, 3]), ...times]), {}, /parentSpanId is 3 bytes, expected 8 or empty/, 'parent_span_id'],
      ['end before start', wrapSpan([...ids, ...fixed64(7, NOW_NS), ...fixed64(8, NOW_NS - 1n)]), {}, /before startTimeUnixNano/, 'timestamp'],
      ['a start far in the past', wrapSpan([...ids, ...fixed64(7, 1n), ...fixed64(8, NOW_NS)]), {}, /startTimeUnixNano 1 is outside/, 'timestamp'],
      ['an end far in the future', wrapSpan([...ids, ...fixed64(7, NOW_NS), ...fixed64(8, NOW_NS * 2n)]), {}, /endTimeUnixNano .* is outside/, 'timestamp'],
      ['invalid UTF-8 in a name', wrapSpan([...ids, ...times, ...ld(5, [0x61, 0xc3, 0x28])]), {}, /not valid UTF-8/, 'utf8'],
    ];
    for (const [what, bytes, limits, reason, kind] of cases) {
      it(`rejects ${what} with its path`, () => {
        const out = decode(bytes, limits);
        expect(out.spans).toEqual([]);
        expect(out.rejected).toHaveLength(1);
        expect(out.rejected[0]!.path).toBe('resourceSpans[0].scopeSpans[0].spans[0]');
        expect(out.rejected[0]!.reason).toMatch(reason);
        expect(out.rejected[0]!.kind).toBe(kind);
      });
    }

    it('rejects too many attributes on a span, an event or a link', () => {
      const many = { a: 1, b: 2, c: 3 };
      const out = decode(
        build([T({ attributes: many }, 0), T({ events: [{ name: 'e', attributes: many }] }, 1), T({ links: [{ traceId: fixtureId(1, 16), spanId: fixtureId(1, 8), attributes: many }] }, 2), T({}, 3)]),
        { maxAttributesPerSpan: 2 },
      );
      expect(out.spans.map((s) => s.spanId)).toEqual([fixtureId(3, 8)]);
      expect(out.rejected.map((r) => r.path)).toEqual([0, 1, 2].map((i) => `resourceSpans[0].scopeSpans[0].spans[${i}]`));
      expect(out.rejected.map((r) => r.reason)).toEqual([/span has more/, /event has more/, /link has more/].map((re) => expect.stringMatching(re)));
      expect(out.rejected.map((r) => r.kind)).toEqual(['attributes', 'attributes', 'attributes']);
    });

    it('rejects AnyValue nesting deeper than maxAnyValueDepth', () => {
      const out = decode(build([T({ attributes: { ok: [1] } }, 0), T({ attributes: { deep: [[1]] } }, 1)]), { maxAnyValueDepth: 2 });
      expect(out.spans).toHaveLength(1);
      expect(out.rejected[0]!.reason).toMatch(/nested deeper than maxAnyValueDepth 2/);
      expect(out.rejected[0]!.kind).toBe('nesting');
    });

    it('rejects more events or links than maxEventsPerSpan', () => {
      const out = decode(build([T({ events: [{ name: 'a' }, { name: 'b' }] }, 0), T({ links: [1, 2].map((n) => ({ traceId: fixtureId(n, 16), spanId: fixtureId(n, 8) })) }, 1)]), { maxEventsPerSpan: 1 });
      expect(out.spans).toEqual([]);
      expect(out.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/events/), expect.stringMatching(/links/)]);
    });

    it('rejects every span under a resource with invalid UTF-8 and keeps other resources', () => {
      const badResource = ld(1, ld(1, [...ld(1, [0x6b]), ...ld(2, ld(1, [0xff]))]));
      const span = ld(2, [...ids, ...times]);
      const bytes = new Uint8Array([...ld(1, [...badResource, ...ld(2, [...span, ...span])]), ...ld(1, ld(2, span))]);
      const out = decode(bytes);
      expect(out.spans).toHaveLength(1);
      expect(out.rejected.map((r) => r.path)).toEqual(['resourceSpans[0].scopeSpans[0].spans[0]', 'resourceSpans[0].scopeSpans[0].spans[1]']);
      expect(out.rejected[0]!.reason).toMatch(/^resource: .*UTF-8/);
    });
  });

  describe('request errors', () => {
    it('names a truncated length-delimited field and its byte offset', () => {
      const bytes = build([T()]);
      const err = errorOf(() => decode(bytes.subarray(0, bytes.length - 3)));
      expect(err.code).toBe('AGT_ERR_MALFORMED_REQUEST');
      expect(err.message).toMatch(/truncated length-delimited field at byte \d+/);
    });

    it('names a field with the wrong wire type', () => {
      const err = errorOf(() => decode(wrapSpan([...ids, ...varint((2 << 3) | 0), 1])));
      expect(err.code).toBe('AGT_ERR_MALFORMED_REQUEST');
      expect(err.message).toMatch(/Span field 2 has wire type 0, expected 2/);
    });

    it('throws AGT_ERR_LIMIT_EXCEEDED for more spans than maxSpansPerRequest', () => {
      const err = errorOf(() => decode(build([T({}, 1), T({}, 2), T({}, 3)]), { maxSpansPerRequest: 2 }));
      expect(err.code).toBe('AGT_ERR_LIMIT_EXCEEDED');
    });
  });
});
