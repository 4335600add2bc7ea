/**
 * The OTLP/gRPC receiver's HTTP/2 receive windows (src/receive/grpc-flow-control.ts), as a client sees them: the stream
 * window in the server's SETTINGS, and the connection window once the server's WINDOW_UPDATE has arrived. grpc-js
 * keeps HTTP/2's 64 KiB unless the receiver raises them, so this fails if an upgrade of grpc-js moves the servers
 * the receiver sets them on. A real OTel exporter then sends a request many times the default window. From outside
 * (the built collector, sent twice, kill -9, restart): receive-grpc-windows-process.test.ts.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isAgtError } from '../../src/model/errors.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { errorOf } from '../support/error-of.js';
import { bigSpans, windowsSeen } from '../support/http2-windows.js';

const MiB = 1024 * 1024;

describe('OTLP/gRPC receive windows', () => {
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('raises both windows to the defaults (4 MiB per call, 16 MiB per connection) instead of HTTP/2\'s 64 KiB', async () => {
    c = await startTestCollector();
    expect(await windowsSeen(c.grpcUrl, 16 * MiB)).toEqual({ stream: 4 * MiB, connection: 16 * MiB });
  });

  it('uses receive.grpc.streamWindowBytes and connectionWindowBytes', async () => {
    c = await startTestCollector({ config: { receive: { grpc: { streamWindowBytes: 1 * MiB, connectionWindowBytes: 3 * MiB } } } });
    expect(await windowsSeen(c.grpcUrl, 3 * MiB)).toEqual({ stream: 1 * MiB, connection: 3 * MiB });
  });

  it('takes a request many times HTTP/2\'s default window from a real OTel exporter', async () => {
    c = await startTestCollector();
    const exporter = new OTLPTraceExporter({ url: c.grpcUrl, timeoutMillis: 10_000 });
    // 600 spans with a 1,500-byte prompt each: one ~1 MB request, sixteen times 64 KiB.
    const code = await new Promise<ExportResultCode>((resolve) => exporter.export(bigSpans('sess-window', 600, 1_500), (r) => resolve(r.code)));
    await exporter.shutdown();
    expect(code).toBe(ExportResultCode.SUCCESS);
    await c.sink.waitForSpans(600);
    expect(new Set(c.sink.spans.map((s) => s.spanId)).size).toBe(600);
  });

  it('refuses a window HTTP/2 does not allow, naming the field', () => {
    const small = errorOf(() => loadConfig({ env: {}, overrides: { receive: { grpc: { streamWindowBytes: 1_000 } } } }));
    expect(isAgtError(small, 'AGT_ERR_CONFIG_INVALID')).toBe(true);
    expect(small.message).toContain('receive.grpc.streamWindowBytes = 1000');
    const big = errorOf(() => loadConfig({ env: {}, overrides: { receive: { grpc: { connectionWindowBytes: 2 ** 31 } } } }));
    expect(big.message).toContain('receive.grpc.connectionWindowBytes');
  });
});
