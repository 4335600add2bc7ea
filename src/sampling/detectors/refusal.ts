/**
 * Provider refusals: a model call (or the HTTP request under it) the provider turned away — HTTP 429, 408 or 5xx, or
 * an error type / message naming a rate limit, overload or timeout. (src/conventions/provider-refusal.ts of the
 * provider-health work classifies the same; the two are to be one.)
 */
import type { NormalizedSpan } from '../../conventions/types.js';

const REFUSAL_TEXT = /rate.?limit|too.?many.?requests|overload|throttl|timed?.?out|unavailable|capacity|\b(?:429|408|5\d\d)\b/i;

/** True for the HTTP statuses of a refusal: 429 (rate limited), 408 (timeout), 5xx (provider failure / overload). */
export function isRefusalStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** True when the span records a refusal: a refusal status, or a failure whose type or message names one. */
export function isRefusal(span: NormalizedSpan): boolean {
  const status = span.httpStatus;
  if (status !== undefined && status !== null) return isRefusalStatus(status);
  if (span.errorType !== null && REFUSAL_TEXT.test(span.errorType)) return true;
  return span.isError && span.statusMessage !== '' && REFUSAL_TEXT.test(span.statusMessage);
}
