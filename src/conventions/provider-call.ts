/**
 * Per-call provider facts: the endpoint (`server.address`/`server.port`, else the host of a URL attribute), the
 * region (src/conventions/region-table.ts), time to first token, and whether the provider refused the call
 * (src/conventions/provider-refusal.ts). Read for model calls and for spans that carry an HTTP status (the HTTP
 * children of model calls); every other span shares NO_PROVIDER_CALL.
 */
import type { Attributes, OtlpEvent } from '../model/otlp-values.js';
import { ALIASES, CALL_OPERATIONS } from './aliases.js';
import { classifyRefusal } from './provider-refusal.js';
import { readNumber, readString } from './read-attr.js';
import { REGION_ATTRIBUTES, RESOURCE_REGION_ATTRIBUTE, resolveRegion, type EndpointRegions } from './region-table.js';
import type { NormalizedSpan, ProviderCall } from '../model/span.js';

/** The shared value of spans that made no provider call. */
export const NO_PROVIDER_CALL: ProviderCall = Object.freeze({
  serverAddress: '',
  serverPort: 0,
  region: '',
  regionSource: 'none',
  hostProvider: null,
  ttftMs: null,
  refusal: null,
  httpStatus: null,
  retryAfterMs: null,
});

/** Endpoint attributes: semconv `server.*`, then the deprecated `net.peer.*`. */
export const ADDRESS_ATTRIBUTES: readonly string[] = ['server.address', 'net.peer.name'];
export const PORT_ATTRIBUTES: readonly string[] = ['server.port', 'net.peer.port'];
/** URL attributes whose host names the endpoint when no address is set (OpenLLMetry sets the API base). */
export const URL_ATTRIBUTES: readonly string[] = ['url.full', 'http.url', 'gen_ai.openai.api_base', 'openai.api_base'];

/**
 * Time-to-first-token attributes per convention, with their unit. Sent by: GenAI semconv (seconds), AI SDK v7
 * `@ai-sdk/otel` chat spans (seconds) and step spans (ms), AI SDK v6 doStream (`ai.response.msToFirstChunk`) and
 * streamText (`ai.stream.msToFirstChunk`). OpenInference and OpenLLMetry (JS) send none; Langfuse sends a
 * completion start time (read below).
 */
export const TTFT_ATTRIBUTES: readonly { name: string; unitMs: number }[] = [
  { name: 'gen_ai.response.time_to_first_chunk', unitMs: 1000 },
  { name: 'gen_ai.client.inference.time_to_first_chunk', unitMs: 1000 }, // renamed from …operation… (semantic-conventions-genai)
  { name: 'gen_ai.client.operation.time_to_first_chunk', unitMs: 1000 },
  { name: 'ai.response.msToFirstChunk', unitMs: 1 },
  { name: 'ai.stream.msToFirstChunk', unitMs: 1 },
];
/** Langfuse's completion start time (an ISO date, JSON-quoted by its SDK): TTFT = it − span start. */
export const COMPLETION_START_ATTRIBUTE = 'langfuse.observation.completion_start_time';

/** Reads the provider call of a span; `isCall`: the span is a model call (it gets a region even without an endpoint). */
export function readProviderCall(
  attrs: Attributes,
  resource: Attributes,
  events: readonly OtlpEvent[],
  ctx: { isCall: boolean; startTimeUnixNano: bigint; errorType: string | null; endpointRegions: EndpointRegions },
): ProviderCall {
  // Most spans are neither model calls nor HTTP attempts: two lookups decide, on the hot path.
  const hasHttp = attrs[ALIASES.httpStatus[0]] !== undefined || attrs[ALIASES.httpStatus[1]] !== undefined;
  if (!ctx.isCall && !hasHttp) return NO_PROVIDER_CALL;
  let address = readString(attrs, ADDRESS_ATTRIBUTES);
  let port = readNumber(attrs, PORT_ATTRIBUTES);
  if (address === null) {
    const url = readString(attrs, URL_ATTRIBUTES);
    if (url !== null) ({ address, port } = hostOfUrl(url, port));
  }
  const host = address ?? '';
  const located = resolveRegion(readString(attrs, REGION_ATTRIBUTES), host, ctx.endpointRegions, readString(resource, [RESOURCE_REGION_ATTRIBUTE]));
  const refusal = classifyRefusal(attrs, ctx.errorType, events);
  return {
    serverAddress: host,
    serverPort: port !== null && Number.isInteger(port) && port > 0 && port < 65_536 ? port : 0,
    region: located.region,
    regionSource: located.source,
    hostProvider: located.hostProvider,
    ttftMs: readTtftMs(attrs, ctx.startTimeUnixNano),
    refusal: refusal.kind,
    httpStatus: refusal.httpStatus,
    retryAfterMs: refusal.retryAfterMs,
  };
}

/** TTFT in ms from the first convention that sends it; null when none does or the value is not a sane duration. */
export function readTtftMs(attrs: Attributes, startTimeUnixNano: bigint): number | null {
  for (const { name, unitMs } of TTFT_ATTRIBUTES) {
    const v = readNumber(attrs, [name]);
    if (v !== null) return v >= 0 ? v * unitMs : null;
  }
  const completionStart = readString(attrs, [COMPLETION_START_ATTRIBUTE]);
  if (completionStart !== null) {
    const atMs = Date.parse(completionStart.replace(/^"|"$/g, ''));
    if (!Number.isFinite(atMs)) return null;
    const ms = atMs - Number(startTimeUnixNano / 1_000_000n);
    return ms >= 0 ? ms : null;
  }
  return null;
}

/** Host and port of a URL (port from the URL when `port` is null); a string that is no URL gives no host. */
function hostOfUrl(url: string, port: number | null): { address: string | null; port: number | null } {
  try {
    const u = new URL(url);
    if (u.hostname === '') return { address: null, port };
    return { address: u.hostname.replace(/^\[|\]$/g, ''), port: port ?? (u.port === '' ? null : Number(u.port)) };
  } catch {
    return { address: null, port };
  }
}

/** The endpoint as rollups key it: the host, with `:port` when a port other than 443 was reported. */
export function endpointOf(call: ProviderCall): string {
  if (call.serverAddress === '') return '';
  return call.serverPort === 0 || call.serverPort === 443 ? call.serverAddress : `${call.serverAddress}:${call.serverPort}`;
}

/** True for the span of a model call, whether or not it reported usage (a refused call usually has none). */
export function isModelCall(span: Pick<NormalizedSpan, 'usageRole' | 'genai'>): boolean {
  if (span.usageRole === 'call') return true;
  return span.usageRole === 'none' && span.genai.operation !== null && CALL_OPERATIONS.includes(span.genai.operation);
}
