/** ExportTraceServiceResponse encoders (protobuf and OTLP/JSON) carrying partial_success. */
import { lenField, varintField } from './proto-writer.js';

/** What a partial success reports: how many spans were refused and why. */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

const utf8 = new TextEncoder();


/** Protobuf ExportTraceServiceResponse; the empty message when nothing was rejected and there is no message. */
export function encodeExportResponse(p: PartialSuccess): Uint8Array {
  if (p.rejectedSpans <= 0 && p.errorMessage === '') return new Uint8Array(0);
  // ExportTracePartialSuccess { 1: rejected_spans int64, 2: error_message string }; zero values are omitted.
  const inner = [...varintField(1, p.rejectedSpans), ...(p.errorMessage === '' ? [] : lenField(2, utf8.encode(p.errorMessage)))];
  return Uint8Array.from(lenField(1, inner));
}

/** OTLP/JSON ExportTraceServiceResponse: `{}` or `{ partialSuccess: { rejectedSpans: "3", errorMessage } }`. */
export function exportResponseJson(p: PartialSuccess): Record<string, unknown> {
  if (p.rejectedSpans <= 0 && p.errorMessage === '') return {};
  const partialSuccess: Record<string, unknown> = {};
  // proto3 JSON writes int64 as a decimal string.
  if (p.rejectedSpans > 0) partialSuccess.rejectedSpans = String(Math.floor(p.rejectedSpans));
  if (p.errorMessage !== '') partialSuccess.errorMessage = p.errorMessage;
  return { partialSuccess };
}
