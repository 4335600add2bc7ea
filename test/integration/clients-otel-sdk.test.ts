import { Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/receive/auth.js';
import { expectOtelSdkAgentTurn } from '../support/client-expect.js';
import { runOtelSdkAgentTurn } from '../support/client-scenarios.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';

const keys = { receive: { keys: [{ sha256: hashApiKey('secret-1'), tenant: 't1' }] } };

/** Wraps an exporter to record each export's result, so a refused export is asserted, not just absent. */
function recordingResults(exporter: SpanExporter): { exporter: SpanExporter; results: ExportResult[] } {
  const results: ExportResult[] = [];
  const wrapped: SpanExporter = {
    export: (spans: ReadableSpan[], done: (r: ExportResult) => void) =>
      exporter.export(spans, (r) => {
        results.push(r);
        done(r);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  return { exporter: wrapped, results };
}

describe('OpenTelemetry JS SDK exporters', () => {
  let c: TestCollector | undefined;
  const savedEnv = { ...process.env };
  afterEach(async () => {
    process.env = { ...savedEnv };
    await c?.close();
    c = undefined;
  });

  describe('exporter-trace-otlp-grpc', () => {
    it('delivers spans plain and gzip-compressed, normalized and priced field by field', async () => {
      c = await startTestCollector();
      await runOtelSdkAgentTurn(new GrpcExporter({ url: c.grpcUrl }), { sessionId: 'sess-grpc', userId: 'u-grpc' });
      // compression takes CompressionAlgorithm.GZIP ('gzip'); its enum lives in otlp-exporter-base, only a transitive dependency.
      await runOtelSdkAgentTurn(new GrpcExporter({ url: c.grpcUrl, compression: 'gzip' as never }), { sessionId: 'sess-grpc-gzip', userId: 'u-gzip' });
      await c.sink.waitForSpans(6);
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-grpc', userId: 'u-grpc' });
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-grpc-gzip', userId: 'u-gzip' });
    });

    it('writes the key tenant when the API key is sent as gRPC metadata', async () => {
      c = await startTestCollector({ config: keys });
      const metadata = new Metadata();
      metadata.set('authorization', 'Bearer secret-1');
      await runOtelSdkAgentTurn(new GrpcExporter({ url: c.grpcUrl, metadata }), { sessionId: 'sess-key', userId: 'u-key' });
      await c.sink.waitForSpans(3);
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-key', userId: 'u-key', tenantId: 't1' });
    });

    it('writes the key tenant when the API key comes from OTEL_EXPORTER_OTLP_HEADERS', async () => {
      c = await startTestCollector({ config: keys });
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=secret-1';
      await runOtelSdkAgentTurn(new GrpcExporter({ url: c.grpcUrl }), { sessionId: 'sess-env', userId: 'u-env' });
      await c.sink.waitForSpans(3);
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-env', userId: 'u-env', tenantId: 't1' });
    });

    it('is refused UNAUTHENTICATED when the key sits in the headers option, which the gRPC exporter ignores', async () => {
      c = await startTestCollector({ config: keys });
      const { exporter, results } = recordingResults(new GrpcExporter({ url: c.grpcUrl, headers: { authorization: 'Bearer secret-1' } } as never));
      await expect(runOtelSdkAgentTurn(exporter, { sessionId: 'sess-hdr', userId: 'u-hdr' })).rejects.toBeDefined();
      expect(results).toHaveLength(3);
      for (const r of results) {
        expect(r.code).toBe(1); // ExportResultCode.FAILED
        expect(String(r.error)).toContain('16 UNAUTHENTICATED: AGT_ERR_UNAUTHENTICATED');
      }
      expect(c.sink.spans).toHaveLength(0);
    });
  });

  describe('exporter-trace-otlp-http and -proto', () => {
    it('delivers OTLP/JSON and OTLP/protobuf, normalized and priced field by field', async () => {
      c = await startTestCollector();
      await runOtelSdkAgentTurn(new HttpJsonExporter({ url: `${c.httpUrl}/v1/traces` }), { sessionId: 'sess-json', userId: 'u-json' });
      await runOtelSdkAgentTurn(new ProtoExporter({ url: `${c.httpUrl}/v1/traces`, compression: 'gzip' as never }), { sessionId: 'sess-proto', userId: 'u-proto' });
      await c.sink.waitForSpans(6);
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-json', userId: 'u-json' });
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-proto', userId: 'u-proto' });
    });

    it('writes the key tenant when the API key is in the HTTP exporter headers', async () => {
      c = await startTestCollector({ config: keys });
      await runOtelSdkAgentTurn(new ProtoExporter({ url: `${c.httpUrl}/v1/traces`, headers: { authorization: 'Bearer secret-1' } }), { sessionId: 'sess-hkey', userId: 'u-hkey' });
      await c.sink.waitForSpans(3);
      expectOtelSdkAgentTurn(c.sink.spans, { sessionId: 'sess-hkey', userId: 'u-hkey', tenantId: 't1' });
    });
  });
});
