import { describe, expect, it } from 'vitest';
import { AgtError, ERRORS, type ErrorCode } from '../../src/model/errors.js';
import { failed, ok, retryable } from '../../src/model/outcome.js';
import { encodeRpcStatus, errorAnswer, toGrpcAnswer, toHttpAnswer } from '../../src/receive/answers.js';
import { otlpRoot } from '../support/otlp-protobufjs.js';
import { decodeRpcStatus } from '../support/rpc-status.js';

const ResponseType = otlpRoot.lookupType('ExportTraceServiceResponse');


function decodeResponse(bytes: Uint8Array): unknown {
  return ResponseType.toObject(ResponseType.decode(bytes), { longs: Number });
}

const partial = ok({ accepted: 7, rejected: 3, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1]: trace id must be 16 bytes, got 2' });
const malformed = failed(new AgtError('AGT_ERR_MALFORMED_REQUEST', 'truncated message at byte 12'));
const overQuota = retryable(new AgtError('AGT_ERR_QUOTA_EXCEEDED', 'tenant "t1" is over its quota of 5 spans/s', { retryInMs: 1_500 }), 1_500);
const bufferFull = retryable(new AgtError('AGT_ERR_BUFFER_FULL', 'session buffer at its memory limit'), 2_250);

describe('toGrpcAnswer', () => {
  it('answers OK with an empty ExportTraceServiceResponse when everything was accepted', () => {
    const a = toGrpcAnswer(ok({ accepted: 4, rejected: 0, errorMessage: '' }));
    expect(a.code).toBe(0);
    expect(a.statusDetails).toBeUndefined();
    expect(a.response).toEqual(new Uint8Array(0));
  });

  it('answers OK with partial_success carrying the rejected count and reasons', () => {
    const a = toGrpcAnswer(partial);
    expect(a.code).toBe(0);
    expect(a.statusDetails).toBeUndefined();
    expect(decodeResponse(a.response!)).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1]: trace id must be 16 bytes, got 2' },
    });
  });

  it('answers INVALID_ARGUMENT for a malformed request, with a Status but no RetryInfo', () => {
    const a = toGrpcAnswer(malformed);
    expect(a.code).toBe(3);
    expect(a.details).toBe('AGT_ERR_MALFORMED_REQUEST: truncated message at byte 12');
    expect(a.response).toBeUndefined();
    expect(decodeRpcStatus(a.statusDetails!)).toEqual({ code: 3, message: 'AGT_ERR_MALFORMED_REQUEST: truncated message at byte 12', retryDelayMs: null, detailTypes: [] });
  });

  it('answers RESOURCE_EXHAUSTED with RetryInfo holding the exact delay when over quota', () => {
    const a = toGrpcAnswer(overQuota);
    expect(a.code).toBe(8);
    const s = decodeRpcStatus(a.statusDetails!);
    expect(s).toEqual({ code: 8, message: 'AGT_ERR_QUOTA_EXCEEDED: tenant "t1" is over its quota of 5 spans/s', retryDelayMs: 1_500, detailTypes: ['type.googleapis.com/google.rpc.RetryInfo'] });
  });

  it('answers UNAVAILABLE with RetryInfo when the pipeline is full', () => {
    const a = toGrpcAnswer(bufferFull);
    expect(a.code).toBe(14);
    expect(decodeRpcStatus(a.statusDetails!).retryDelayMs).toBe(2_250);
  });

  it('answers each error code with the gRPC status of the registry', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      if (ERRORS[code].grpc === 0) continue; // AGT_ERR_INVALID_SPAN is reported through partial_success only
      const a = toGrpcAnswer(failed(new AgtError(code, 'x')));
      expect(a.code).toBe(ERRORS[code].grpc);
      expect(decodeRpcStatus(a.statusDetails!).code).toBe(ERRORS[code].grpc);
    }
  });
});

describe('encodeRpcStatus', () => {
  it('encodes sub-second, whole-second and long delays as a Duration', () => {
    expect(decodeRpcStatus(encodeRpcStatus(14, 'm', 200)).retryDelayMs).toBe(200);
    expect(decodeRpcStatus(encodeRpcStatus(14, 'm', 3_000)).retryDelayMs).toBe(3_000);
    expect(decodeRpcStatus(encodeRpcStatus(14, 'm', 86_400_123)).retryDelayMs).toBe(86_400_123);
  });

  it('keeps non-ASCII messages intact', () => {
    expect(decodeRpcStatus(encodeRpcStatus(3, 'bad span “ü” ✓')).message).toBe('bad span “ü” ✓');
  });
});

