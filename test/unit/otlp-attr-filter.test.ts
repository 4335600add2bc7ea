/**
 * Spans decoded through the attribute filter (src/receive/span-attr-filter.ts): a span held lean builds only the
 * attributes normalization and decisions read. Checked against decoding everything, on the traffic of every
 * supported client (captured fixtures), the simulator's sessions (every detector's pattern) and the e2e bench's
 * requests: the same spans, rejections and cut strings, and the same normalized, priced spans but for the attributes
 * left out. And the other way round: every attribute normalization reads, recorded as it reads, is one the filter keeps.
 */
import { describe, expect, it } from 'vitest';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import type { Attributes } from '../../src/model/otlp-values.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { decodeUtf8, checkUtf8 } from '../../src/otlp/text.js';
import { DEFAULT_DECODE_LIMITS, type OtlpSpan } from '../../src/otlp/types.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { SpanAttrFilter } from '../../src/receive/span-attr-filter.js';
import { PROVIDER_URL_KEYS } from '../../src/sampling/detectors/stalled.js';
import { fixed64, ld, varint } from '../support/proto-wire.js';
import { corpus } from '../support/span-corpus.js';

const NOW_MS = Date.now();
const limits = DEFAULT_DECODE_LIMITS;
const filter = new SpanAttrFilter(protectedKeys(), new Set(PROVIDER_URL_KEYS));
const kept = (key: string): boolean => filter.marksIfLeftOut(key) === -1;

/** The attributes the filter keeps. */
const only = (a: Attributes): Attributes => Object.fromEntries(Object.entries(a).filter(([k]) => kept(k)));

/** A normalized span without its attributes, events and links, for comparing the rest. */
function rest(n: NormalizedSpan): Record<string, unknown> {
  const { attributes: _a, events: _e, links: _l, ...others } = n;
  return others;
}

describe('decoding through the attribute filter', () => {
  const normalizer = new Normalizer();
  const pricer = new Pricer();
  const normalize = (s: OtlpSpan): NormalizedSpan => {
    const n = normalizer.normalize(s, 't1');
    n.cost = pricer.price(n);
    return n;
  };
  const requests = corpus(NOW_MS);

  it('gives the same spans, rejections, cuts and normalized spans as a whole decode, without the attributes it leaves out', () => {
    expect(requests.length).toBeGreaterThan(80);
    let spans = 0;
    let leftOut = 0;
    let eventLeftOut = 0;
    const conventions = new Set<string>();
    for (const { name, bytes } of requests) {
      const whole = decodeExportRequest(bytes, limits, NOW_MS);
      const lean = decodeExportRequest(bytes, limits, NOW_MS, filter);
      expect(lean.rejected, name).toEqual(whole.rejected);
      expect(lean.truncatedStrings, name).toBe(whole.truncatedStrings);
      expect(lean.spans.length, name).toBe(whole.spans.length);
      whole.spans.forEach((w, i) => {
        const l = lean.spans[i]!;
        const want = only(w.attributes);
        expect(l.attributes, name).toEqual(want);
        leftOut += Object.keys(w.attributes).length - Object.keys(want).length;
        // Events and links are built, with the attributes normalization reads (exception types, evals) only.
        expect(l.events, name).toEqual(w.events.map((e) => ({ ...e, attributes: only(e.attributes) })));
        expect(l.links, name).toEqual(w.links.map((x) => ({ ...x, attributes: only(x.attributes) })));
        for (const e of w.events) eventLeftOut += Object.keys(e.attributes).length - Object.keys(only(e.attributes)).length;
        const nw = normalize(w);
        const nl = normalize(l);
        expect(rest(nl), `${name} span ${w.name}`).toEqual(rest(nw));
        for (const c of nw.genai.conventions) conventions.add(c);
        spans += 1;
      });
    }
    expect(spans).toBeGreaterThan(500);
    // The corpus exercises what the filter is for: values left out, from every convention.
    expect(leftOut).toBeGreaterThan(500);
    expect(eventLeftOut).toBeGreaterThan(0);
    expect([...conventions].sort()).toEqual(['genai', 'langfuse', 'openinference', 'openllmetry', 'vercel']);
  });

  it('keeps every attribute normalization reads (each read recorded)', () => {
    const read = new Set<string>();
    const recording = (a: Attributes): Attributes =>
      new Proxy(a, {
        get(target, key, receiver) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
        has(target, key) {
          if (typeof key === 'string') read.add(key);
          return Reflect.has(target, key);
        },
      });
    for (const { bytes } of requests) {
      for (const s of decodeExportRequest(bytes, limits, NOW_MS).spans) {
        const events = s.events.map((e) => ({ ...e, attributes: recording(e.attributes) }));
        const links = s.links.map((x) => ({ ...x, attributes: recording(x.attributes) }));
        normalize({ ...s, attributes: recording(s.attributes), events, links });
      }
    }
    expect(read.size).toBeGreaterThan(30);
    expect([...read].filter((k) => !kept(k))).toEqual([]);
  });
});

