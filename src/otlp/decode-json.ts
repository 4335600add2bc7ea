/**
 * Decoder for OTLP/JSON ExportTraceServiceRequest bodies (lowerCamelCase or snake_case keys, hex ids,
 * int64 as strings or numbers, enums as numbers or names, bytes as base64).
 */
import { AgtError } from '../errors.js';
import type { DecodedExport, DecodeLimits, OtlpResource, OtlpScope, OtlpSpan, SpanRejection } from './types.js';
import { SpanRejectError, timeWindowNs, type SpanProblem } from './span-checks.js';
import { field, isObject, readAttributes, readString, readUint, type JsonState } from './json-values.js';
import { jsonErrorPosition } from './json-error-position.js';
import { readJsonSpan, type JsonSpanContext } from './json-span.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(message: string, cause?: unknown): never {
  throw new AgtError('AGT_ERR_MALFORMED_REQUEST', message, cause === undefined ? undefined : { cause });
}

function parseBody(body: string | Uint8Array): unknown {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    try {
      text = utf8.decode(body);
    } catch (err) {
      return malformed('request body is not valid UTF-8', err);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return malformed(`invalid JSON at position ${jsonErrorPosition(text)}: ${msg}`, err);
  }
}

function arrayAt(obj: Record<string, unknown>, camel: string, snake: string, where: string): unknown[] {
  const v = field(obj, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) malformed(`${where} must be an array`);
  return v;
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest; throws AgtError (malformed / limit) for request-level problems only. */
export function decodeExportRequestJson(body: string | Uint8Array, limits: DecodeLimits, nowMs: number = Date.now()): DecodedExport {
  try {
    return decodeJson(body, limits, nowMs);
  } catch (err) {
    if (err instanceof AgtError) throw err;
    // Only a decoder bug gets here; still answer with the request-level code rather than crash.
    return malformed(`undecodable OTLP/JSON request: ${String(err)}`, err);
  }
}

function decodeJson(body: string | Uint8Array, limits: DecodeLimits, nowMs: number): DecodedExport {
  const root = parseBody(body);
  if (!isObject(root)) malformed('request body must be a JSON object');
  const st: JsonState = {
    maxAttributesPerSpan: limits.maxAttributesPerSpan,
    maxAnyValueDepth: limits.maxAnyValueDepth,
    maxStringBytes: limits.maxStringBytes,
    truncatedStrings: 0,
  };
  const window = timeWindowNs(limits, nowMs);
  const spans: OtlpSpan[] = [];
  const rejected: SpanRejection[] = [];
  let spanCount = 0;
  const resourceSpans = arrayAt(root, 'resourceSpans', 'resource_spans', 'resourceSpans');
  for (let i = 0; i < resourceSpans.length; i++) {
    const rsPath = `resourceSpans[${i}]`;
    const rs = resourceSpans[i];
    if (!isObject(rs)) malformed(`${rsPath} must be an object`);
    let problem: SpanProblem | null = null;
    let resource: OtlpResource = { attributes: {}, droppedAttributesCount: 0 };
    try {
      resource = readResource(st, rs.resource);
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `resource: ${err.message}` };
    }
    const scopeSpans = arrayAt(rs, 'scopeSpans', 'scope_spans', `${rsPath}.scopeSpans`);
    for (let j = 0; j < scopeSpans.length; j++) {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      const ss = scopeSpans[j];
      if (!isObject(ss)) malformed(`${ssPath} must be an object`);
      let scopeProblem = problem;
      let scope: OtlpScope = { name: '', version: '', attributes: {} };
      if (scopeProblem === null) {
        try {
          scope = readScope(st, ss.scope);
        } catch (err) {
          if (!(err instanceof SpanRejectError)) throw err;
          scopeProblem = { kind: err.kind, reason: `scope: ${err.message}` };
        }
      }
      const list = arrayAt(ss, 'spans', 'spans', `${ssPath}.spans`);
      spanCount += list.length;
      if (spanCount > limits.maxSpansPerRequest) {
        throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `request has more than maxSpansPerRequest ${limits.maxSpansPerRequest} spans`);
      }
      const ctx: JsonSpanContext = { st, maxEventsPerSpan: limits.maxEventsPerSpan, window, resource, scope };
      for (let k = 0; k < list.length; k++) {
        const path = `${ssPath}.spans[${k}]`;
        if (scopeProblem !== null) {
          rejected.push({ path, ...scopeProblem });
          continue;
        }
        try {
          spans.push(readJsonSpan(list[k], ctx));
        } catch (err) {
          if (!(err instanceof SpanRejectError)) throw err;
          rejected.push({ path, kind: err.kind, reason: err.message });
        }
      }
    }
  }
  const out: DecodedExport = { spans, rejected };
  if (st.truncatedStrings > 0) out.truncatedStrings = st.truncatedStrings;
  return out;
}

function readResource(st: JsonState, v: unknown): OtlpResource {
  if (v === undefined || v === null) return { attributes: {}, droppedAttributesCount: 0 };
  if (!isObject(v)) throw new SpanRejectError('malformed', 'resource must be an object');
  return {
    attributes: readAttributes(st, v.attributes, 'resource'),
    droppedAttributesCount: readUint(field(v, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
  };
}

function readScope(st: JsonState, v: unknown): OtlpScope {
  if (v === undefined || v === null) return { name: '', version: '', attributes: {} };
  if (!isObject(v)) throw new SpanRejectError('malformed', 'scope must be an object');
  return {
    name: readString(st, v.name, 'scope name'),
    version: readString(st, v.version, 'scope version'),
    attributes: readAttributes(st, v.attributes, 'scope'),
  };
}
