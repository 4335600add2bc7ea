/**
 * The OTLP/gRPC receiver's HTTP/2 receive windows (src/receive/grpc-flow-control.ts), as a client sees them: the stream
 * window in the server's SETTINGS, and the connection window once the server's WINDOW_UPDATE has arrived. grpc-js
 * keeps HTTP/2's 64 KiB unless the receiver raises them, so this fails if an upgrade of grpc-js moves the servers
 * the receiver sets them on. A real OTel exporter then sends a request many times the default window.
 */
import { connect, type ClientHttp2Session, type Settings } from 'node:http2';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isAgtError } from '../../src/model/errors.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { errorOf } from '../support/error-of.js';

const MiB = 1024 * 1024;

/** `n` finished spans of one session, each with a `bytes`-long prompt attribute, as the SDK hands them to its exporter. */
function bigSpans(n: number, bytes: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('window-test');
  for (let i = 0; i < n; i++) {
    const prompt = `${i} `.padEnd(bytes, 'x');
    tracer.startSpan('chat gpt-4o-mini', { attributes: { 'gen_ai.conversation.id': 'sess-window', 'gen_ai.operation.name': 'chat', 'gen_ai.prompt': prompt } }).end();
  }
  return memory.getFinishedSpans().slice();
}

/** What a client learns of the receiver's windows: its SETTINGS, and its connection window after the WINDOW_UPDATE. */
async function windowsSeen(c: TestCollector, connectionBytes: number): Promise<{ stream: number | undefined; connection: number }> {
  const session: ClientHttp2Session = connect(c.grpcUrl);
  try {
    const settings = await new Promise<Settings>((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    // The WINDOW_UPDATE follows the SETTINGS frame; wait until it lands (or give up, and the assertion says what was seen).
    const until = Date.now() + 2_000;
    while (session.state.remoteWindowSize !== connectionBytes && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return { stream: settings.initialWindowSize, connection: session.state.remoteWindowSize ?? 0 };
  } finally {
    session.close();
  }
}

describe('OTLP/gRPC receive windows', () => {
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('raises both windows to the defaults (4 MiB per call, 16 MiB per connection) instead of HTTP/2\'s 64 KiB', async () => {
    c = await startTestCollector();
    expect(await windowsSeen(c, 16 * MiB)).toEqual({ stream: 4 * MiB, connection: 16 * MiB });
  });

  it('uses receive.grpc.streamWindowBytes and connectionWindowBytes', async () => {
    c = await startTestCollector({ config: { receive: { grpc: { streamWindowBytes: 1 * MiB, connectionWindowBytes: 3 * MiB } } } });
    expect(await windowsSeen(c, 3 * MiB)).toEqual({ stream: 1 * MiB, connection: 3 * MiB });
  });

  it('takes a request many times HTTP/2\'s default window from a real OTel exporter', async () => {
    c = await startTestCollector();
    const exporter = new OTLPTraceExporter({ url: c.grpcUrl, timeoutMillis: 10_000 });
    // 600 spans with a 1,500-byte prompt each: one ~1 MB request, sixteen times 64 KiB.
    const code = await new Promise<ExportResultCode>((resolve) => exporter.export(bigSpans(600, 1_500), (r) => resolve(r.code)));
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
