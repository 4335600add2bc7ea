/**
 * The OTLP/JSON envelope every export request shares (`resourceSpans` / `resourceLogs` → `scopeSpans` / `scopeLogs`
 * → items), walked with a per-signal item reader so traces and logs apply the same limits and rejections.
 */
import { AgtError } from '../model/errors.js';
import type { DecodeLimits, SpanRejection } from './types.js';
import type { OtlpResource, OtlpScope } from '../model/otlp-values.js';
import { SpanRejectError, timeWindowNs, type SpanProblem, type TimeWindowNs } from './span-checks.js';
import { field, isObject, readAttributes, readString, readUint, type JsonState } from './json-values.js';
import { jsonErrorPosition } from './json-error-position.js';
import type { DecodedItems, EnvelopeNames, UnknownFields } from './proto-envelope.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a JSON item reader gets. */
export interface JsonItemContext {
  st: JsonState;
  limits: DecodeLimits;
  window: TimeWindowNs;
  resource: OtlpResource;
  scope: OtlpScope;
}

/** snake_case JSON keys of a signal's envelope lists; the camelCase ones are EnvelopeNames' resourceKey, scopeKey, itemKey. */
export interface JsonEnvelopeKeys {
  resource: string;
  scope: string;
  items: string;
}

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

/** Walks an OTLP/JSON export request; throws AgtError (malformed / limit) for request-level problems only. */
export function walkJsonRequest<T>(
  body: string | Uint8Array,
  limits: DecodeLimits,
  nowMs: number,
  names: EnvelopeNames,
  keys: JsonEnvelopeKeys,
  read: (v: unknown, ctx: JsonItemContext) => T,
): DecodedItems<T> {
  try {
    return walk(body, limits, nowMs, names, keys, read);
  } catch (err) {
    if (err instanceof AgtError) throw err;
    // Only a decoder bug gets here; still answer with the request-level code rather than crash.
    return malformed(`undecodable OTLP/JSON request: ${String(err)}`, err);
  }
}

function walk<T>(body: string | Uint8Array, limits: DecodeLimits, nowMs: number, names: EnvelopeNames, keys: JsonEnvelopeKeys, read: (v: unknown, ctx: JsonItemContext) => T): DecodedItems<T> {
  const root = parseBody(body);
  if (!isObject(root)) malformed('request body must be a JSON object');
  const st: JsonState = { maxAttributesPerSpan: limits.maxAttributesPerSpan, maxAnyValueDepth: limits.maxAnyValueDepth, maxStringBytes: limits.maxStringBytes, truncatedStrings: 0 };
  const window = timeWindowNs(limits, nowMs);
  const items: T[] = [];
  const rejected: SpanRejection[] = [];
  let count = 0;
  const groups = arrayAt(root, names.resourceKey, keys.resource, names.resourceKey);
  const unknownFields = onlyUnknownFields(root, names, keys);
  for (let i = 0; i < groups.length; i++) {
    const rsPath = `${names.resourceKey}[${i}]`;
    const rs = groups[i];
    if (!isObject(rs)) malformed(`${rsPath} must be an object`);
    let problem: SpanProblem | null = null;
    let resource: OtlpResource = { attributes: {}, droppedAttributesCount: 0 };
    try {
      resource = readResource(st, rs.resource);
      const url = readString(st, field(rs, 'schemaUrl', 'schema_url'), 'schemaUrl');
      if (url !== '') resource.schemaUrl = url;
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `resource: ${err.message}` };
    }
    const scopes = arrayAt(rs, names.scopeKey, keys.scope, `${rsPath}.${names.scopeKey}`);
    for (let j = 0; j < scopes.length; j++) {
      const ssPath = `${rsPath}.${names.scopeKey}[${j}]`;
      const ss = scopes[j];
      if (!isObject(ss)) malformed(`${ssPath} must be an object`);
      let scopeProblem = problem;
      let scope: OtlpScope = { name: '', version: '', attributes: {} };
      if (scopeProblem === null) {
        try {
          scope = readScope(st, ss.scope);
          const url = readString(st, field(ss, 'schemaUrl', 'schema_url'), 'schemaUrl');
          if (url !== '') scope.schemaUrl = url;
        } catch (err) {
          if (!(err instanceof SpanRejectError)) throw err;
          scopeProblem = { kind: err.kind, reason: `scope: ${err.message}` };
        }
      }
      const list = arrayAt(ss, names.itemKey, keys.items, `${ssPath}.${names.itemKey}`);
      count += list.length;
      if (count > limits.maxSpansPerRequest) {
        throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `request has more than maxSpansPerRequest ${limits.maxSpansPerRequest} ${names.itemNoun}`);
      }
      const ctx: JsonItemContext = { st, limits, window, resource, scope };
      for (let k = 0; k < list.length; k++) {
        // The item's path is built only for a rejection (it was a string per item).
        if (scopeProblem !== null) {
          rejected.push({ path: `${ssPath}.${names.itemKey}[${k}]`, ...scopeProblem });
          continue;
        }
        try {
          items.push(read(list[k], ctx));
        } catch (err) {
          if (!(err instanceof SpanRejectError)) throw err;
          rejected.push({ path: `${ssPath}.${names.itemKey}[${k}]`, kind: err.kind, reason: err.message });
        }
      }
    }
  }
  const out: DecodedItems<T> = { items, rejected, truncatedStrings: st.truncatedStrings };
  if (unknownFields !== null) out.unknownFields = unknownFields;
  return out;
}

/** The body's top-level fields when none of them is the envelope's resource list (and there are some), else null. */
function onlyUnknownFields(root: Record<string, unknown>, names: EnvelopeNames, keys: JsonEnvelopeKeys): UnknownFields | null {
  const fields = Object.keys(root);
  if (fields.length === 0 || fields.includes(names.resourceKey) || fields.includes(keys.resource)) return null;
  const shown = fields.slice(0, 5).map((f) => JSON.stringify(f.slice(0, 64)));
  if (fields.length > shown.length) shown.push(`… ${fields.length - shown.length} more`);
  const message = `the request held no ${names.itemNoun}: unknown top-level field${fields.length > 1 ? 's' : ''} ${shown.join(', ')} ignored; ${names.request} in OTLP/JSON has "${names.resourceKey}"`;
  return { fields, message };
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
