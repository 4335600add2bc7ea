import { describe, expect, it } from 'vitest';
import { emptyGenAi, type GenAiInfo } from '../../src/model/span.js';
import { NO_PROVIDER_CALL } from '../../src/conventions/provider-call.js';
import { CallTable, compactSpan, GenAiTable } from '../../src/sessions/span-compact.js';
import { harness, sid, span, trace } from './sessions-fixtures.js';

const chat = (over: Partial<GenAiInfo> = {}): GenAiInfo => ({ ...emptyGenAi(), operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', agentName: 'a', conventions: ['genai'], ...over });

describe('buffered spans share what repeats (span-compact)', () => {
  it('gives spans with equal GenAI fields one frozen object, and leaves a tool call id’s span its own', () => {
    const table = new GenAiTable();
    const a = span({ genai: chat() });
    const b = span({ genai: chat() });
    const other = span({ genai: chat({ requestModel: 'gpt-4o-mini' }) });
    const tool = span({ genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: 'search', toolCallId: 'call_1' } });
    for (const s of [a, b, other, tool]) compactSpan(s, table);
    expect(b.genai).toBe(a.genai);
    expect(b.genai).toEqual(chat());
    expect(Object.isFrozen(a.genai)).toBe(true);
    expect(other.genai).not.toBe(a.genai);
    expect(other.genai.requestModel).toBe('gpt-4o-mini');
    expect(Object.isFrozen(tool.genai)).toBe(false);
    expect(table.size).toBe(2);
    // A shared value cannot be changed through one span: the write fails instead of reaching the others.
    expect(() => {
      (b.genai as { agentName: string | null }).agentName = 'x';
    }).toThrow(TypeError);
  });

  it('shares an empty attribute map and a plain no-usage cost, and leaves any other cost or map alone', () => {
    const table = new GenAiTable();
    const a = span({ attributes: {}, cost: { costUsd: null, source: 'none', priceVersion: '' } });
    const b = span({ attributes: {}, cost: { costUsd: null, source: 'none', priceVersion: '' } });
    const priced = span({ attributes: { k: 'v' }, cost: { costUsd: 0.5, source: 'catalog', priceVersion: '2026-11-01' } });
    const flagged = span({ cost: { costUsd: null, source: 'none', priceVersion: '', usageIncomplete: 'cache_read' } });
    for (const s of [a, b, priced, flagged]) compactSpan(s, table);
    expect(b.attributes).toBe(a.attributes);
    expect(b.cost).toBe(a.cost);
    expect(a.cost).toEqual({ costUsd: null, source: 'none', priceVersion: '' });
    expect(priced.attributes).toEqual({ k: 'v' });
    expect(priced.cost).toEqual({ costUsd: 0.5, source: 'catalog', priceVersion: '2026-11-01' });
    expect(flagged.cost).toEqual({ costUsd: null, source: 'none', priceVersion: '', usageIncomplete: 'cache_read' });
    expect(flagged.cost).not.toBe(a.cost);
  });

  it('shares provider calls without a time of their own, and leaves a call with a time to first token or a retry-after its own', () => {
    const table = new GenAiTable();
    const calls = new CallTable();
    const call = { ...NO_PROVIDER_CALL, serverAddress: 'api.openai.com', serverPort: 443, region: 'us', regionSource: 'host' as const, hostProvider: 'openai' };
    const a = span({ call: { ...call } });
    const b = span({ call: { ...call } });
    const timed = span({ call: { ...call, ttftMs: 120 } });
    const retried = span({ call: { ...call, httpStatus: 429, retryAfterMs: 1000 } });
    const none = span({ call: NO_PROVIDER_CALL });
    for (const s of [a, b, timed, retried, none]) compactSpan(s, table, calls);
    expect(b.call).toBe(a.call);
    expect(a.call).toEqual(call);
    expect(timed.call).not.toBe(a.call);
    expect(timed.call.ttftMs).toBe(120);
    expect(retried.call.retryAfterMs).toBe(1000);
    expect(none.call).toBe(NO_PROVIDER_CALL);
  });

  it('gives a value differing from a shared one in any single field its own, even right after it', () => {
    const table = new GenAiTable();
    const base = table.share(chat({ responseModel: 'gpt-4o-2024', agentId: 'a1', toolName: 't', toolType: 'function' }));
    const variants: Partial<GenAiInfo>[] = [
      { operation: 'text_completion' },
      { provider: 'anthropic' },
      { requestModel: 'gpt-4.1' },
      { responseModel: 'gpt-4o-2025' },
      { agentName: 'b' },
      { agentId: 'a2' },
      { toolName: 'u' },
      { toolType: 'extension' },
      { conventions: ['genai', 'openinference'] },
      { conventions: ['vercel'] },
    ];
    for (const v of variants) {
      const g = chat({ responseModel: 'gpt-4o-2024', agentId: 'a1', toolName: 't', toolType: 'function', ...v });
      const shared = table.share(g);
      expect(shared).not.toBe(base);
      expect(shared).toEqual(g);
    }
    expect(table.share(chat({ responseModel: 'gpt-4o-2024', agentId: 'a1', toolName: 't', toolType: 'function' }))).toBe(base);
    const calls = new CallTable();
    const call = { ...NO_PROVIDER_CALL, serverAddress: 'api.openai.com', serverPort: 443, region: 'us', regionSource: 'host' as const, hostProvider: 'openai', httpStatus: 200 };
    const shared = calls.share({ ...call });
    const callVariants = [{ serverAddress: 'api2.openai.com' }, { serverPort: 8443 }, { region: 'eu' }, { regionSource: 'attribute' as const }, { hostProvider: 'azure' }, { refusal: 'rate_limited' as const }, { httpStatus: 500 }];
    for (const v of callVariants) {
      const c = calls.share({ ...call, ...v });
      expect(c).not.toBe(shared);
      expect(c).toEqual({ ...call, ...v });
    }
    expect(calls.share({ ...call })).toBe(shared);
  });

  it('shares a value equal to one handed out long before (past the recent ones it checks first)', () => {
    const table = new GenAiTable();
    const first = table.share(chat({ requestModel: 'm-0' }));
    for (let i = 1; i < 40; i++) table.share(chat({ requestModel: `m-${i}` }));
    expect(table.share(chat({ requestModel: 'm-0' }))).toBe(first);
    // A tool span's value without its call id is the shared one of the same fields.
    const tool = { ...emptyGenAi(), operation: 'execute_tool', toolName: 'search', conventions: ['genai'] };
    const plain = table.share({ ...tool });
    expect(table.withoutCallId({ ...tool, toolCallId: 'call_9' })).toBe(plain);
  });

  it('starts its table again past its bound instead of growing without end', () => {
    const table = new GenAiTable();
    for (let i = 0; i < 5_000; i++) table.share(chat({ requestModel: `m-${i}` }));
    expect(table.size).toBeLessThanOrEqual(4_096);
    expect(table.size).toBeGreaterThan(0);
  });

  it('stores buffered spans with the same values as sent (the session write holds equal spans)', async () => {
    const h = harness({ keepAll: true });
    const sent = [1, 2, 3].map((i) => span({ traceId: trace(1), spanId: sid(i), sessionId: 'chat-9', genai: chat(), attributes: {} }));
    const copies = sent.map((s) => ({ ...s, genai: { ...s.genai }, attributes: { ...s.attributes }, cost: { ...s.cost } }));
    await h.buffer.accept(sent);
    h.advance(5_000);
    const w = h.store.of('chat-9');
    expect(w).toHaveLength(1);
    expect(w[0]!.spans).toEqual(copies);
    expect(w[0]!.spans[1]!.genai).toBe(w[0]!.spans[0]!.genai);
  });
});

describe('memory charged per buffered span (memory.ts)', () => {
  it('charges a whole span by its wire size and a lean span its fixed part plus the attributes it kept', async () => {
    const { retainedBytes, SPAN_OVERHEAD_BYTES, WIRE_FACTOR } = await import('../../src/sessions/memory.js');
    const whole = span({ wireBytes: 2_000, attributes: { 'gen_ai.input.messages': 'x'.repeat(1_500) } });
    expect(retainedBytes(whole)).toBe(SPAN_OVERHEAD_BYTES + Math.ceil(2_000 * WIRE_FACTOR));
    const lean = span({ wireBytes: 2_000, attributes: {}, detailAt: 7 });
    expect(retainedBytes(lean)).toBe(SPAN_OVERHEAD_BYTES);
    const keptUrl = span({ wireBytes: 2_000, attributes: { 'url.full': 'https://api.example.com/v1/chat/completions' }, detailAt: 7 });
    expect(retainedBytes(keptUrl)).toBeGreaterThan(SPAN_OVERHEAD_BYTES + 40);
    expect(retainedBytes(keptUrl)).toBeLessThan(retainedBytes(whole));
  });
});
