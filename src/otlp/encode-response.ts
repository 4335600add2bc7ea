/** Export*ServiceResponse encoders (protobuf and OTLP/JSON) carrying partial_success; every signal shares the layout. */
import { lenField, varintField } from './proto-writer.js';

/** What a partial success reports: how many items (spans, log records) were refused and why. */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

const utf8 = new TextEncoder();

/**
 * Protobuf Export*ServiceResponse; the empty message when nothing was rejected and there is no message. Every
 * signal's partial success is { 1: rejected_<items> int64, 2: error_message string }, so one encoder serves all.
 */
export function encodeExportResponse(p: PartialSuccess): Uint8Array {
  if (p.rejected <= 0 && p.errorMessage === '') return new Uint8Array(0);
  // Zero values are omitted.
  const inner = [...varintField(1, p.rejected), ...(p.errorMessage === '' ? [] : lenField(2, utf8.encode(p.errorMessage)))];
  return Uint8Array.from(lenField(1, inner));
}

/** OTLP/JSON Export*ServiceResponse: `{}` or `{ partialSuccess: { <rejectedKey>: "3", errorMessage } }`. */
export function exportResponseJson(p: PartialSuccess, rejectedKey = 'rejectedSpans'): Record<string, unknown> {
  if (p.rejected <= 0 && p.errorMessage === '') return {};
  const partialSuccess: Record<string, unknown> = {};
  // proto3 JSON writes int64 as a decimal string.
  if (p.rejected > 0) partialSuccess[rejectedKey] = String(Math.floor(p.rejected));
  if (p.errorMessage !== '') partialSuccess.errorMessage = p.errorMessage;
  return { partialSuccess };
}
