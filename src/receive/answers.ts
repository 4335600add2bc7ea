/** The one place mapping Export outcomes to OTLP answers, gRPC and HTTP (STYLE.md 8; OTLP spec "Failures"). */
import { ERRORS, GrpcCode, type AgtError } from '../model/errors.js';
import { encodeExportResponse, exportResponseJson } from '../otlp/encode-response.js';
import { lenField, varintField } from '../otlp/proto-writer.js';
import type { ExportResult } from './export-handler.js';

/** google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1 } wrapped in Any. */
function retryInfoAny(retryInMs: number): number[] {
  const seconds = Math.floor(retryInMs / 1000);
  const nanos = (retryInMs % 1000) * 1_000_000;
  const duration = [...varintField(1, seconds), ...varintField(2, nanos)];
  const retryInfo = lenField(1, duration);
  return [...lenField(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), ...lenField(2, retryInfo)];
}

/** google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3 }. */
export function encodeRpcStatus(code: number, message: string, retryInMs?: number): Buffer {
  const bytes = [...varintField(1, code), ...lenField(2, Buffer.from(message, 'utf8'))];
  if (retryInMs !== undefined) bytes.push(...lenField(3, retryInfoAny(retryInMs)));
  return Buffer.from(bytes);
}

export interface GrpcAnswer {
  code: number;
  details: string;
  /** Serialized google.rpc.Status for `grpc-status-details-bin` (with RetryInfo when retryable). */
  statusDetails?: Buffer;
  /** Export*ServiceResponse when code is OK. */
  response?: Uint8Array;
}

export function toGrpcAnswer(result: ExportResult): GrpcAnswer {
  if (result.status === 'ok') {
    return { code: GrpcCode.OK, details: 'OK', response: encodeExportResponse({ rejected: result.value.rejected, errorMessage: result.value.errorMessage }) };
  }
  const err = result.error;
  const spec = ERRORS[err.code];
  const message = `${err.code}: ${err.message}`;
  const retryInMs = result.status === 'retryable' ? result.retryInMs : undefined;
  return { code: spec.grpc, details: message, statusDetails: encodeRpcStatus(spec.grpc, message, retryInMs) };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/**
 * HTTP answer in the request's content type: Export*ServiceResponse on success (`rejectedJsonKey` names the
 * signal's partial_success count in JSON), google.rpc.Status on failure.
 */
export function toHttpAnswer(result: ExportResult, format: 'protobuf' | 'json', rejectedJsonKey = 'rejectedSpans'): HttpAnswer {
  const contentType = format === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  if (result.status === 'ok') {
    const p = { rejected: result.value.rejected, errorMessage: result.value.errorMessage };
    return { status: 200, headers: { 'content-type': contentType }, body: format === 'protobuf' ? Buffer.from(encodeExportResponse(p)) : JSON.stringify(exportResponseJson(p, rejectedJsonKey)) };
  }
  return errorAnswer(result.error, format, result.status === 'retryable' ? result.retryInMs : undefined);
}

/** An AgtError as an OTLP/HTTP failure answer. */
export function errorAnswer(err: AgtError, format: 'protobuf' | 'json', retryInMs?: number): HttpAnswer {
  const spec = ERRORS[err.code];
  const message = `${err.code}: ${err.message}`;
  const headers: Record<string, string> = { 'content-type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json' };
  const delayMs = retryInMs ?? err.retryInMs;
  if (spec.retryable) headers['retry-after'] = String(Math.max(1, Math.ceil((delayMs ?? 1000) / 1000)));
  const body =
    format === 'protobuf'
      ? encodeRpcStatus(spec.grpc, message, spec.retryable ? (delayMs ?? 1000) : undefined)
      : JSON.stringify({ code: spec.grpc, message, errorCode: err.code, ...(spec.retryable ? { retryAfterMs: delayMs ?? 1000 } : {}) });
  return { status: spec.http, headers, body };
}
