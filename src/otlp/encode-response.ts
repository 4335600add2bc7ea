/** ExportTraceServiceResponse encoders (protobuf and OTLP/JSON) carrying partial_success. */

/** What a partial success reports: how many spans were refused and why. */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

const utf8 = new TextEncoder();

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(value));
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Protobuf ExportTraceServiceResponse; the empty message when nothing was rejected and there is no message. */
export function encodeExportResponse(p: PartialSuccess): Uint8Array {
  if (p.rejectedSpans <= 0 && p.errorMessage === '') return new Uint8Array(0);
  const inner: number[] = [];
  // ExportTracePartialSuccess { 1: rejected_spans int64, 2: error_message string }; zero values are omitted.
  if (p.rejectedSpans > 0) inner.push(0x08, ...varintBytes(p.rejectedSpans));
  if (p.errorMessage !== '') {
    const msg = utf8.encode(p.errorMessage);
    inner.push(0x12, ...varintBytes(msg.length));
    for (const b of msg) inner.push(b);
  }
  return Uint8Array.from([0x0a, ...varintBytes(inner.length), ...inner]);
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
