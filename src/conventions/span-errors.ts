/** Error signals of a span: status error, `error.type`, an `exception` event, a failed tool call. */
import type { OtlpEvent } from '../model/otlp-values.js';
import type { OtlpSpan } from '../otlp/types.js';
import { ALIASES } from './aliases.js';
import { readString } from './read-attr.js';

/** The exception event's type, as a list read like ALIASES (a constant: an array literal in a call is one per span). */
export const EXCEPTION_TYPE = ['exception.type'] as const;

/** Whether the span failed, and the error type when one is named. */
export function extractError(span: OtlpSpan, isTool: boolean): { isError: boolean; errorType: string | null } {
  const attrType = readString(span.attributes, ALIASES.errorType);
  let exception: OtlpEvent | undefined;
  // Indexed: a for-of over the shared frozen empty list allocates an iterator on every call.
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.name === 'exception') {
      exception = events[i];
      break;
    }
  }
  const exceptionType = exception === undefined ? null : readString(exception.attributes, EXCEPTION_TYPE);
  // A tool reporting failure through an attribute rather than the status still failed the call.
  const toolFailed = isTool && (span.attributes['tool.error'] !== undefined || span.attributes['gen_ai.tool.call.error'] !== undefined);
  // Langfuse marks failed observations by level rather than status.
  const langfuseError = span.attributes['langfuse.observation.level'] === 'ERROR';
  const isError = span.status.code === 2 || attrType !== null || exception !== undefined || toolFailed || langfuseError;
  return { isError, errorType: attrType ?? exceptionType };
}
