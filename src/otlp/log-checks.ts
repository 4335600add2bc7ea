/** Record-level checks shared by the protobuf and JSON log decoders: a failed check rejects one record. */
import { SpanRejectError, type TimeWindowNs } from './span-checks.js';
import type { AttrValue, Attributes } from '../model/otlp-values.js';

/** Throws SpanRejectError when a set time lies outside the accepted window (0 means "not set" in OTLP). */
export function checkLogTimes(timeNs: bigint, observedNs: bigint, window: TimeWindowNs): void {
  for (const [what, t] of [['timeUnixNano', timeNs], ['observedTimeUnixNano', observedNs]] as const) {
    if (t !== 0n && (t < window.minNs || t > window.maxNs)) throw new SpanRejectError('timestamp', `${what} ${t} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
}

/** A span id without a trace id names nothing: refuse it rather than guess. */
export function checkLogIds(traceId: string, spanId: string): void {
  if (traceId === '' && spanId !== '') throw new SpanRejectError('trace_id', 'spanId is set but traceId is empty');
}

/** LogRecord.event_name when set, else the `event.name` attribute (SDKs before event_name existed). */
export function eventNameOf(eventName: string, attributes: Attributes): string {
  if (eventName !== '') return eventName;
  const a: AttrValue | undefined = attributes['event.name'];
  return typeof a === 'string' ? a : '';
}
