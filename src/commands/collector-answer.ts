/** A read-API error answer as the CLI reports it: the collector's own code, its URL and its message. */
import { AgtError, ERRORS, type ErrorCode } from '../model/errors.js';

/** AgtError with the answer's `errorCode` (AGT_ERR_STORE when it names none) and a message naming the collector. */
export function collectorAnswerError(url: string, status: number, body: { errorCode?: string; message?: string }): AgtError {
  const code: ErrorCode = body.errorCode !== undefined && body.errorCode in ERRORS ? (body.errorCode as ErrorCode) : 'AGT_ERR_STORE';
  return new AgtError(code, `the collector at ${url} answered ${status}: ${body.message ?? ''}`);
}
