import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/conventions/normalize.js';
import { endpointOf, NO_PROVIDER_CALL, readTtftMs } from '../../src/conventions/provider-call.js';
import { classifyRefusal, refusalOfErrorType, refusalOfStatus, retryAfterMs } from '../../src/conventions/provider-refusal.js';
import { EndpointRegions, HOST_PATTERNS, hostInfo, resolveRegion } from '../../src/conventions/region-table.js';
import { makeSpan } from '../fixtures/conventions/span.js';

const n = new Normalizer({});
const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' };

describe('region table', () => {
  it.each([
    ['bedrock-runtime.us-east-1.amazonaws.com', 'aws.bedrock', 'us-east-1'],
    ['bedrock-runtime.eu-central-1.amazonaws.com', 'aws.bedrock', 'eu-central-1'],
    ['bedrock-runtime-fips.us-gov-west-1.amazonaws.com', 'aws.bedrock', 'us-gov-west-1'],
    ['bedrock-agent-runtime.ap-northeast-1.amazonaws.com', 'aws.bedrock', 'ap-northeast-1'],
    ['vpce-0a1b2c3d4e5f-abcdefgh.bedrock-runtime.eu-west-3.vpce.amazonaws.com', 'aws.bedrock', 'eu-west-3'],
    ['bedrock-runtime.cn-north-1.amazonaws.com.cn', 'aws.bedrock', 'cn-north-1'],
    ['us-central1-aiplatform.googleapis.com', 'gcp.vertex_ai', 'us-central1'],
    ['europe-west4-aiplatform.googleapis.com', 'gcp.vertex_ai', 'europe-west4'],
    ['asia-northeast1-aiplatform.googleapis.com', 'gcp.vertex_ai', 'asia-northeast1'],
    ['aiplatform.googleapis.com', 'gcp.vertex_ai', 'global'],
    ['generativelanguage.googleapis.com', 'gcp.gemini', 'global'],
    ['swedencentral.api.cognitive.microsoft.com', 'azure.ai.openai', 'swedencentral'],
    ['contoso-eu.openai.azure.com', 'azure.ai.openai', 'unknown'],
    ['contoso.cognitiveservices.azure.com', 'azure.ai.openai', 'unknown'],
    ['eu.api.openai.com', 'openai', 'eu'],
    ['api.openai.com', 'openai', 'global'],
    ['API.OpenAI.com', 'openai', 'global'],
    ['api.anthropic.com', 'anthropic', 'global'],
    ['api.mistral.ai', 'mistral_ai', 'eu'],
  ])('%s is %s in %s', (host, provider, region) => {
    expect(hostInfo(host)).toEqual({ provider, region });
  });

  it('knows nothing of hosts outside the table', () => {
    for (const host of ['127.0.0.1', 'llm-gateway.internal', 'bedrock-runtime.amazonaws.com.evil.example', 'openai.com', 'xaiplatform.googleapis.com']) expect(hostInfo(host)).toBeNull();
  });

  it('every row matches the real host it was written for', () => {
    for (const row of HOST_PATTERNS) expect(row.pattern.test(row.example), row.example).toBe(true);
  });

  it('decides by explicit attribute, then configured host, then the host, then the resource region', () => {
    const none = new EndpointRegions();
    const azure = new EndpointRegions({ 'contoso-eu.openai.azure.com': 'westeurope', '*.corp-gw.example': 'eu-west-1' });
    expect(resolveRegion('eu-west-1', 'api.openai.com', none, 'us-east-1')).toEqual({ region: 'eu-west-1', source: 'attribute', hostProvider: 'openai' });
    expect(resolveRegion(null, 'contoso-eu.openai.azure.com', azure, 'us-east-1')).toMatchObject({ region: 'westeurope', source: 'config' });
    expect(resolveRegion(null, 'a.corp-gw.example', azure, null)).toMatchObject({ region: 'eu-west-1', source: 'config' });
    expect(resolveRegion(null, 'bedrock-runtime.eu-central-1.amazonaws.com', none, 'us-east-1')).toMatchObject({ region: 'eu-central-1', source: 'host' });
    // A resource host without a region in its name falls through to where the client runs.
    expect(resolveRegion(null, 'contoso-eu.openai.azure.com', none, 'westeurope')).toMatchObject({ region: 'westeurope', source: 'resource' });
    expect(resolveRegion(null, '', none, 'us-east-1')).toMatchObject({ region: 'us-east-1', source: 'resource' });
    expect(resolveRegion(null, 'contoso-eu.openai.azure.com', none, null)).toEqual({ region: 'unknown', source: 'none', hostProvider: 'azure.ai.openai' });
  });
});

