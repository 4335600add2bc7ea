/** Which ClickHouse failures are worth retrying, decided by error code, never by message text. */

/** Retry policy of inserts (exponential backoff on retryable errors only); `store.retry` in the config. */
export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Attempts per batch, first included; then the batch is dropped and counted (unbounded while the log keeps the data). */
  maxAttempts: number;
}

/**
 * ClickHouse server error codes that describe a transient state: timeouts, overload, network,
 * replicas/keeper unavailable, an insert of unknown outcome (safe to retry: dedup tokens).
 */
export const RETRYABLE_CLICKHOUSE_CODES: ReadonlySet<string> = new Set([
  '3', // UNEXPECTED_END_OF_FILE
  '159', // TIMEOUT_EXCEEDED
  '160', // TOO_SLOW
  '164', // READONLY (server in read-only mode, e.g. disk full, keeper lost)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '373', // SESSION_IS_LOCKED
  '394', // QUERY_WAS_CANCELLED
  '425', // SYSTEM_ERROR
  '439', // CANNOT_SCHEDULE_TASK
  '999', // KEEPER_EXCEPTION
  '1000', // POCO_EXCEPTION
]);

/** Node socket error codes: the request may or may not have arrived, so retry (dedup makes it safe). */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** The error code carried by a failure: ClickHouseError.code (numeric string) or a Node errno code. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (typeof code === 'number') return String(code);
  return undefined;
}

/**
 * Whether an insert failure may be retried. A ClickHouse error (numeric code) is retried only when
 * its code is in the table; a network error when its errno is; an error without a code (client-side
 * timeout, aborted socket) is a transport failure and is retried.
 */
export function isRetryable(err: unknown): boolean {
  const code = errorCode(err);
  if (code === undefined) return true;
  if (/^\d+$/.test(code)) return RETRYABLE_CLICKHOUSE_CODES.has(code);
  return RETRYABLE_NETWORK_CODES.has(code);
}

/** Backoff before retry `attempt` (1-based): initial × 2^(attempt-1), capped, with ±20 % jitter. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
