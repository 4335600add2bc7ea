import { describe, expect, it } from 'vitest';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type OtlpSpan } from '../../src/otlp/types.js';
import { AgtError } from '../../src/model/errors.js';
import { buildExportRequest, buildExportRequestJson, buildExportRequestJsonObject, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const NOW_MS = 1_750_000_000_000;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;
const T = (s: Partial<FixtureSpan> = {}, n = 0): FixtureSpan => ({ traceId: fixtureId(1000 + n, 16), spanId: fixtureId(n, 8), ...s });
const decode = (body: string | Uint8Array, limits: Partial<DecodeLimits> = {}) => decodeExportRequestJson(body, { ...DEFAULT_DECODE_LIMITS, ...limits }, NOW_MS);
const noWire = (spans: OtlpSpan[]) => spans.map((s) => ({ ...s, wireBytes: 0 }));

function errorOf(fn: () => unknown): AgtError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgtError);
    return err as AgtError;
  }
  throw new Error('expected a throw');
}

/** A one-span JSON request whose span is `span` (merged over valid defaults). */
function oneSpan(span: Record<string, unknown>): string {
  const base = { traceId: fixtureId(1, 16), spanId: fixtureId(2, 8), startTimeUnixNano: String(NOW_NS - 10n), endTimeUnixNano: String(NOW_NS) };
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...base, ...span }] }] }] });
}