describe('refusal classifier', () => {
  it('reads HTTP status codes: 429 rate limit, 503/529 overload, other 5xx server error, 4xx none', () => {
    expect([429, 503, 529, 500, 502, 400, 401, 404, 200].map(refusalOfStatus)).toEqual(['rate_limited', 'overloaded', 'overloaded', 'server_error', 'server_error', null, null, null, null]);
  });

  it('reads error type names of the provider SDKs', () => {
    expect(refusalOfErrorType('RateLimitError')).toBe('rate_limited');
    expect(refusalOfErrorType('openai.RateLimitError')).toBe('rate_limited');
    expect(refusalOfErrorType('rate_limit_exceeded')).toBe('rate_limited');
    expect(refusalOfErrorType('ThrottlingException')).toBe('rate_limited');
    expect(refusalOfErrorType('RESOURCE_EXHAUSTED')).toBe('rate_limited');
    expect(refusalOfErrorType('overloaded_error')).toBe('overloaded');
    expect(refusalOfErrorType('429')).toBe('rate_limited');
    expect(refusalOfErrorType('504')).toBe('server_error');
    expect(refusalOfErrorType('InternalServerError')).toBe('server_error');
    for (const t of ['BadRequestError', 'AuthenticationError', 'ToolTimeout', '404', '_OTHER']) expect(refusalOfErrorType(t), t).toBeNull();
  });

  it('gives an error type the same answer every time, also after more types than it remembers', () => {
    const types = ['RateLimitError', 'openai.RateLimitError', 'BadRequestError', '503', 'anthropic.OverloadedError'];
    const first = types.map((t) => refusalOfErrorType(t));
    expect(first).toEqual(['rate_limited', 'rate_limited', null, 'overloaded', 'overloaded']);
    for (let i = 0; i < 1_100; i++) refusalOfErrorType(`SomeError${i}`);
    expect(types.map((t) => refusalOfErrorType(t))).toEqual(first);
    expect(types.map((t) => refusalOfErrorType(t))).toEqual(first);
  });

  it('reads retry-after: retry-after-ms first, else seconds, captured as arrays or flat', () => {
    expect(retryAfterMs({ 'http.response.header.retry-after': ['2'] })).toBe(2000);
    expect(retryAfterMs({ 'http.response.header.retry-after': '1.5', 'http.response.header.retry-after-ms': ['1234'] })).toBe(1234);
    expect(retryAfterMs({ 'http.response.header.retry-after': ['Wed, 21 Oct 2026 07:28:00 GMT'] })).toBeNull();
    expect(retryAfterMs({})).toBeNull();
  });

  it('falls back to the exception event type, and reports retry-after only on refusals', () => {
    const events = [{ timeUnixNano: 1n, name: 'exception', attributes: { 'exception.type': 'anthropic.OverloadedError' } }];
    expect(classifyRefusal({}, null, events)).toEqual({ kind: 'overloaded', httpStatus: null, retryAfterMs: null });
    expect(classifyRefusal({ 'http.response.status_code': 200, 'http.response.header.retry-after': '3' }, null, [])).toEqual({ kind: null, httpStatus: 200, retryAfterMs: null });
    expect(classifyRefusal({ 'http.status_code': 429, 'http.response.header.retry-after': '3' }, null, [])).toEqual({ kind: 'rate_limited', httpStatus: 429, retryAfterMs: 3000 });
  });
});

describe('provider call on the normalized span', () => {
  it('reads the endpoint, region and GenAI semconv TTFT of a model call', () => {
    const s = n.normalize(makeSpan({ attributes: { ...chat, 'server.address': 'bedrock-runtime.eu-west-1.amazonaws.com', 'server.port': 443, 'gen_ai.response.time_to_first_chunk': 0.42 } }), 't');
    expect(s.call).toMatchObject({ serverAddress: 'bedrock-runtime.eu-west-1.amazonaws.com', serverPort: 443, region: 'eu-west-1', regionSource: 'host', hostProvider: 'aws.bedrock', ttftMs: 420, refusal: null });
    expect(endpointOf(s.call)).toBe('bedrock-runtime.eu-west-1.amazonaws.com');
  });

  it('takes the host of a URL attribute when no server.address is set, and keeps a non-default port in the endpoint', () => {
    const s = n.normalize(makeSpan({ attributes: { ...chat, 'url.full': 'http://127.0.0.1:14601/v1/chat/completions' }, resource: { 'cloud.region': 'eu-north-1' } }), 't');
    expect(s.call).toMatchObject({ serverAddress: '127.0.0.1', serverPort: 14601, region: 'eu-north-1', regionSource: 'resource' });
    expect(endpointOf(s.call)).toBe('127.0.0.1:14601');
  });

  it('marks a model call nothing locates as unknown, and a span that made no call as no call', () => {
    expect(n.normalize(makeSpan({ attributes: chat }), 't').call.region).toBe('unknown');
    expect(n.normalize(makeSpan({ attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'x' } }), 't').call).toBe(NO_PROVIDER_CALL);
  });

  it('classifies an HTTP child answered 429 with its retry-after and the provider of its host', () => {
    const s = n.normalize(makeSpan({ attributes: { 'http.response.status_code': 429, 'server.address': 'api.openai.com', 'http.response.header.retry-after': ['7'] } }), 't');
    expect(s.call).toMatchObject({ refusal: 'rate_limited', httpStatus: 429, retryAfterMs: 7000, hostProvider: 'openai', region: 'global' });
  });

  it('uses the configured host map for Azure resource hosts', () => {
    const azure = new Normalizer({ endpointRegions: { 'contoso-eu.openai.azure.com': 'westeurope' } });
    expect(azure.normalize(makeSpan({ attributes: { ...chat, 'server.address': 'contoso-eu.openai.azure.com' } }), 't').call).toMatchObject({ region: 'westeurope', regionSource: 'config' });
  });

  it('reads TTFT of every convention that sends one, in its unit', () => {
    const start = 1_760_000_000_000_000_000n;
    expect(readTtftMs({ 'gen_ai.client.operation.time_to_first_chunk': 0.25 }, start)).toBe(250);
    expect(readTtftMs({ 'ai.response.msToFirstChunk': 312.5 }, start)).toBe(312.5);
    expect(readTtftMs({ 'ai.stream.msToFirstChunk': 90 }, start)).toBe(90);
    expect(readTtftMs({ 'langfuse.observation.completion_start_time': JSON.stringify(new Date(1_760_000_000_750)) }, start)).toBe(750);
    expect(readTtftMs({ 'langfuse.observation.completion_start_time': 'not a date' }, start)).toBeNull();
    expect(readTtftMs({ 'gen_ai.response.time_to_first_chunk': -1 }, start)).toBeNull();
    expect(readTtftMs({ 'llm.token_count.prompt': 10 }, start)).toBeNull();
  });
});
