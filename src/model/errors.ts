/**
 * The one registry of agenttail error codes (STYLE.md 7). Each code carries the gRPC status and the
 * HTTP status it is answered with, and whether a client should retry. `docs/errors.md` documents every
 * code; `test/unit/errors.test.ts` checks that the two agree.
 */

/** gRPC status codes used by agenttail (subset of grpc-js `status`, kept here so stages need not import grpc). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

export interface ErrorSpec {
  readonly grpc: GrpcCodeValue;
  readonly http: number;
  readonly retryable: boolean;
  readonly summary: string;
}

export const ERRORS = {
  AGT_ERR_MALFORMED_REQUEST: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'The request body could not be decoded as an OTLP Export request of its signal (ExportTraceServiceRequest, ExportLogsServiceRequest or ExportMetricsServiceRequest; protobuf or OTLP/JSON).' },
  AGT_ERR_UNSUPPORTED_MEDIA_TYPE: { grpc: GrpcCode.INVALID_ARGUMENT, http: 415, retryable: false, summary: 'The Content-Type is not application/x-protobuf or application/json.' },
  AGT_ERR_BAD_CONTENT_ENCODING: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'The body claims a Content-Encoding that is unsupported or does not decompress.' },
  AGT_ERR_BODY_TOO_LARGE: { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 413, retryable: false, summary: 'The request (compressed or decompressed) is larger than the configured maximum.' },
  AGT_ERR_LIMIT_EXCEEDED: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'The request exceeds a structural limit (attribute count, nesting depth, string length, spans per request).' },
  AGT_ERR_INVALID_SPAN: { grpc: GrpcCode.OK, http: 200, retryable: false, summary: 'A span was rejected (bad id length, absurd timestamp, ...); reported through partial_success, the rest of the request is accepted.' },
  AGT_ERR_UNAUTHENTICATED: { grpc: GrpcCode.UNAUTHENTICATED, http: 401, retryable: false, summary: 'No API key, or an API key that matches no configured key.' },
  AGT_ERR_TENANT_FORBIDDEN: { grpc: GrpcCode.PERMISSION_DENIED, http: 403, retryable: false, summary: 'The key may not act for the tenant it names (only trusted gateway keys set tenant.id; only admin keys read other tenants).' },
  AGT_ERR_QUOTA_EXCEEDED: { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 429, retryable: true, summary: "The tenant's spans/s or bytes/s quota is used up; retry after the delay given (RetryInfo / Retry-After)." },
  AGT_ERR_BUFFER_FULL: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The session buffer is at its hard memory limit; retry after the delay given.' },
  AGT_ERR_WRITER_BACKPRESSURE: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The storage writer queues are full (ClickHouse slow or down); retry after the delay given.' },
  AGT_ERR_OVERLOADED: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The collector is CPU-bound (its event loop lags past receive.overload.maxEventLoopLagMs); the request was refused before decoding; retry after the delay given.' },
  AGT_ERR_MEMORY_LIMIT: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The collector process is at its memory limit (RSS at or above 80 % of receive.overload.maxRssBytes); the request was refused before decoding; retry after the delay given.' },
  AGT_ERR_DECODE_WORKER_LOST: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The decode worker reading the request stopped (a crash, out of memory, or ended after 30 s stuck on it) before it answered; it is replaced and nothing of the request was kept; retry after the delay given.' },
  AGT_ERR_WAL_FULL: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The write-ahead log reached its disk cap; retry after the delay given.' },
  AGT_ERR_SHUTTING_DOWN: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'The collector is shutting down and accepts nothing new; retry against another instance or later.' },
  AGT_ERR_INVALID_METRIC: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'No data point of an OTLP metrics request could be accepted (no name, no data, bad times, values or buckets); the message names the first problems. Bad points beside good ones are reported through partial_success instead.' },
  AGT_ERR_INVALID_EVAL: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'An eval posted to /v1/evals is not valid (missing target, name, or score/label).' },
  AGT_ERR_BAD_QUERY: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400, retryable: false, summary: 'A query parameter of the read API is missing or invalid.' },
  AGT_ERR_NOT_FOUND: { grpc: GrpcCode.NOT_FOUND, http: 404, retryable: false, summary: 'The requested session or resource does not exist (or is not visible to this key).' },
  AGT_ERR_CONFIG_INVALID: { grpc: GrpcCode.INTERNAL, http: 500, retryable: false, summary: 'The configuration failed validation; the message names the field, the value and what is allowed.' },
  AGT_ERR_STORE: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryable: true, summary: 'A ClickHouse operation failed; the cause carries the ClickHouse error code.' },
  AGT_ERR_PORT_IN_USE: { grpc: GrpcCode.INTERNAL, http: 500, retryable: false, summary: 'At start: a receiver port (receive.grpc.port or receive.http.port) is held by another process; the message names the address, the config field and the environment variable that set it.' },
  AGT_ERR_STORE_MISSING: { grpc: GrpcCode.INTERNAL, http: 500, retryable: false, summary: 'At start: the write-ahead log says batches were written to the embedded store, but its directory is missing or empty; the message names both paths.' },
  AGT_ERR_INTERNAL: { grpc: GrpcCode.INTERNAL, http: 500, retryable: false, summary: 'A bug: an unexpected exception. Logged with its stack.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries one of the registry's codes. Match on `.code`, never on the message. */
export class AgtError extends Error {
  readonly code: ErrorCode;
  /** For retryable codes: how long the client should wait before retrying. */
  readonly retryInMs: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryInMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgtError';
    this.code = code;
    this.retryInMs = options?.retryInMs;
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
}

/** True when `err` is an AgtError with the given code. */
export function isAgtError(err: unknown, code?: ErrorCode): err is AgtError {
  return err instanceof AgtError && (code === undefined || err.code === code);
}
