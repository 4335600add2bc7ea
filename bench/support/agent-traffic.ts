/**
 * One agent turn as fixture spans, for the benches that feed the pipeline in process (buffer, wal-ingest): an
 * invoke_agent root, chat calls with usage and execute_tool calls under it, ~12 attributes per span, a 2 KiB
 * completion on one span in four.
 */
import type { FixtureSpan } from '../../test/support/otlp-fixtures.js';

const LONG_TEXT = 'The assistant considered the request carefully and then answered with details. '.repeat(26).slice(0, 2048);

let idCounter = 0;
/** A fresh id of `bytes` bytes as hex (unique within the process). */
export const nextHex = (bytes: number): string => (++idCounter).toString(16).padStart(bytes * 2, '0');

/** One trace of `spans` spans for session `sess-<session>`, started a minute before `nowMs`. */
export function agentTrace(session: number, spans: number, nowMs: number): FixtureSpan[] {
  const out: FixtureSpan[] = [];
  const startNs = BigInt(nowMs - 60_000) * 1_000_000n;
  const traceId = nextHex(16);
  const rootId = nextHex(8);
  for (let i = 0; i < spans; i++) {
    const root = i === 0;
    const tool = !root && i % 3 === 0;
    const start = startNs + BigInt(i) * 10_000_000n;
    out.push({
      traceId,
      spanId: root ? rootId : nextHex(8),
      ...(root ? {} : { parentSpanId: rootId }),
      name: root ? 'invoke_agent support' : tool ? 'execute_tool search_kb' : 'chat gpt-4o-mini',
      kind: root ? 1 : tool ? 1 : 3,
      startTimeUnixNano: start,
      endTimeUnixNano: root ? start + 5_000_000_000n : start + 1_000_000_000n,
      attributes: {
        'gen_ai.operation.name': root ? 'invoke_agent' : tool ? 'execute_tool' : 'chat',
        'gen_ai.agent.name': 'support',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        ...(tool ? { 'gen_ai.tool.name': 'search_kb' } : {}),
        ...(!root && !tool ? { 'gen_ai.usage.input_tokens': 1200 + i, 'gen_ai.usage.output_tokens': 150 + i, 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18' } : {}),
        'session.id': `sess-${session}`,
        'user.id': `user-${session % 100}`,
        'gen_ai.request.temperature': 0.7,
        ...(i % 4 === 1 ? { 'gen_ai.completion': LONG_TEXT } : { 'http.status_code': 200 }),
      },
      events: [],
      status: { code: 0 },
    });
  }
  return out;
}