describe('decodeExportRequestJson', () => {
  describe('valid requests', () => {
    it('decodes the same spans as the protobuf encoding of the same request', () => {
      const spans = [
        T({
          parentSpanId: fixtureId(9, 8),
          kind: 2,
          attributes: { s: 'x ✓', i: -3, d: 2.5, b: false, bytes: new Uint8Array([0, 9]), arr: [1, 'a'], kv: { k: [true] } },
          events: [{ name: 'ev', attributes: { n: 1 } }],
          links: [{ traceId: fixtureId(3, 16), spanId: fixtureId(4, 8) }],
          status: { code: 1, message: 'fine' },
        }),
        T({}, 1),
      ];
      const opts = { nowMs: NOW_MS };
      const fromJson = decode(buildExportRequestJson(spans, { svc: 'a' }, opts));
      const fromPb = decodeExportRequest(buildExportRequest(spans, { svc: 'a' }, opts), DEFAULT_DECODE_LIMITS, NOW_MS);
      expect(fromJson.rejected).toEqual([]);
      expect(noWire(fromJson.spans)).toEqual(noWire(fromPb.spans));
      expect(fromJson.spans[0]!.wireBytes).toBeGreaterThan(100);
    });

    it('accepts snake_case keys, numeric times, enum names and uppercase hex ids', () => {
      const body = JSON.stringify({
        resource_spans: [
          {
            scope_spans: [
              {
                spans: [
                  {
                    trace_id: fixtureId(1, 16).toUpperCase().replace(/0/g, '0'),
                    span_id: 'ABCDEF0123456789',
                    start_time_unix_nano: Number(NOW_MS - 5) * 1e6,
                    end_time_unix_nano: String(NOW_NS),
                    kind: 'SPAN_KIND_CLIENT',
                    status: { code: 'STATUS_CODE_ERROR' },
                    attributes: [{ key: 'n', value: { int_value: 5 } }, { key: 'big', value: { intValue: '9007199254740993' } }, { key: 'nan', value: { doubleValue: 'NaN' } }],
                  },
                ],
              },
            ],
          },
        ],
      });
      const out = decode(body);
      expect(out.rejected).toEqual([]);
      const s = out.spans[0]!;
      expect(s.spanId).toBe('abcdef0123456789');
      expect(s.kind).toBe(3);
      expect(s.status.code).toBe(2);
      // A JSON number above 2^53 is already rounded by JSON.parse; senders should use strings (OTLP/JSON does).
      expect(s.startTimeUnixNano).toBe(BigInt(Number(NOW_MS - 5) * 1e6));
      expect(s.attributes).toEqual({ n: 5, big: '9007199254740993', nan: NaN });
    });

    it('accepts a Uint8Array body and an empty request', () => {
      expect(decode(new TextEncoder().encode('{}'))).toEqual({ spans: [], rejected: [] });
      expect(decode('{"resourceSpans":[{"scopeSpans":[]}]}')).toEqual({ spans: [], rejected: [] });
    });

    it('truncates long strings and counts them', () => {
      const out = decode(buildExportRequestJson([T({ name: 'abcdefgh' })], {}, { nowMs: NOW_MS, scopeName: 's' }), { maxStringBytes: 6 });
      expect(out.spans[0]!.name).toBe('abcdef');
      expect(out.truncatedStrings).toBe(1);
    });
  });

  describe('span rejections', () => {
    const cases: [string, Record<string, unknown>, Partial<DecodeLimits>, RegExp][] = [
      ['a short trace id', { traceId: 'abcd' }, {}, /traceId is 2 bytes, expected 16/],
      ['a base64 trace id', { traceId: 'AAECAwQFBgcICQoLDA0ODw==' }, {}, /traceId must be a hex string/],
      ['an all-zero span id', { spanId: '0000000000000000' }, {}, /spanId is all zero/],
      ['a bad parent id', { parentSpanId: 'abcdef' }, {}, /parentSpanId is 3 bytes, expected 8 or empty/],
      ['end before start', { startTimeUnixNano: String(NOW_NS), endTimeUnixNano: String(NOW_NS - 1n) }, {}, /before startTimeUnixNano/],
      ['a start in the distant past', { startTimeUnixNano: '1' }, {}, /startTimeUnixNano 1 is outside/],
      ['a lone surrogate', { name: 'a\ud800b' }, {}, /not valid UTF-8/],
      ['too many attributes', { attributes: [{ key: 'a' }, { key: 'b' }] }, { maxAttributesPerSpan: 1 }, /more than maxAttributesPerSpan 1/],
      ['deep nesting', { attributes: [{ key: 'a', value: { arrayValue: { values: [{ arrayValue: {} }] } } }] }, { maxAnyValueDepth: 2 }, /deeper than maxAnyValueDepth 2/],
      ['too many events', { events: [{}, {}] }, { maxEventsPerSpan: 1 }, /more than maxEventsPerSpan 1 events/],
      ['an unknown kind name', { kind: 'SPAN_KIND_WEIRD' }, {}, /kind "SPAN_KIND_WEIRD" is not a known value/],
      ['an int64 out of range', { attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] }, {}, /does not fit in int64/],
    ];
    for (const [what, span, limits, reason] of cases) {
      it(`rejects ${what} with its path`, () => {
        const out = decode(oneSpan(span), limits);
        expect(out.spans).toEqual([]);
        expect(out.rejected).toEqual([{ path: 'resourceSpans[0].scopeSpans[0].spans[0]', kind: expect.any(String), reason: expect.stringMatching(reason) }]);
      });
    }

    it('rejects only the bad span and keeps its neighbours', () => {
      const req = buildExportRequestJsonObject([T({}, 1), T({}, 2), T({}, 3)], {}, { nowMs: NOW_MS }) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
      req.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.traceId = 'zz';
      const out = decode(JSON.stringify(req));
      expect(out.spans.map((s) => s.spanId)).toEqual([fixtureId(1, 8), fixtureId(3, 8)]);
      expect(out.rejected.map((r) => r.path)).toEqual(['resourceSpans[0].scopeSpans[0].spans[1]']);
    });
  });

  describe('request errors', () => {
    it('names the position of invalid JSON', () => {
      const err = errorOf(() => decode('{"resourceSpans": [}'));
      expect(err.code).toBe('AGT_ERR_MALFORMED_REQUEST');
      expect(err.message).toMatch(/invalid JSON at position 19:/);
      expect(errorOf(() => decode('{"a": tru')).message).toMatch(/position 6:/);
      expect(errorOf(() => decode('{"a": 1} x')).message).toMatch(/position 9:/);
      expect(errorOf(() => decode('')).message).toMatch(/position 0:/);
    });

    it('names a resourceSpans that is not an array', () => {
      const err = errorOf(() => decode('{"resourceSpans": {}}'));
      expect(err.message).toMatch(/resourceSpans must be an array/);
    });

    it('refuses a body that is not UTF-8 or not an object', () => {
      expect(errorOf(() => decode(new Uint8Array([0x7b, 0xff, 0x7d]))).message).toMatch(/not valid UTF-8/);
      expect(errorOf(() => decode('[1]')).message).toMatch(/must be a JSON object/);
    });

    it('throws AGT_ERR_LIMIT_EXCEEDED for more spans than maxSpansPerRequest', () => {
      const err = errorOf(() => decode(buildExportRequestJson([T({}, 1), T({}, 2)], {}, { nowMs: NOW_MS }), { maxSpansPerRequest: 1 }));
      expect(err.code).toBe('AGT_ERR_LIMIT_EXCEEDED');
    });
  });
});
