import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { AgtError } from '../../src/model/errors.js';
import { decodeLogsRequest, decodeLogsRequestJson } from '../../src/otlp/decode-logs.js';
import type { OtlpLogRecord } from '../../src/otlp/log-types.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { decodeLogsWithProtobufjs, ExportLogsServiceRequestType } from '../support/otlp-logs-protobufjs.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Log records made by the real OTel logs SDK: an event in a span, a structured body, every attribute kind, no context. */
function recordLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'agent-svc' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('openai-instr', '0.21.0');
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ eventName: 'gen_ai.evaluation.result', context: ctx, severityNumber: 9, severityText: 'INFO', body: 'eval', attributes: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.25 } });
  logger.emit({ context: ctx, body: { role: 'assistant', content: 'hello ✓', tool_calls: [{ id: 'c1' }] }, attributes: { n: 3, ratio: 0.5, ok: true, tags: ['a', 'b'], big: 2 ** 53 + 2 } });
  logger.emit({ body: 'no context', severityNumber: 17, severityText: 'ERROR' });
  return exporter.getFinishedLogRecords();
}

const noWire = (rs: OtlpLogRecord[]) => rs.map((r) => ({ ...r, wireBytes: 0 }));

describe('decodeLogsRequest', () => {
  it('decodes ProtobufLogsSerializer bytes identically to the protobufjs reference', () => {
    const bytes = ProtobufLogsSerializer.serializeRequest(recordLogs())!;
    const mine = decodeLogsRequest(bytes, DEFAULT_DECODE_LIMITS);
    expect(mine.rejected).toEqual([]);
    expect(mine.records).toHaveLength(3);
    expect(noWire(mine.records)).toEqual(decodeLogsWithProtobufjs(bytes));
    const [ev, msg, plain] = mine.records;
    expect(ev).toMatchObject({ traceId: TRACE, spanId: SPAN, flags: 1, eventName: 'gen_ai.evaluation.result', severityNumber: 9, severityText: 'INFO', body: 'eval' });
    expect(msg!.body).toEqual({ role: 'assistant', content: 'hello ✓', tool_calls: [{ id: 'c1' }] });
    expect(plain).toMatchObject({ traceId: '', spanId: '', severityNumber: 17 });
    expect(ev!.scope).toMatchObject({ name: 'openai-instr', version: '0.21.0' });
  });

  it('rejects one record with a trace id of the wrong length and keeps the others, naming its path', () => {
    const bytes = ExportLogsServiceRequestType.encode({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'ok' } }, { traceId: Buffer.alloc(3, 1), body: { stringValue: 'bad' } }] }] }],
    }).finish();
    const d = decodeLogsRequest(bytes, DEFAULT_DECODE_LIMITS);
    expect(d.records.map((r) => r.body)).toEqual(['ok']);
    expect(d.rejected).toEqual([{ path: 'resourceLogs[0].scopeLogs[0].logRecords[1]', kind: 'trace_id', reason: 'traceId is 3 bytes, expected 16 or empty' }]);
  });

  it('rejects a record whose span id has no trace id', () => {
    const bytes = ExportLogsServiceRequestType.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ spanId: Buffer.alloc(8, 2) }] }] }] }).finish();
    expect(decodeLogsRequest(bytes, DEFAULT_DECODE_LIMITS).rejected[0]).toMatchObject({ kind: 'trace_id', reason: 'spanId is set but traceId is empty' });
  });

  it('rejects a record timed outside the accepted window', () => {
    const bytes = ExportLogsServiceRequestType.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 5 }] }] }] }).finish();
    expect(decodeLogsRequest(bytes, DEFAULT_DECODE_LIMITS).rejected[0]).toMatchObject({ kind: 'timestamp', reason: expect.stringMatching(/^timeUnixNano 5 is outside/) as unknown });
  });

  it('throws AGT_ERR_LIMIT_EXCEEDED past maxSpansPerRequest records, naming log records', () => {
    const bytes = ExportLogsServiceRequestType.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}, {}, {}] }] }] }).finish();
    expect(() => decodeLogsRequest(bytes, { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: 2 })).toThrow(/more than maxSpansPerRequest 2 log records/);
  });

  it('throws AGT_ERR_MALFORMED_REQUEST on truncated bytes', () => {
    const bytes = ProtobufLogsSerializer.serializeRequest(recordLogs())!;
    let err: unknown;
    try {
      decodeLogsRequest(bytes.subarray(0, bytes.length - 7), DEFAULT_DECODE_LIMITS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AgtError);
    expect((err as AgtError).code).toBe('AGT_ERR_MALFORMED_REQUEST');
  });
});

describe('decodeLogsRequestJson', () => {
  it('decodes JsonLogsSerializer output to the records the protobuf decoder reads from the same logs', () => {
    const logs = recordLogs();
    const fromJson = decodeLogsRequestJson(JsonLogsSerializer.serializeRequest(logs)!, DEFAULT_DECODE_LIMITS);
    const fromPb = decodeLogsRequest(ProtobufLogsSerializer.serializeRequest(logs)!, DEFAULT_DECODE_LIMITS);
    expect(fromJson.rejected).toEqual([]);
    expect(noWire(fromJson.records)).toEqual(noWire(fromPb.records));
  });

  it('reads severity names and snake_case keys', () => {
    const body = JSON.stringify({ resource_logs: [{ scope_logs: [{ log_records: [{ severity_number: 'SEVERITY_NUMBER_WARN', trace_id: TRACE, span_id: SPAN, event_name: 'x' }] }] }] });
    expect(decodeLogsRequestJson(body, DEFAULT_DECODE_LIMITS).records[0]).toMatchObject({ severityNumber: 13, traceId: TRACE, spanId: SPAN, eventName: 'x' });
  });
});