describe('toHttpAnswer', () => {
  it('answers 200 with an empty protobuf body or {} when everything was accepted', () => {
    const all = ok({ accepted: 1, rejected: 0, errorMessage: '' });
    const pb = toHttpAnswer(all, 'protobuf');
    expect(pb.status).toBe(200);
    expect(pb.headers['content-type']).toBe('application/x-protobuf');
    expect(Buffer.byteLength(pb.body)).toBe(0);
    const json = toHttpAnswer(all, 'json');
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(json.body))).toEqual({});
  });

  it('answers 200 with partial_success in protobuf and in JSON', () => {
    const pb = toHttpAnswer(partial, 'protobuf');
    expect(pb.status).toBe(200);
    expect(decodeResponse(pb.body as Buffer)).toEqual({ partialSuccess: { rejectedSpans: 3, errorMessage: expect.stringContaining('trace id must be 16 bytes') as unknown } });
    const json = toHttpAnswer(partial, 'json');
    expect(json.status).toBe(200);
    expect(JSON.parse(String(json.body))).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: expect.stringContaining('trace id must be 16 bytes') as unknown } });
  });

  it('answers 400 for a malformed request, without Retry-After', () => {
    const pb = toHttpAnswer(malformed, 'protobuf');
    expect(pb.status).toBe(400);
    expect(pb.headers['retry-after']).toBeUndefined();
    expect(decodeRpcStatus(pb.body as Buffer)).toEqual({ code: 3, message: 'AGT_ERR_MALFORMED_REQUEST: truncated message at byte 12', retryDelayMs: null, detailTypes: [] });
    const json = toHttpAnswer(malformed, 'json');
    expect(json.status).toBe(400);
    expect(JSON.parse(String(json.body))).toEqual({ code: 3, message: 'AGT_ERR_MALFORMED_REQUEST: truncated message at byte 12', errorCode: 'AGT_ERR_MALFORMED_REQUEST' });
  });

  it('answers 429 with Retry-After in whole seconds rounded up and RetryInfo in the body when over quota', () => {
    const pb = toHttpAnswer(overQuota, 'protobuf');
    expect(pb.status).toBe(429);
    expect(pb.headers['retry-after']).toBe('2');
    const s = decodeRpcStatus(pb.body as Buffer);
    expect(s.code).toBe(8);
    expect(s.retryDelayMs).toBe(1_500);
    const json = toHttpAnswer(overQuota, 'json');
    expect(json.headers['retry-after']).toBe('2');
    expect(JSON.parse(String(json.body))).toMatchObject({ code: 8, errorCode: 'AGT_ERR_QUOTA_EXCEEDED', retryAfterMs: 1_500 });
  });

  it('answers 503 with Retry-After when the pipeline is full', () => {
    const a = toHttpAnswer(bufferFull, 'json');
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('3');
    expect(JSON.parse(String(a.body))).toMatchObject({ code: 14, errorCode: 'AGT_ERR_BUFFER_FULL', retryAfterMs: 2_250 });
  });

  it('never answers Retry-After: 0, even for a delay under a second', () => {
    const a = toHttpAnswer(retryable(new AgtError('AGT_ERR_QUOTA_EXCEEDED', 'over'), 200), 'protobuf');
    expect(a.headers['retry-after']).toBe('1');
    expect(decodeRpcStatus(a.body as Buffer).retryDelayMs).toBe(200);
  });
});

describe('errorAnswer', () => {
  it('uses the error’s own retryInMs, or one second, for a retryable code', () => {
    expect(errorAnswer(new AgtError('AGT_ERR_SHUTTING_DOWN', 'bye', { retryInMs: 4_001 }), 'json').headers['retry-after']).toBe('5');
    const d = errorAnswer(new AgtError('AGT_ERR_WAL_FULL', 'disk cap'), 'protobuf');
    expect(d.status).toBe(503);
    expect(d.headers['retry-after']).toBe('1');
    expect(decodeRpcStatus(d.body as Buffer).retryDelayMs).toBe(1_000);
  });

  it('answers each error code with the HTTP status of the registry', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const a = errorAnswer(new AgtError(code, 'x'), 'json');
      expect(a.status).toBe(ERRORS[code].http);
      expect(a.headers['retry-after'] !== undefined).toBe(ERRORS[code].retryable);
      expect(JSON.parse(String(a.body))).toMatchObject({ errorCode: code, code: ERRORS[code].grpc });
    }
  });
});
