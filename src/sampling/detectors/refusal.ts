/**
 * Provider refusals as the retry_storm detector and the errors policy see them: the refusals of the one classifier
 * (src/conventions/provider-refusal.ts: 429, 503/529, other 5xx, and the error type names of rate limits, overload
 * and server errors), plus what a retry storm also counts: timeouts (HTTP 408, an error type naming a timeout) and a
 * failed span whose status message names a refusal (clients that set neither a status attribute nor an error type).
 */
import { refusalOfErrorType, refusalOfStatus } from '../../conventions/provider-refusal.js';
import type { NormalizedSpan } from '../../model/span.js';

const TIMEOUT_TYPE = /time.?out|timed.?out/i;
const REFUSAL_TEXT = /rate.?limit|too.?many.?requests|overload|throttl|timed?.?out|unavailable|capacity|\b(?:429|408|5\d\d)\b/i;

/** True for the HTTP statuses of a refusal: those of the classifier, and 408 (the provider timed the request out). */
export function isRefusalStatus(status: number): boolean {
  return status === 408 || refusalOfStatus(status) !== null;
}

/** True when the span records a refusal: a refusal status, an error type naming one or a timeout, or (failed spans) a message naming one. */
export function isRefusal(span: NormalizedSpan): boolean {
  const status = span.httpStatus;
  if (status !== undefined && status !== null) return isRefusalStatus(status);
  if (span.errorType !== null && (refusalOfErrorType(span.errorType) !== null || TIMEOUT_TYPE.test(span.errorType))) return true;
  return span.isError && span.statusMessage !== '' && REFUSAL_TEXT.test(span.statusMessage);
}
