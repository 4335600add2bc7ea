/**
 * Redaction under fuzzing: any bytes give an Outcome (never a throw); whatever a mutated request decodes to, the
 * redacted request decodes to the same spans (ids, times, names, usage) with nothing left that the built-ins find.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS, type OtlpSpan } from '../../src/otlp/types.js';
import { mulberry32 } from '../../src/prng.js';
import { Authenticator, type TenantAuth } from '../../src/receive/auth.js';
import { RedactionMetrics } from '../../src/redaction/metrics.js';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { Redactor } from '../../src/redaction/request-redactor.js';
import { buildExportRequest, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const NOW_MS = 1_750_000_000_000;
const ITERATIONS = 3000;
const principal: TenantAuth = { tenantId: 't', trustedGateway: false, admin: false, open: true, keyId: 'open' };

const redactor = new Redactor({
  config: parseConfig({ redaction: { enabled: true, hashSecret: 'fuzz-secret-0123456789', rules: [{ name: 'drop-x', action: 'drop', keys: ['x.drop'] }, { name: 'hash-u', action: 'hash', keys: ['x.user'] }] } }).redaction,
  isProtected: protectedKeys(),
  auth: new Authenticator({ keys: [], log: silentLogger() }),
  metrics: new RedactionMetrics(new Registry()),
}).forSignal('traces');

const builtinsOnly = new Redactor({
  config: parseConfig({ redaction: { enabled: true } }).redaction,
  isProtected: protectedKeys(),
  auth: new Authenticator({ keys: [], log: silentLogger() }),
  metrics: new RedactionMetrics(new Registry()),
}).forSignal('traces');

const spans: FixtureSpan[] = [0, 1, 2].map((n) => ({
  traceId: fixtureId(300 + n, 16),
  spanId: fixtureId(n + 1, 8),
  name: `span ${n}`,
  attributes: {
    msg: JSON.stringify([{ role: 'user', content: `mail ann${n}@corp.example or call +1 415 555 010${n}` }]),
    'x.drop': 'gone',
    'x.user': `user-${n}`,
    kv: { note: 'card 4111 1111 1111 1111', n },
    'gen_ai.usage.input_tokens': 10 + n,
  },
  events: [{ name: 'e', attributes: { text: 'bob@corp.example' } }],
  status: { code: 2, message: `failed for ann${n}@corp.example` },
}));
const valid = buildExportRequest(spans, { 'service.name': 'svc' }, { nowMs: NOW_MS });

function mutate(src: Uint8Array, next: () => number): Uint8Array {
  const out = Uint8Array.from(src);
  if (next() < 0.3) return out.subarray(0, Math.floor(next() * out.length));
  const flips = 1 + Math.floor(next() * 3);
  for (let i = 0; i < flips; i++) out[Math.floor(next() * out.length)] = Math.floor(next() * 256);
  return out;
}

/** What redaction must keep of a span. */
const kept = (s: OtlpSpan | undefined) => s === undefined ? null : ({ traceId: s.traceId, spanId: s.spanId, name: s.name, start: s.startTimeUnixNano, end: s.endTimeUnixNano, tokens: s.attributes['gen_ai.usage.input_tokens'] });

describe('Redactor under fuzzing', () => {
  it('answers random bytes with an Outcome, never a throw', () => {
    const next = mulberry32(7);
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256));
      const out = redactor.redact(bytes, i % 2 === 0 ? 'protobuf' : 'json', principal);
      expect(['ok', 'failed']).toContain(out.status);
    }
  });

  it('keeps what mutated requests decode to, except the personal values', () => {
    const next = mulberry32(11);
    let compared = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = mutate(valid, next);
      const out = redactor.redact(bytes, 'protobuf', principal);
      let before: OtlpSpan[];
      try {
        before = decodeExportRequest(bytes, DEFAULT_DECODE_LIMITS, NOW_MS).spans;
      } catch {
        continue;
      }
      // The decoder read the request, so the redactor reads it too (an item it cannot read becomes a rejected stub).
      expect(out.status).toBe('ok');
      if (out.status !== 'ok') continue;
      const after = decodeExportRequest(out.value, DEFAULT_DECODE_LIMITS, NOW_MS).spans;
      // Every span read before is read after, unchanged; a span whose only fault was invalid UTF-8 in a value that a
      // hash or drop rule replaced is read after too (masks keep such a value invalid, rules replace it whole).
      const afterById = new Map(after.map((s) => [s.spanId, s]));
      for (const s of before) expect(kept(afterById.get(s.spanId))).toEqual(kept(s));
      expect(after.length).toBeGreaterThanOrEqual(before.length);
      // Nothing is left that the built-ins would find: redacting the result again changes nothing.
      expect(builtinsOnly.redact(out.value, 'protobuf', principal)).toEqual({ status: 'ok', value: out.value });
      compared++;
    }
    expect(compared).toBeGreaterThan(ITERATIONS / 10);
  });
});
