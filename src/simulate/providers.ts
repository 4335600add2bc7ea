/**
 * Where the simulated model calls go: each session is routed to one endpoint of its agent's provider (several
 * regions, some outside a typical EU-only policy), chat spans report `server.address`/`server.port` and a time to
 * first token, and a share of calls is throttled once (an HTTP child answered 429 with retry-after, then a retried
 * child answered 200) — the shape instrumented HTTP clients produce under a model call. Uses its own PRNG stream, so
 * the rest of a scenario (labels, paths, tokens) is the same with or without it.
 */
import { mulberry32 } from '../prng.js';
import type { SimSession, SimSpan } from './scenario.js';

/** One endpoint: host, and the gateway region attribute when the host alone does not say. */
interface SimEndpoint {
  host: string;
  gatewayRegion?: string;
}

/** Endpoints by provider: real host shapes from the region table (src/conventions/region-table.ts). */
export const SIM_ENDPOINTS: Record<string, SimEndpoint[]> = {
  openai: [{ host: 'eu.api.openai.com' }, { host: 'api.openai.com' }],
  anthropic: [{ host: 'llm-gateway.internal', gatewayRegion: 'eu-west-1' }, { host: 'llm-gateway.internal', gatewayRegion: 'us-east-1' }, { host: 'api.anthropic.com' }],
  'gcp.gemini': [{ host: 'europe-west4-aiplatform.googleapis.com' }, { host: 'us-central1-aiplatform.googleapis.com' }],
};

/** Default share of model calls throttled once before they succeed. */
export const DEFAULT_THROTTLE_SHARE = 0.08;

function hexId(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return /^0+$/.test(s) ? '01' + s.slice(2) : s;
}

/** Routes every session's model calls (in place) and adds the throttled calls' HTTP attempts. */
export function routeProviderCalls(sessions: SimSession[], seed: number, throttleShare: number): void {
  const rand = mulberry32((seed ^ 0x5eed_1e55) >>> 0);
  for (const session of sessions) {
    let endpoint: SimEndpoint | null = null;
    for (const trace of session.traces) {
      const added: SimSpan[] = [];
      for (const span of trace.spans) {
        if (span.usage === undefined || span.provider === undefined) continue;
        const options = SIM_ENDPOINTS[span.provider];
        if (options === undefined) continue;
        endpoint ??= options[Math.floor(rand() * options.length)]!;
        span.attributes['server.address'] = endpoint.host;
        span.attributes['server.port'] = 443;
        if (endpoint.gatewayRegion !== undefined) span.attributes['agenttail.provider.region'] = endpoint.gatewayRegion;
        // Streamed answers: the first token comes 150–1350 ms after the request.
        span.attributes['gen_ai.response.time_to_first_chunk'] = Math.round(150 + rand() * 1_200) / 1000;
        if (rand() < throttleShare) added.push(...throttledAttempts(rand, span, endpoint.host));
      }
      trace.spans.push(...added);
    }
  }
}

/** Two HTTP attempts under a model call: 429 with retry-after, then 200 after the wait. */
function throttledAttempts(rand: () => number, call: SimSpan, host: string): SimSpan[] {
  const retryAfterS = 1 + Math.floor(rand() * 3);
  const mid = call.startMs + Math.floor((call.endMs - call.startMs) / 4);
  const http = (startMs: number, endMs: number, status: number, extra: Record<string, string | number>): SimSpan => ({
    spanId: hexId(rand, 8),
    parentSpanId: call.spanId,
    name: 'POST',
    kind: 3,
    startMs,
    endMs,
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': status, 'server.address': host, 'server.port': 443, ...extra },
  });
  return [http(call.startMs + 1, mid, 429, { 'http.response.header.retry-after': String(retryAfterS) }), http(mid + 1, call.endMs - 1, 200, {})];
}
