import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { describe, expect, it } from 'vitest';
import { isModelCall } from '../../src/conventions/provider-call.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { runOpenInferenceStream, runVercelV6Stream, runVercelV7Stream } from '../support/client-streaming.js';
import { collectorWithFakeOpenAI } from '../support/client-rig.js';
import type { TestCollector } from '../support/collector.js';

/** The model-call spans of one session the collector received. */
function callsOf(c: TestCollector, sessionId: string): NormalizedSpan[] {
  const traces = new Set(c.sink.spans.filter((s) => s.sessionId === sessionId).map((s) => s.traceId));
  return c.sink.spans.filter((s) => traces.has(s.traceId) && isModelCall(s));
}

describe('time to first token from real streaming clients', () => {
  const rig = collectorWithFakeOpenAI();

  it('AI SDK v6 streamText: the doStream call carries ai.response.msToFirstChunk, read as the call TTFT', async () => {
    const before = rig.c.sink.spans.length;
    await runVercelV6Stream(new OTLPTraceExporter({ url: rig.c.grpcUrl }), { sessionId: 'ttft-v6', firstChunkDelayMs: 60 });
    await rig.c.sink.waitForSpans(before + 2);
    const [call] = callsOf(rig.c, 'ttft-v6');
    expect(call!.name).toBe('ai.streamText.doStream');
    expect(call!.attributes['ai.response.msToFirstChunk']).toBeTypeOf('number');
    expect(call!.call.ttftMs).toBe(call!.attributes['ai.response.msToFirstChunk']);
    // The mock's stream starts after 60 ms, so the first chunk cannot come earlier; nor after the call ended.
    expect(call!.call.ttftMs!).toBeGreaterThanOrEqual(55);
    expect(call!.call.ttftMs!).toBeLessThanOrEqual(Number(call!.endTimeUnixNano - call!.startTimeUnixNano) / 1e6 + 1);
  });

  it('AI SDK v7 streamText: the chat span carries gen_ai.client.operation.time_to_first_chunk (seconds), read in ms', async () => {
    const before = rig.c.sink.spans.length;
    await runVercelV7Stream(new OTLPTraceExporter({ url: rig.c.grpcUrl }), { sessionId: 'ttft-v7', firstChunkDelayMs: 60 });
    await rig.c.sink.waitForSpans(before + 3);
    const calls = callsOf(rig.c, 'ttft-v7');
    expect(calls.map((s) => s.name)).toEqual(['chat gpt-4o-mini']);
    const call = calls[0]!;
    const seconds = call.attributes['gen_ai.client.operation.time_to_first_chunk'];
    expect(seconds).toBeTypeOf('number');
    expect(call.call.ttftMs).toBeCloseTo((seconds as number) * 1000, 6);
    expect(call.call.ttftMs!).toBeGreaterThanOrEqual(55);
    // No endpoint on a mock model: the region comes from the resource's cloud.region.
    expect(call.call).toMatchObject({ region: 'eu-west-1', regionSource: 'resource' });
  });

  it('openai stream:true under OpenInference sends no TTFT and no endpoint; the region falls back to cloud.region', async () => {
    const before = rig.c.sink.spans.length;
    await runOpenInferenceStream(new OTLPTraceExporter({ url: rig.c.grpcUrl }), { sessionId: 'ttft-oi', baseURL: rig.fake.baseURL, resource: { 'cloud.region': 'us-east-2' } });
    await rig.c.sink.waitForSpans(before + 1);
    const calls = callsOf(rig.c, 'ttft-oi');
    expect(calls).toHaveLength(1);
    expect(Object.keys(calls[0]!.attributes).filter((k) => /first|ttft|server\.address/i.test(k))).toEqual([]);
    expect(calls[0]!.call).toMatchObject({ ttftMs: null, serverAddress: '', region: 'us-east-2', regionSource: 'resource' });
  });
});
