/**
 * `stalled`: the agent went quiet. Either the session's last tool call failed and no model call started after it
 * ended (nobody looked at the error), or a model call's HTTP request arrived without the model call around it: the
 * SDK exports a span only when it ends, so a request whose parent never came is a call left without an end.
 */
import type { NormalizedSpan } from '../../model/span.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';
import { startsBeforeEnd } from './span-clock.js';

export class StalledDetector implements Detector {
  readonly reason = 'stalled' as const;

  detect(session: SessionSpans): Finding | null {
    const tools = session.toolCalls;
    const last = tools[tools.length - 1];
    if (last !== undefined && last.isError) {
      const calls = session.modelCalls;
      const lastCall = calls[calls.length - 1];
      if (lastCall === undefined || !lookedAt(lastCall, last)) return fired(this.reason, [last.spanId]);
    }
    for (const r of session.requests) {
      // Only requests of a model client count: a bare HTTP span without a parent is just a trace root.
      if (r.parentSpanId !== '' && r.genai.provider === null && session.parentOf(r) === undefined && isProviderRequest(r.attributes)) {
        return fired(this.reason, [r.spanId]);
      }
    }
    return null;
  }
}

/**
 * True when a model call came after the tool call and could read its result: it started after the tool ended — a start
 * in the millisecond of the tool's end counts (span-clock.ts) — and it ended after the tool did (a call that was over
 * before the tool returned never saw the result, whatever its clock says).
 */
function lookedAt(call: NormalizedSpan, tool: NormalizedSpan): boolean {
  return !startsBeforeEnd(call.startTimeUnixNano, tool.endTimeUnixNano) && call.endTimeUnixNano > tool.endTimeUnixNano;
}

/** A request to a model provider's API: its URL path names a model endpoint (OpenAI-compatible, Anthropic, Gemini, Bedrock). */
/** The attributes `stalled` reads a provider request's URL from, in order. */
export const PROVIDER_URL_KEYS: readonly string[] = ['url.full', 'http.url', 'url.path', 'http.target'];

function isProviderRequest(attrs: Record<string, unknown>): boolean {
  const url = attrs['url.full'] ?? attrs['http.url'] ?? attrs['url.path'] ?? attrs['http.target'];
  return typeof url === 'string' && /\/(chat\/completions|completions|responses|messages|embeddings)\b|:generateContent|:streamGenerateContent|\/model\/[^/]+\/(invoke|converse)/.test(url);
}
