import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { DEFAULT_DECODE_LIMITS, type OtlpSpan } from '../../src/otlp/types.js';
import { decodeWithProtobufjs } from '../support/otlp-protobufjs.js';

/** Spans recorded by the real OTel SDK: a parent with a child, events, a link, every attribute kind. */
function recordSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-svc', 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('agent-lib', '2.0.0');
  const root = tracer.startSpan('invoke_agent', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.agent.name': 'planner', n: 3, ratio: 0.25, ok: true } });
  const child = tracer.startSpan(
    'chat gpt-4o',
    { kind: SpanKind.CLIENT, attributes: { 'gen_ai.usage.input_tokens': 1200, tags: ['a', 'b'], big: 2 ** 52 + 1 }, links: [{ context: root.spanContext(), attributes: { why: 'follows' } }] },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hello ✓' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  child.end();
  root.end();
  return exporter.getFinishedSpans();
}

const noWire = (spans: OtlpSpan[]) => spans.map((s) => ({ ...s, wireBytes: 0 }));

describe('OTel serializer requests', () => {
  describe('decodeExportRequest', () => {
    it('decodes ProtobufTraceSerializer bytes identically to the protobufjs reference', () => {
      const bytes = ProtobufTraceSerializer.serializeRequest(recordSpans())!;
      const mine = decodeExportRequest(bytes, DEFAULT_DECODE_LIMITS);
      expect(mine.rejected).toEqual([]);
      expect(mine.spans).toHaveLength(2);
      expect(noWire(mine.spans)).toEqual(decodeWithProtobufjs(bytes));
      const child = mine.spans.find((s) => s.name === 'chat gpt-4o')!;
      const root = mine.spans.find((s) => s.name === 'invoke_agent')!;
      expect(child.parentSpanId).toBe(root.spanId);
      expect(child.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 1200, tags: ['a', 'b'], big: 2 ** 52 + 1 });
      expect(child.events[0]!.attributes).toEqual({ 'gen_ai.prompt': 'hello ✓' });
      expect(child.links[0]!.spanId).toBe(root.spanId);
      expect(child.status).toEqual({ code: 2, message: 'rate limited' });
      expect(child.resource.attributes['service.name']).toBe('agent-svc');
      expect(child.scope).toMatchObject({ name: 'agent-lib', version: '2.0.0' });
    });
  });

  describe('decodeExportRequestJson', () => {
    it('decodes JsonTraceSerializer output to the same spans as the protobuf encoding', () => {
      const spans = recordSpans();
      const fromPb = decodeExportRequest(ProtobufTraceSerializer.serializeRequest(spans)!, DEFAULT_DECODE_LIMITS);
      const fromJson = decodeExportRequestJson(JsonTraceSerializer.serializeRequest(spans)!, DEFAULT_DECODE_LIMITS);
      expect(fromJson.rejected).toEqual([]);
      expect(noWire(fromJson.spans)).toEqual(noWire(fromPb.spans));
    });
  });
});
