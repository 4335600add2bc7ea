/** Builders of hand-made sessions for the detector tests (not a test file). */
import { detectorsSchema, type DetectorsConfig } from '../../src/config/detectors.js';
import { emptyGenAi, type NormalizedSpan } from '../../src/model/span.js';
import { Pricer } from '../../src/pricing/pricer.js';
import type { Detector, Finding } from '../../src/sampling/detectors/detector.js';
import { SessionSpans } from '../../src/sampling/detectors/session-spans.js';
import { span } from './sampling-fixtures.js';

const T0_MS = 1_767_225_600_000; // 2026-01-01, inside the catalog's validity
const ms = (t: number): bigint => BigInt(T0_MS + t) * 1_000_000n;
let seq = 0;
const nextId = (): string => (++seq).toString(16).padStart(16, '0');

/** Detector config with overrides. */
export function detectorsConfig(input: Record<string, unknown> = {}): DetectorsConfig {
  return detectorsSchema.parse(input);
}

interface At {
  startMs: number;
  endMs?: number;
  parent?: string;
  trace?: string;
  spanId?: string;
}

function base(at: At): Partial<NormalizedSpan> {
  return {
    spanId: at.spanId ?? nextId(),
    parentSpanId: at.parent ?? 'f'.repeat(16),
    traceId: at.trace ?? 'a'.repeat(32),
    startTimeUnixNano: ms(at.startMs),
    endTimeUnixNano: ms(at.endMs ?? at.startMs + 100),
  };
}

/** An execute_tool span. `args`: the arguments text (hashed as the normalizer does), or none. */
export function tool(name: string, at: At & { args?: number; id?: string; error?: boolean }): NormalizedSpan {
  return span({
    ...base(at),
    name: `execute_tool ${name}`,
    kind: 1,
    genai: { ...emptyGenAi(), operation: 'execute_tool', toolName: name, toolCallId: at.id ?? null },
    toolArgsHash: at.args ?? null,
    isError: at.error === true,
    errorType: at.error === true ? 'ToolError' : null,
    statusCode: at.error === true ? 2 : 0,
  });
}

/** A chat model call with usage (input inclusive of cache). */
export function call(
  at: At & { input?: number; cacheRead?: number; cacheWrite?: number; model?: string; provider?: string; errorType?: string; agent?: string },
): NormalizedSpan {
  const model = at.model ?? 'claude-sonnet-4-5';
  const failed = at.errorType !== undefined;
  return span({
    ...base(at),
    name: `chat ${model}`,
    kind: 3,
    genai: { ...emptyGenAi(), operation: 'chat', provider: at.provider ?? 'anthropic', requestModel: model, agentName: at.agent ?? null },
    usage: failed ? null : { inputTokens: at.input ?? 1000, outputTokens: 100, cacheReadTokens: at.cacheRead ?? 0, cacheWriteTokens: at.cacheWrite ?? 0, reasoningTokens: 0 },
    usageRole: failed ? 'none' : 'call',
    isError: failed,
    errorType: at.errorType ?? null,
    statusCode: failed ? 2 : 0,
  });
}

/** An HTTP client request span (as the undici instrumentation makes under a model call). */
export function request(status: number, at: At & { url?: string }): NormalizedSpan {
  const failed = status >= 400;
  return span({
    ...base(at),
    name: 'POST',
    kind: 3,
    httpStatus: status,
    attributes: { 'http.response.status_code': status, 'url.full': at.url ?? 'https://api.anthropic.com/v1/messages' },
    isError: failed,
    errorType: failed ? String(status) : null,
    statusCode: failed ? 2 : 0,
  });
}

/** An agent (or step) span that parents others. */
export function agent(at: At & { errorType?: string }): NormalizedSpan {
  return span({ ...base(at), name: 'invoke_agent support', kind: 1, genai: { ...emptyGenAi(), operation: 'invoke_agent', agentName: 'support' }, isError: at.errorType !== undefined, errorType: at.errorType ?? null });
}

const pricer = new Pricer();

/** Runs one detector over hand-built spans. */
export function detect(detector: Detector, spans: NormalizedSpan[], agentNames: string[] = ['support']): Finding | null {
  return detector.detect(new SessionSpans(spans, agentNames, (p) => pricer.priceUsage(p)));
}
