/**
 * What a client learns of a gRPC receiver's HTTP/2 windows, and a request big enough to need them: shared by the
 * in-process and the outside window tests.
 */
import { connect, type ClientHttp2Session, type Settings } from 'node:http2';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Connects to `url` (http://host:port) and reads the receiver's SETTINGS (the stream window) and, once its
 * WINDOW_UPDATE has landed (or 2 s have passed), the connection window it grants.
 */
export async function windowsSeen(url: string, connectionBytes: number): Promise<{ stream: number | undefined; connection: number }> {
  const session: ClientHttp2Session = connect(url);
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

/** `n` finished spans of session `sessionId`, each with a `bytes`-long prompt attribute, as the SDK hands them to its exporter. */
export function bigSpans(sessionId: string, n: number, bytes: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('window-test');
  for (let i = 0; i < n; i++) {
    const prompt = `${i} `.padEnd(bytes, 'x');
    tracer.startSpan('chat gpt-4o-mini', { attributes: { 'gen_ai.conversation.id': sessionId, 'gen_ai.operation.name': 'chat', 'gen_ai.prompt': prompt } }).end();
  }
  return memory.getFinishedSpans().slice();
}
