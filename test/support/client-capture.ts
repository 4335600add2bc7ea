/**
 * A tiny local OTLP/HTTP endpoint that records what real exporters send, and helpers to turn the recorded
 * OTLP/JSON requests into fixtures and back into requests the receivers accept.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';

/** An OTLP/JSON ExportTraceServiceRequest, kept loose: the fixtures are what the exporters sent, verbatim. */
export interface OtlpJsonRequest {
  resourceSpans: OtlpJsonResourceSpans[];
}

interface OtlpJsonResourceSpans {
  resource?: unknown;
  scopeSpans?: { scope?: unknown; spans?: OtlpJsonSpan[] }[];
}

interface OtlpJsonSpan {
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  events?: { timeUnixNano?: string | number }[];
  [k: string]: unknown;
}

/** One request as it arrived. */
export interface CapturedRequest {
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: OtlpJsonRequest;
}

/** A running capture endpoint. */
export interface OtlpCapture {
  /** http://127.0.0.1:port (append /v1/traces or a client's own path). */
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

/** Starts the capture endpoint on a free port; it answers every POST with an empty OTLP/JSON success. */
export async function startOtlpCapture(): Promise<OtlpCapture> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.includes('json')) {
        // Only OTLP/JSON is captured: a protobuf body would need the decoder under test to read.
        res.statusCode = 415;
        res.end();
        return;
      }
      requests.push({ path: req.url ?? '', contentType, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJsonRequest });
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Concatenates the resourceSpans of several requests into one request (valid OTLP: one entry per resource+batch). */
export function mergeRequests(requests: readonly CapturedRequest[]): OtlpJsonRequest {
  return { resourceSpans: requests.flatMap((r) => r.body.resourceSpans) };
}

function spansOf(doc: OtlpJsonRequest): OtlpJsonSpan[] {
  return doc.resourceSpans.flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
}

/**
 * A deep copy of `doc` with every span and event time shifted so the latest span end is `nowMs`.
 * Durations and ordering are kept; the receivers refuse spans older than `limits.maxPastMs`, and a
 * fixture captured once must replay the same way every day.
 */
export function rebaseOtlpJsonTimes(doc: OtlpJsonRequest, nowMs: number): OtlpJsonRequest {
  const copy = structuredClone(doc);
  const spans = spansOf(copy);
  let latest = 0n;
  for (const s of spans) {
    const end = BigInt(s.endTimeUnixNano ?? 0);
    if (end > latest) latest = end;
  }
  const shiftNs = BigInt(Math.floor(nowMs)) * 1_000_000n - latest;
  const shift = (v: string | number | undefined): string => (BigInt(v ?? 0) + shiftNs).toString();
  for (const s of spans) {
    s.startTimeUnixNano = shift(s.startTimeUnixNano);
    s.endTimeUnixNano = shift(s.endTimeUnixNano);
    for (const e of s.events ?? []) e.timeUnixNano = shift(e.timeUnixNano);
  }
  return copy;
}

/** Number of spans in an OTLP/JSON request. */
export function countSpans(doc: OtlpJsonRequest): number {
  return spansOf(doc).length;
}
