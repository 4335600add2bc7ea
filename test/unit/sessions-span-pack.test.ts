import { describe, expect, it } from 'vitest';
import { buildPool, stamp } from '../../bench/e2e/requests.js';
import { receiveSchema } from '../../src/config/receive.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { silentLogger } from '../../src/log.js';
import { emptyGenAi, type NormalizedSpan } from '../../src/model/span.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { Authenticator } from '../../src/receive/auth.js';
import { RequestDecoder } from '../../src/receive/request-decoder.js';
import { GenAiTable } from '../../src/sessions/span-compact.js';
import { PackedSpans } from '../../src/sessions/span-pack.js';
import { evalResult, sid, span, trace } from './sessions-fixtures.js';

/** Every field of `a` equal to `b`'s (an absent optional field reads as undefined on both). */
function expectSameFields(got: NormalizedSpan, want: NormalizedSpan): void {
  const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
  for (const k of keys) expect([k, (got as unknown as Record<string, unknown>)[k]]).toEqual([k, (want as unknown as Record<string, unknown>)[k]]);
}

describe('buffered spans held as columns (span-pack)', () => {
  it('gives back every field of every span, in order, whatever is set', () => {
    const p = new PackedSpans('t1', 'chat-1', new GenAiTable());
    const sent: NormalizedSpan[] = [
      // Tool spans: the GenAI value is shared without the call id, which comes back beside it.
      span({ traceId: trace(1), spanId: sid(6), genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: 'search', toolCallId: 'call_1', conventions: ['genai'] } }),
      span({ traceId: trace(1), spanId: sid(7), genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: 'search', toolCallId: 'call_2', conventions: ['genai'] } }),
      span({ traceId: trace(1), spanId: sid(1), sessionId: 'chat-1' }),
      span({ traceId: trace(1), spanId: sid(2), parentSpanId: sid(1), sessionId: null, isError: true, errorType: 'timeout', statusCode: 2, statusMessage: 'deadline' }),
      span({
        traceId: trace(2),
        spanId: sid(3),
        sessionId: 'other-alias',
        traceState: 'k=v',
        userId: 'u-7',
        kind: 3,
        usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 1, reasoningTokens: 0 },
        usageRole: 'call',
        usageMissing: ['cacheReadTokens'],
        usageViolations: ['cacheReadTokens>inputTokens'],
        cost: { costUsd: 0.25, source: 'catalog', priceVersion: '2026-11-01', catalogModel: 'gpt-4o' },
        genai: { ...emptyGenAi(), operation: 'chat', requestModel: 'gpt-4o' },
        events: [{ name: 'exception', timeUnixNano: 5n, attributes: { 'exception.type': 'E' } }],
        links: [{ traceId: trace(9), spanId: sid(9), traceState: '', attributes: {} }],
        evals: [evalResult({ target: { sessionId: null, traceId: trace(2), spanId: sid(3) } })],
        toolArgsHash: 0xdeadbeef,
        httpStatus: 429,
        wireOffset: 1234,
        detailAt: 2 ** 40,
        startTimeUnixNano: 18_446_744_073_709_551_615n,
        endTimeUnixNano: 0n,
      }),
      span({ traceId: trace(2), spanId: sid(4), toolArgsHash: null, httpStatus: null, usageRole: 'aggregate' }),
      // Times that do not fit the columns: the span is held as its object.
      span({ traceId: trace(3), spanId: sid(5), startTimeUnixNano: -1n }),
    ];
    for (const s of sent) p.push(s);
    expect(p.length).toBe(7);
    const back = p.all();
    expect(back).toHaveLength(7);
    back.forEach((b, i) => expectSameFields(b, sent[i]!));
    expect(back[6]).toBe(sent[6]);
    expect(back[0]!.genai.toolCallId).toBe('call_1');
    expect(back[1]!.genai.toolCallId).toBe('call_2');
    // The sent value is not changed (the shared one is a copy without the id).
    expect(Object.isFrozen(sent[0]!.genai)).toBe(false);
    // The optional fields keep "absent" apart from null.
    expect(back[2]!.toolArgsHash).toBe(sent[2]!.toolArgsHash);
    expect(back[5]!.toolArgsHash).toBeNull();
    expect(back[5]!.httpStatus).toBeNull();
    // The session's own id comes back as the session's string.
    expect(back[2]!.sessionId).toBe('chat-1');
    expect(back[3]!.sessionId).toBeNull();
    expect(back[4]!.sessionId).toBe('other-alias');
  });

  it('grows past its first capacity without losing a span', () => {
    const p = new PackedSpans('t1', 's');
    const sent = Array.from({ length: 100 }, (_, i) => span({ spanId: sid(i + 1), startTimeUnixNano: BigInt(i) * 1_000_000_007n, wireBytes: 300 + i }));
    for (const s of sent) p.push(s);
    const back = p.all();
    back.forEach((b, i) => expectSameFields(b, sent[i]!));
    expect(p.length).toBe(100);
  });

  it('gives back real decoded, normalized and priced spans field for field (the e2e traffic)', () => {
    const pool = buildPool({ pairs: 2, spansPerRequest: 64, seed: 3 });
    const decoder = new RequestDecoder({
      auth: new Authenticator({ keys: [], log: silentLogger() }),
      limits: receiveSchema.parse({}).limits,
      normalizer: new Normalizer(),
      pricer: new Pricer({ overrides: [] }),
    });
    const principal = { tenantId: 'default', open: true, trustedGateway: false } as never;
    let checked = 0;
    for (const pair of pool) {
      for (const body of [stamp(pair.a, 1), stamp(pair.b, 1)]) {
        const d = decoder.decode(body, 'protobuf', Date.now());
        if (d.status !== 'ok') throw new Error('decode');
        const n = decoder.normalize(d.value, principal);
        if (n.status !== 'ok') throw new Error('normalize');
        const p = new PackedSpans('default', n.value[0]!.sessionId ?? n.value[0]!.traceId, new GenAiTable());
        for (const s of n.value) p.push(s);
        const back = p.all();
        back.forEach((b, i) => expectSameFields(b, n.value[i]!));
        checked += back.length;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
