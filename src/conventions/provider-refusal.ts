/**
 * Provider refusals: a model call (or its HTTP child) the provider turned away because of load — rate limits (429,
 * Bedrock ThrottlingException, Vertex RESOURCE_EXHAUSTED), overload (Anthropic 529 `overloaded_error`, 503) or a
 * server error (other 5xx). Client errors (400, 401, 404 ...) are not refusals. Matched on status codes and error
 * type names only, never on message text. Also reads `retry-after` when the client captured it.
 */
import type { Attributes, OtlpEvent } from '../model/otlp-values.js';
import { ALIASES } from './aliases.js';
import { readNumber, readString, toNumber } from './read-attr.js';
import { EXCEPTION_TYPE } from './span-errors.js';
import type { RefusalKind } from '../model/span.js';


/** Captured `retry-after` headers: semconv captured response headers (string arrays) and flat variants. Seconds. */
export const RETRY_AFTER_SECONDS_ATTRIBUTES: readonly string[] = ['http.response.header.retry-after', 'retry_after', 'gen_ai.response.retry_after'];
/** `retry-after-ms` (OpenAI and Anthropic send it beside retry-after). Milliseconds. */
export const RETRY_AFTER_MS_ATTRIBUTES: readonly string[] = ['http.response.header.retry-after-ms', 'retry_after_ms'];

/** Error type names (lowercased, non-alphanumerics removed) per refusal kind. */
const ERROR_TYPES: Record<string, RefusalKind> = {
  '429': 'rate_limited',
  ratelimiterror: 'rate_limited',
  ratelimitexceeded: 'rate_limited',
  ratelimitexceedederror: 'rate_limited',
  toomanyrequests: 'rate_limited',
  toomanyrequestserror: 'rate_limited',
  throttlingexception: 'rate_limited',
  servicequotaexceededexception: 'rate_limited',
  resourceexhausted: 'rate_limited',
  insufficientquota: 'rate_limited',
  '529': 'overloaded',
  '503': 'overloaded',
  overloaded: 'overloaded',
  overloadederror: 'overloaded',
  serviceunavailable: 'overloaded',
  serviceunavailableerror: 'overloaded',
  serviceunavailableexception: 'overloaded',
  modelnotreadyexception: 'overloaded',
  unavailable: 'overloaded',
  internalservererror: 'server_error',
  internalserverexception: 'server_error',
  modelerrorexception: 'server_error',
  badgateway: 'server_error',
  gatewaytimeout: 'server_error',
};

/** The refusal kind of an HTTP status code, or null for anything else. */
export function refusalOfStatus(status: number): RefusalKind | null {
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500 && status <= 599) return 'server_error';
  return null;
}

/** Names matched as suffixes of a dotted or prefixed error type (longer than 3 characters, so not bare codes). */
const SUFFIXES: readonly (readonly [string, RefusalKind])[] = Object.entries(ERROR_TYPES).filter(([name]) => name.length > 3);

/** Answers per error type: error types repeat across spans (a few per SDK), so each is matched once; bounded. */
const byErrorType = new Map<string, RefusalKind | null>();
const MAX_REMEMBERED_TYPES = 1_000;

/** The refusal kind named by an error type (`RateLimitError`, `overloaded_error`, `ThrottlingException`, `429`), or null. */
export function refusalOfErrorType(errorType: string): RefusalKind | null {
  let kind = byErrorType.get(errorType);
  if (kind === undefined) {
    kind = matchErrorType(errorType);
    if (byErrorType.size >= MAX_REMEMBERED_TYPES) byErrorType.clear();
    byErrorType.set(errorType, kind);
  }
  return kind;
}

function matchErrorType(errorType: string): RefusalKind | null {
  const key = errorType.toLowerCase().replace(/[^a-z0-9]/g, '');
  const direct = ERROR_TYPES[key];
  if (direct !== undefined) return direct;
  if (/^5\d\d$/.test(key)) return 'server_error';
  // Dotted or prefixed names: openai.RateLimitError, anthropic.OverloadedError, botocore ThrottlingException.
  for (const [name, kind] of SUFFIXES) if (key.endsWith(name)) return kind;
  return null;
}

/** A call's refusal, when it was one, and the retry-after the provider sent (ms), when captured. */
export interface Refusal {
  kind: RefusalKind | null;
  httpStatus: number | null;
  retryAfterMs: number | null;
}

/** Classifies a span from its HTTP status, error.type and exception events. */
export function classifyRefusal(attrs: Attributes, errorType: string | null, events: readonly OtlpEvent[]): Refusal {
  const httpStatus = readNumber(attrs, ALIASES.httpStatus);
  let kind = httpStatus === null ? null : refusalOfStatus(httpStatus);
  if (kind === null && errorType !== null) kind = refusalOfErrorType(errorType);
  if (kind === null) {
    // Indexed: a for-of over the shared frozen empty list allocates an iterator per span.
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.name !== 'exception') continue;
      const t = readString(e.attributes, EXCEPTION_TYPE);
      if (t !== null) kind = refusalOfErrorType(t);
      if (kind !== null) break;
    }
  }
  return { kind, httpStatus, retryAfterMs: kind === null ? null : retryAfterMs(attrs) };
}

/** retry-after in ms: `retry-after-ms` first (finer), else `retry-after` seconds. HTTP-date values are ignored. */
export function retryAfterMs(attrs: Attributes): number | null {
  const ms = firstNumber(attrs, RETRY_AFTER_MS_ATTRIBUTES);
  if (ms !== null && ms >= 0) return Math.round(ms);
  const s = firstNumber(attrs, RETRY_AFTER_SECONDS_ATTRIBUTES);
  return s !== null && s >= 0 ? Math.round(s * 1000) : null;
}

/** Captured headers are string arrays in semconv (`http.response.header.<name>`); flat values count too. */
function firstNumber(attrs: Attributes, names: readonly string[]): number | null {
  for (const name of names) {
    const v = attrs[name];
    const n = Array.isArray(v) ? toNumber(v[0]) : toNumber(v);
    if (n !== null) return n;
  }
  return null;
}
