/**
 * Sustained agent-session load from the real OpenTelemetry SDK and its OTLP/gRPC exporter, one request at a
 * time, remembering what the collector acknowledged: the crash tests compare what the store holds with it.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Pricer } from '../../src/pricing/pricer.js';
import { costUnits } from '../../src/store/cell-format.js';

/** One sent span with what it should add to the rollups. */
export interface SentSpan {
  sessionId: string;
  traceId: string;
  spanId: string;
  inputTokens: number;
  outputTokens: number;
  costUnits: bigint;
}

/** One Export request and what became of it. */
export interface SentRequest {
  spans: SentSpan[];
  acked: boolean;
}

const MODEL = 'gpt-4o-mini';

/** Builds and sends sessions: request A holds three model calls and a tool call, request B the agent's root span. */
export class SessionLoad {
  readonly requests: SentRequest[] = [];
  private readonly exporter: OTLPTraceExporter;
  private readonly memory = new InMemorySpanExporter();
  private readonly provider: BasicTracerProvider;
  private readonly pricer = new Pricer({ overrides: [] });

  constructor(grpcTarget: string) {
    this.exporter = new OTLPTraceExporter({ url: `http://${grpcTarget}`, timeoutMillis: 3000 });
    this.provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'crash-bot' }), spanProcessors: [new SimpleSpanProcessor(this.memory)] });
  }

  /** Sends session `i` (two requests); false as soon as one is not acknowledged. */
  async sendSession(i: number): Promise<boolean> {
    const [a, b] = this.buildSession(i);
    return (await this.send(a)) && (await this.send(b));
  }

  /** Sums over acknowledged requests (and, separately, the unacknowledged ones). */
  totals(acked: boolean): { inputTokens: number; outputTokens: number; costUnits: bigint; spans: number } {
    const t = { inputTokens: 0, outputTokens: 0, costUnits: 0n, spans: 0 };
    for (const r of this.requests) {
      if (r.acked !== acked) continue;
      for (const s of r.spans) {
        t.inputTokens += s.inputTokens;
        t.outputTokens += s.outputTokens;
        t.costUnits += s.costUnits;
        t.spans++;
      }
    }
    return t;
  }

  async close(): Promise<void> {
    await this.exporter.shutdown();
    await this.provider.shutdown();
  }

  private send(spans: ReadableSpan[]): Promise<boolean> {
    const sent: SentRequest = { spans: spans.map((s) => this.describe(s)), acked: false };
    this.requests.push(sent);
    return new Promise((resolve) =>
      this.exporter.export(spans, (r) => {
        sent.acked = r.code === ExportResultCode.SUCCESS;
        resolve(sent.acked);
      }),
    );
  }

  private describe(s: ReadableSpan): SentSpan {
    const a = s.attributes;
    const inputTokens = Number(a['gen_ai.usage.input_tokens'] ?? 0);
    const outputTokens = Number(a['gen_ai.usage.output_tokens'] ?? 0);
    let units = 0n;
    if (a['gen_ai.request.model'] !== undefined) {
      const usage = { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
      const atUnixMs = s.startTime[0] * 1000 + Math.floor(s.startTime[1] / 1e6);
      const { costUsd } = this.pricer.priceUsage({ model: MODEL, provider: 'openai', usage, atUnixMs });
      units = costUnits(costUsd!);
    }
    return { sessionId: String(a['gen_ai.conversation.id']), traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, inputTokens, outputTokens, costUnits: units };
  }

  private buildSession(i: number): [ReadableSpan[], ReadableSpan[]] {
    const sessionId = `sess-${i}`;
    const tracer = this.provider.getTracer('crash-agent', '1.0.0');
    const root = tracer.startSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': sessionId } });
    const ctx = trace.setSpan(context.active(), root);
    for (let k = 0; k < 3; k++) {
      const chat = tracer.startSpan(
        `chat ${MODEL}`,
        {
          kind: 2,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': MODEL,
            'gen_ai.conversation.id': sessionId,
            'gen_ai.usage.input_tokens': 100 + ((i * 7 + k * 13) % 900),
            'gen_ai.usage.output_tokens': 20 + ((i * 3 + k) % 200),
          },
        },
        ctx,
      );
      chat.end();
    }
    const tool = tracer.startSpan('execute_tool lookup', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.conversation.id': sessionId } }, ctx);
    // Every fifth session fails a tool call: the error policy keeps those whole.
    if (i % 5 === 0) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'lookup failed' });
    tool.end();
    const a = this.memory.getFinishedSpans().slice();
    this.memory.reset();
    root.end();
    const b = this.memory.getFinishedSpans().slice();
    this.memory.reset();
    return [a, b];
  }
}
