import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedSpans, SESSION_OVERHEAD_BYTES, SPAN_ID_BYTES, spanIdentity } from '../../src/sessions/counted-spans.js';
import { harness, sid, span, trace } from './sessions-fixtures.js';

const USAGE = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

function ids(n: number, t = 1): { traceId: string; spanId: string }[] {
  return Array.from({ length: n }, (_, i) => ({ traceId: trace(t), spanId: sid(i + 1) }));
}

async function value(registry: Registry, name: string): Promise<number> {
  return (await registry.getSingleMetric(name)!.get()).values.reduce((a, v) => a + v.value, 0);
}

describe('CountedSpans', () => {
  it('logs the same identities as before (they are read back from decision records across restarts), hashing a trace id once per run of its spans', () => {
    // Values of the per-span hash before the trace's part was shared between its spans.
    expect(spanIdentity('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331')).toBe(2990580800595642);
    expect(spanIdentity('a', 'bc')).toBe(7974546601973107);
    const c = new CountedSpans({ maxBytes: 1 << 20, registry: new Registry() });
    const spans = [
      { traceId: 't1', spanId: 's1' },
      { traceId: 't1', spanId: 's2' },
      { traceId: 't2', spanId: 's3' },
      { traceId: 't1', spanId: 's4' },
    ];
    const encoded = c.add('t', 'sess', spans);
    const bytes = Buffer.from(encoded, 'base64');
    const ids = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect([...ids]).toEqual(spans.map((s) => spanIdentity(s.traceId, s.spanId)));
  });

  describe('has', () => {
    it('knows a span only in the tenant and session that counted it', () => {
      const c = new CountedSpans({ maxBytes: 1 << 20, registry: new Registry() });
      c.add('t1', 's', ids(3));
      expect(c.has('t1', 's', trace(1), sid(2))).toBe(true);
      expect(c.has('t1', 's', trace(1), sid(4))).toBe(false);
      expect(c.has('t2', 's', trace(1), sid(2))).toBe(false);
      expect(c.has('t1', 'other', trace(1), sid(2))).toBe(false);
    });

    it('tells trace and span ids apart however they split', () => {
      expect(spanIdentity('ab', 'c')).not.toBe(spanIdentity('a', 'bc'));
      expect(Number.isSafeInteger(spanIdentity(trace(9), sid(9)))).toBe(true);
    });
  });

  describe('restore', () => {
    it('rebuilds from the logged identities what the session counted', () => {
      const live = new CountedSpans({ maxBytes: 1 << 20, registry: new Registry() });
      const first = live.add('t', 's', ids(4));
      const late = live.add('t', 's', [{ traceId: trace(2), spanId: sid(1) }]);
      const restarted = new CountedSpans({ maxBytes: 1 << 20, registry: new Registry() });
      restarted.restore('t', 's', first);
      restarted.restore('t', 's', late);
      for (const s of [...ids(4), { traceId: trace(2), spanId: sid(1) }]) expect(restarted.has('t', 's', s.traceId, s.spanId)).toBe(true);
      expect(restarted.has('t', 's', trace(2), sid(2))).toBe(false);
    });
  });

  describe('add', () => {
    it('forgets the least recently counted sessions past its byte bound, and counts them', async () => {
      const registry = new Registry();
      // Room for two sessions of 10 spans.
      const c = new CountedSpans({ maxBytes: 2 * (SESSION_OVERHEAD_BYTES + 10 * SPAN_ID_BYTES), registry });
      c.add('t', 'a', ids(10, 1));
      c.add('t', 'b', ids(10, 2));
      c.add('t', 'a', []); // nothing counted: no touch
      c.add('t', 'c', ids(10, 3));
      expect(c.knows('t', 'a')).toBe(false);
      expect(c.knows('t', 'b')).toBe(true);
      expect(c.knows('t', 'c')).toBe(true);
      expect(await value(registry, 'agenttail_sessions_counted_evicted_sessions_total')).toBe(1);
      expect(await value(registry, 'agenttail_sessions_counted_spans')).toBe(20);
      expect(await value(registry, 'agenttail_sessions_counted_bytes')).toBeLessThanOrEqual(2 * (SESSION_OVERHEAD_BYTES + 10 * SPAN_ID_BYTES));
    });
  });
});

describe('SessionBuffer', () => {
  describe('accept', () => {
    it('counts a span re-delivered after its session was decided once (regression: late data counted it again)', async () => {
      const h = harness({ keepAll: true });
      const spans = [span({ spanId: sid(1), sessionId: 'r', usageRole: 'call', usage: USAGE }), span({ spanId: sid(2), sessionId: 'r', usageRole: 'call', usage: USAGE })];
      await h.buffer.accept(spans.map((s) => ({ ...s })));
      h.advance(5_000);
      expect(h.store.of('r')).toHaveLength(1);
      expect((await h.buffer.accept(spans.map((s) => ({ ...s })))).status).toBe('ok');
      h.advance(5_000);
      expect(h.store.of('r')).toHaveLength(1);
      expect(await h.metric('agenttail_sessions_redelivered_spans_total')).toBe(2);
      expect(await h.metric('agenttail_sessions_late_spans_total')).toBe(0);
      // A new span of the decided session is still late data, counted.
      await h.buffer.accept([span({ spanId: sid(3), sessionId: 'r', usageRole: 'call', usage: USAGE }), { ...spans[0]! }]);
      const late = h.store.of('r');
      expect(late).toHaveLength(2);
      expect(late[1]!.spans.map((s) => s.spanId)).toEqual([sid(3)]);
      expect(late[1]!.summary.spanCount).toBe(3);
      expect(late[1]!.summary.usage.inputTokens).toBe(30);
    });

    it('counts a re-delivery once after the decision cache forgot the session', async () => {
      const h = harness({ keepAll: true });
      const s = span({ spanId: sid(1), sessionId: 'f', usageRole: 'call', usage: USAGE });
      await h.buffer.accept([{ ...s }]);
      h.advance(5_000);
      // The decision cache forgets it (its TTL is an hour here); the session id comes back as a new session.
      h.advance(61 * 60_000);
      expect(h.cache.get('t1', 'f')).toBeUndefined();
      await h.buffer.accept([{ ...s }, span({ spanId: sid(2), sessionId: 'f', usageRole: 'call', usage: USAGE })]);
      h.advance(5_000);
      const w = h.store.of('f');
      expect(w).toHaveLength(2);
      expect(w[1]!.spans.map((x) => x.spanId)).toEqual([sid(2)]);
      expect(await h.metric('agenttail_sessions_redelivered_spans_total')).toBe(1);
    });
  });
});
