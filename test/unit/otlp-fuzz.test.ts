import { describe, expect, it } from 'vitest';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { AgtError } from '../../src/model/errors.js';
import { mulberry32 as rng } from '../../src/prng.js';
import { buildExportRequest, buildExportRequestJson, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const NOW_MS = 1_750_000_000_000;
const ITERATIONS = 4000;


const spans: FixtureSpan[] = [0, 1, 2].map((n) => ({
  traceId: fixtureId(100 + n, 16),
  spanId: fixtureId(n, 8),
  parentSpanId: n > 0 ? fixtureId(0, 8) : undefined,
  name: `span ${n} ✓`,
  attributes: { s: 'value', i: n, d: 0.5, arr: [1, 'x', [true]], kv: { a: { b: null } }, bytes: new Uint8Array([n]) },
  events: [{ name: 'e', attributes: { k: 'v' } }],
  links: [{ traceId: fixtureId(7, 16), spanId: fixtureId(8, 8) }],
  status: { code: 2, message: 'err' },
}));
const valid = buildExportRequest(spans, { 'service.name': 'svc' }, { nowMs: NOW_MS });
const validJson = buildExportRequestJson(spans, { 'service.name': 'svc' }, { nowMs: NOW_MS });

/** Runs `fn` and fails the test if it throws anything but an AgtError. */
function onlyAgtErrors(fn: () => unknown, label: string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof AgtError)) throw new Error(`${label}: threw a non-AgtError: ${String(err)}`, { cause: err });
    return 'error';
  }
}

function mutate(src: Uint8Array, next: () => number): Uint8Array {
  const out = Uint8Array.from(src);
  const kind = Math.floor(next() * 4);
  if (kind === 0) return out.subarray(0, Math.floor(next() * out.length)); // truncation
  const flips = 1 + Math.floor(next() * 4);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(next() * out.length);
    out[at] = kind === 1 ? Math.floor(next() * 256) : out[at]! ^ (1 << Math.floor(next() * 8));
  }
  if (kind === 3) return Uint8Array.from([...out.subarray(0, 10), ...out.subarray(20)]); // a deleted run
  return out;
}

describe('OTLP decoders under fuzzing', () => {
  describe('decodeExportRequest', () => {
    it('throws only AgtError on random bytes', () => {
      const next = rng(1);
      for (let i = 0; i < ITERATIONS; i++) {
        const bytes = Uint8Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256));
        onlyAgtErrors(() => decodeExportRequest(bytes, DEFAULT_DECODE_LIMITS, NOW_MS), `random #${i}`);
      }
    });

    it('throws only AgtError on mutated and truncated valid requests, and still decodes many', () => {
      const next = rng(2);
      const outcomes = { ok: 0, error: 0 };
      for (let i = 0; i < ITERATIONS; i++) {
        const bytes = mutate(valid, next);
        outcomes[onlyAgtErrors(() => decodeExportRequest(bytes, DEFAULT_DECODE_LIMITS, NOW_MS), `mutation #${i}`)]++;
      }
      // Both paths must be exercised for the fuzzing to mean anything.
      expect(outcomes.ok).toBeGreaterThan(ITERATIONS / 20);
      expect(outcomes.error).toBeGreaterThan(ITERATIONS / 20);
    });
  });

  describe('decodeExportRequestJson', () => {
    it('throws only AgtError on mutated and truncated valid JSON', () => {
      const next = rng(3);
      const bytes = new TextEncoder().encode(validJson);
      const outcomes = { ok: 0, error: 0 };
      for (let i = 0; i < ITERATIONS; i++) {
        const m = mutate(bytes, next);
        outcomes[onlyAgtErrors(() => decodeExportRequestJson(m, DEFAULT_DECODE_LIMITS, NOW_MS), `json mutation #${i}`)]++;
      }
      expect(outcomes.error).toBeGreaterThan(ITERATIONS / 20);
      expect(outcomes.ok).toBeGreaterThan(0);
    });

    it('throws only AgtError on structurally odd JSON values', () => {
      const odd = ['null', '1', '"x"', '{"resourceSpans":[null]}', '{"resourceSpans":[{"scopeSpans":[{"spans":[null, 1, "x", []]}]}]}',
        '{"resourceSpans":[{"resource":5,"scopeSpans":[{"scope":[],"spans":[{}]}]}]}', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":1,"value":{"kvlistValue":{"values":5}}}]}]}]}]}',
        `{"resourceSpans":${'['.repeat(5000)}${']'.repeat(5000)}}`];
      for (const body of odd) onlyAgtErrors(() => decodeExportRequestJson(body, DEFAULT_DECODE_LIMITS, NOW_MS), body.slice(0, 60));
      expect(decodeExportRequestJson(odd[4]!, DEFAULT_DECODE_LIMITS, NOW_MS).rejected).toHaveLength(4);
    });
  });
});
