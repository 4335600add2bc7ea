/**
 * Redaction of OTLP/JSON Export requests (traces, logs and metrics): parsed, walked where attributes, status messages and
 * log bodies live (both the lowerCamelCase and the proto field names the decoder accepts), and serialized again
 * only when something changed. JSON.parse is what the decoder uses too, so numbers read back the same.
 */
import { AgtError } from '../model/errors.js';
import type { KeyPlan } from './rule-set.js';
import type { RedactionPass } from './redaction-pass.js';

type Json = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** AnyValue nesting beyond this is refused (the decoder's own limit is far lower). */
const MAX_DEPTH = 100;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Each of obj[camel], obj[snake] that is present (the decoder reads one; both reach the log). */
function both(obj: Json, camel: string, snake: string): unknown[] {
  const out: unknown[] = [];
  if (obj[camel] !== undefined) out.push(obj[camel]);
  if (snake !== camel && obj[snake] !== undefined) out.push(obj[snake]);
  return out;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Which envelope a signal's JSON uses. */
export interface JsonSignal {
  resource: [string, string];
  scope: [string, string];
  items: [string, string];
  /** Redacts one item in place. */
  item(pass: RedactionPass, item: Json): void;
}

/** Spans: attributes, events[].attributes, links[].attributes, status.message. */
export const JSON_TRACES: JsonSignal = {
  resource: ['resourceSpans', 'resource_spans'],
  scope: ['scopeSpans', 'scope_spans'],
  items: ['spans', 'spans'],
  item(pass, span) {
    attributes(pass, span);
    for (const events of both(span, 'events', 'events')) for (const ev of list(events)) if (isObject(ev)) attributes(pass, ev);
    for (const links of both(span, 'links', 'links')) for (const l of list(links)) if (isObject(l)) attributes(pass, l);
    const status = span['status'];
    if (isObject(status) && typeof status['message'] === 'string') status['message'] = pass.text(status['message'], pass.rules.textPlan);
  },
};

/** Log records: body, attributes. */
export const JSON_LOGS: JsonSignal = {
  resource: ['resourceLogs', 'resource_logs'],
  scope: ['scopeLogs', 'scope_logs'],
  items: ['logRecords', 'log_records'],
  item(pass, record) {
    if (isObject(record['body'])) anyValue(pass, record['body'], pass.rules.textPlan, 1);
    attributes(pass, record);
  },
};

/** The data kinds of a metric, by their JSON names. */
const METRIC_KINDS: readonly [string, string][] = [['gauge', 'gauge'], ['sum', 'sum'], ['histogram', 'histogram'], ['exponentialHistogram', 'exponential_histogram'], ['summary', 'summary']];

/** Metrics: metadata, data points' attributes, exemplars' filtered attributes (names, units and numbers as sent). */
export const JSON_METRICS: JsonSignal = {
  resource: ['resourceMetrics', 'resource_metrics'],
  scope: ['scopeMetrics', 'scope_metrics'],
  items: ['metrics', 'metrics'],
  item(pass, metric) {
    if (Array.isArray(metric['metadata'])) metric['metadata'] = keyValues(pass, metric['metadata'], null, 0);
    for (const [camel, snake] of METRIC_KINDS) {
      for (const data of both(metric, camel, snake)) {
        if (!isObject(data)) continue;
        for (const points of both(data, 'dataPoints', 'data_points')) {
          for (const dp of list(points)) {
            if (!isObject(dp)) continue;
            attributes(pass, dp);
            for (const exemplars of both(dp, 'exemplars', 'exemplars')) {
              for (const ex of list(exemplars)) {
                if (!isObject(ex)) continue;
                for (const key of ['filteredAttributes', 'filtered_attributes']) if (Array.isArray(ex[key])) ex[key] = keyValues(pass, ex[key], null, 0);
              }
            }
          }
        }
      }
    }
  },
};

/**
 * Rewrites a JSON request; null when nothing changed. `passFor` picks the pass of a resource's tenant (its
 * `tenant.id` claim, if any).
 */
export function rewriteJson(body: Uint8Array, signal: JsonSignal, passFor: (tenantClaim: string | null) => RedactionPass): Uint8Array | null {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `request could not be read for redaction: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(doc)) return null;
  let changed = false;
  for (const resources of both(doc, ...signal.resource)) {
    for (const rs of list(resources)) {
      if (!isObject(rs)) continue;
      const pass = passFor(tenantClaim(rs['resource']));
      if (pass.rules.empty) continue;
      const before = pass.total;
      for (const scopes of both(rs, ...signal.scope)) {
        for (const ss of list(scopes)) {
          if (!isObject(ss)) continue;
          for (const items of both(ss, ...signal.items)) for (const item of list(items)) if (isObject(item)) signal.item(pass, item);
        }
      }
      if (pass.total !== before) changed = true;
    }
  }
  return changed ? Buffer.from(JSON.stringify(doc), 'utf8') : null;
}

function tenantClaim(resource: unknown): string | null {
  if (!isObject(resource)) return null;
  let claim: string | null = null;
  for (const kv of list(resource['attributes'])) {
    if (!isObject(kv) || kv['key'] !== 'tenant.id' || !isObject(kv['value'])) continue;
    const v = kv['value']['stringValue'] ?? kv['value']['string_value'];
    if (typeof v === 'string') claim = v;
  }
  return claim;
}

/** obj.attributes: a KeyValue list, redacted in place (dropped entries removed). */
function attributes(pass: RedactionPass, obj: Json): void {
  const attrs = obj['attributes'];
  if (Array.isArray(attrs)) obj['attributes'] = keyValues(pass, attrs, null, 0);
}

function keyValues(pass: RedactionPass, kvs: unknown[], parent: KeyPlan | null, depth: number): unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const key = isObject(kv) && typeof kv['key'] === 'string' ? kv['key'] : null;
    const plan = key === null ? null : parent === null ? pass.rules.plan(key) : pass.rules.fieldPlan(parent, key);
    if (plan !== null && plan.drop !== null) {
      pass.count(plan.drop);
      out ??= kvs.slice(0, i);
      continue;
    }
    if (out !== null) out.push(kv);
    if (plan === null || plan.skip || !isObject(kv) || !isObject(kv['value'])) continue;
    if (plan.hash !== null) {
      kv['value'] = { stringValue: pass.token(valueText(kv['value']), plan.hash) };
      continue;
    }
    anyValue(pass, kv['value'], plan, depth + 1);
  }
  return out ?? kvs;
}

/** A JSON AnyValue's text for hashing: scalars as hashText gives them for protobuf, so both encodings hash alike. */
function valueText(v: Json): string {
  for (const k of ['stringValue', 'string_value', 'boolValue', 'bool_value', 'intValue', 'int_value', 'doubleValue', 'double_value']) {
    const x = v[k];
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return String(x);
  }
  return JSON.stringify(v);
}

/** Redacts a JSON AnyValue in place. */
function anyValue(pass: RedactionPass, v: Json, plan: KeyPlan, depth: number): void {
  if (depth > MAX_DEPTH) throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `AnyValue nested deeper than ${MAX_DEPTH}`);
  for (const k of ['stringValue', 'string_value']) {
    const s = v[k];
    if (typeof s === 'string') v[k] = pass.text(s, plan);
  }
  for (const arr of both(v, 'arrayValue', 'array_value')) {
    if (!isObject(arr)) continue;
    for (const item of list(arr['values'])) if (isObject(item)) anyValue(pass, item, plan, depth + 1);
  }
  for (const kvl of both(v, 'kvlistValue', 'kvlist_value')) {
    if (isObject(kvl) && Array.isArray(kvl['values'])) kvl['values'] = keyValues(pass, kvl['values'], plan, depth + 1);
  }
}
