/** Evaluation of one attribute-rule condition against a value (compiled once per rule). */
import type { RuleCondition } from '../../config/sampling.js';
import type { NormalizedSpan } from '../../model/span.js';
import type { SessionSummary } from '../../model/session.js';
import { sessionTokens } from './cost-outlier.js';
import { sessionDurationMs } from './latency.js';

/** A looked-up value: scalars, lists (any element may match), or undefined when absent. */
export type LookupValue = string | number | boolean | null | undefined | readonly LookupValue[] | object;

/** A condition ready to test: the lookup and the value test. */
export interface CompiledCondition {
  source: RuleCondition['source'];
  test(value: LookupValue): boolean;
}

/** Span fields a `span` condition can name. */
export function spanField(span: NormalizedSpan, key: string): LookupValue {
  switch (key) {
    case 'name': return span.name;
    case 'serviceName': return span.serviceName;
    case 'scopeName': return span.scopeName;
    case 'kind': return span.kind;
    case 'statusCode': return span.statusCode;
    case 'operation': return span.genai.operation;
    case 'provider': return span.genai.provider;
    case 'model': return span.genai.responseModel ?? span.genai.requestModel;
    case 'agentName': return span.genai.agentName;
    case 'toolName': return span.genai.toolName;
    case 'isError': return span.isError;
    default: return undefined;
  }
}

/** Summary fields a `summary` condition can name (tokens and durationMs are derived). */
export function summaryField(summary: SessionSummary, key: string): LookupValue {
  switch (key) {
    case 'serviceNames': return summary.serviceNames;
    case 'agentNames': return summary.agentNames;
    case 'models': return summary.models;
    case 'providers': return summary.providers;
    case 'userId': return summary.userId;
    case 'spanCount': return summary.spanCount;
    case 'errorCount': return summary.errorCount;
    case 'costUsd': return summary.costUsd;
    case 'tokens': return sessionTokens(summary);
    case 'durationMs': return sessionDurationMs(summary);
    case 'toolPath': return summary.toolPath;
    case 'unpricedCalls': return summary.unpricedCalls;
    case 'minEvalScore': return summary.minEvalScore;
    case 'bytes': return summary.bytes;
    case 'explicitSession': return summary.explicitSession;
    case 'tenantId': return summary.tenantId;
    case 'sessionId': return summary.sessionId;
    default: return undefined;
  }
}

function asNumber(v: LookupValue): number | null {
  if (typeof v === 'number') return v;
  // int64 attributes beyond 2^53 arrive as decimal strings.
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function scalarEquals(v: LookupValue, e: string | number | boolean): boolean {
  if (typeof v === typeof e) return v === e;
  if (typeof e === 'number' && typeof v === 'string') return asNumber(v) === e;
  if (typeof e === 'string' && typeof v === 'number') return String(v) === e;
  return false;
}

/** Compiles a condition: its regex once, and a test that applies every operator given. */
export function compileCondition(c: RuleCondition): CompiledCondition {
  const regex = c.regex === undefined ? null : new RegExp(c.regex);
  const hasValueOps = c.equals !== undefined || c.in !== undefined || regex !== null ||
    c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined;

  const scalarTest = (v: LookupValue): boolean => {
    if (c.equals !== undefined && !scalarEquals(v, c.equals)) return false;
    if (c.in !== undefined && !c.in.some((e) => scalarEquals(v, e))) return false;
    if (regex !== null && !(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') ) return false;
    if (regex !== null && !regex.test(String(v))) return false;
    if (c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined) {
      const n = asNumber(v);
      if (n === null) return false;
      if (c.gt !== undefined && !(n > c.gt)) return false;
      if (c.gte !== undefined && !(n >= c.gte)) return false;
      if (c.lt !== undefined && !(n < c.lt)) return false;
      if (c.lte !== undefined && !(n <= c.lte)) return false;
    }
    return true;
  };

  return {
    source: c.source,
    test(value: LookupValue): boolean {
      const present = value !== undefined && value !== null;
      if (c.exists !== undefined && c.exists !== present) return false;
      if (!hasValueOps) return true;
      if (!present) return false;
      // A list matches when any element does (e.g. summary.models, array attributes).
      if (Array.isArray(value)) return value.some((el: LookupValue) => el !== null && el !== undefined && scalarTest(el));
      return scalarTest(value);
    },
  };
}