/** Hand-encoded protobuf, for what no SDK sends. */
const str = (field: number, s: string | number[]): number[] => ld(field, typeof s === 'string' ? [...Buffer.from(s)] : s);
const anyString = (s: string | number[]): number[] => str(1, s);
const kv = (key: string, value: number[]): number[] => [...str(1, key), ...ld(2, value)];
/** A request of one span with the given KeyValue messages as its attributes. */
function spanWith(...attrs: number[][]): Uint8Array {
  const start = BigInt(NOW_MS - 2_000) * 1_000_000n;
  const span = [...str(1, [...Buffer.alloc(16, 1)]), ...str(2, [...Buffer.alloc(8, 2)]), ...str(5, 'chat'), ...fixed64(7, start), ...fixed64(8, start + 1_000n), ...attrs.flatMap((a) => ld(9, a))];
  return new Uint8Array(ld(1, ld(2, ld(2, span))));
}
const both = (bytes: Uint8Array, l = limits) => {
  const run = (f?: SpanAttrFilter) => {
    try {
      return decodeExportRequest(bytes, l, NOW_MS, f);
    } catch (err) {
      return { error: String(err) };
    }
  };
  return { whole: run(), lean: run(filter) };
};

describe('a value left out is still checked', () => {
  it('refuses a span whose left-out string is not UTF-8, with the same reason', () => {
    const { whole, lean } = both(spanWith(kv('app.note', anyString([0x61, 0xc3, 0x28]))));
    expect('rejected' in whole && whole.rejected[0]?.kind).toBe('utf8');
    expect(lean).toEqual(whole);
  });

  it('refuses a left-out value nested past maxAnyValueDepth, and cuts and counts long strings the same', () => {
    let nested = anyString('deep');
    for (let i = 0; i < 4; i++) nested = ld(5, ld(1, nested)); // arrays within arrays
    const deep = both(spanWith(kv('app.deep', nested)), { ...limits, maxAnyValueDepth: 3 });
    expect('rejected' in deep.whole && deep.whole.rejected[0]?.kind).toBe('nesting');
    expect(deep.lean).toEqual(deep.whole);
    const kvlist = ld(6, ld(1, kv('inner', anyString('é'.repeat(40)))));
    const long = both(spanWith(kv('app.long', anyString('x'.repeat(300))), kv('app.map', kvlist)), { ...limits, maxStringBytes: 16 });
    expect('truncatedStrings' in long.whole && long.whole.truncatedStrings).toBe(2);
    expect('truncatedStrings' in long.lean && long.lean.truncatedStrings).toBe(2);
  });

  it('answers a malformed left-out value with the same request error', () => {
    const wrongWire = [...varint((2 << 3) | 2), 1, 0]; // bool_value sent length-delimited
    const { whole, lean } = both(spanWith(kv('app.flag', wrongWire)));
    expect('error' in whole && whole.error).toContain('wire type 2');
    expect(lean).toEqual(whole);
  });

  it('builds a wanted value sent before its key, and the value of a key named twice when the last name is wanted', () => {
    const valueFirst = [...ld(2, anyString('gpt-4o')), ...str(1, 'gen_ai.request.model')];
    const renamed = [...str(1, 'app.note'), ...ld(2, anyString('y'.repeat(40))), ...str(1, 'gen_ai.response.model')];
    const { whole, lean } = both(spanWith(valueFirst, renamed, kv('app.other', anyString('z'))), { ...limits, maxStringBytes: 32 });
    if (!('spans' in lean) || !('spans' in whole)) throw new Error('expected spans');
    expect(lean.spans[0]!.attributes).toEqual({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'y'.repeat(32) });
    expect(whole.spans[0]!.attributes['app.other']).toBe('z');
    // The cut of the renamed value counted once, as in the whole decode.
    expect(lean.truncatedStrings).toBe(whole.truncatedStrings);
    expect(lean.truncatedStrings).toBe(1);
  });

  it('checks UTF-8 exactly as decoding does (random and edge byte strings)', () => {
    const cases: number[][] = [[0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xef, 0xbb, 0xbf, 0x41], [0xe2, 0x82], [...Buffer.from('plain ascii text, longer than thirty-two bytes')], [...Buffer.from('ünïcödé '.repeat(8))]];
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 3000; i++) {
      const len = 1 + Math.floor(rand() * 48);
      cases.push(Array.from({ length: len }, () => (rand() < 0.7 ? 0x20 + Math.floor(rand() * 0x5f) : Math.floor(rand() * 256))));
    }
    let invalid = 0;
    for (const c of cases) {
      const buf = Buffer.from(c);
      let decodeErr = '';
      let checkErr = '';
      try {
        decodeUtf8(buf, 0, buf.length);
      } catch (err) {
        decodeErr = (err as Error).message;
      }
      try {
        checkUtf8(buf, 0, buf.length);
      } catch (err) {
        checkErr = (err as Error).message;
      }
      expect(checkErr, JSON.stringify(c)).toBe(decodeErr);
      if (decodeErr !== '') invalid += 1;
    }
    expect(invalid).toBeGreaterThan(500);
  });
});
