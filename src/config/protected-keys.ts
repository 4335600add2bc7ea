/**
 * Attributes redaction never touches: what usage, cost, ids, session keys, tenants, the conventions, sampling rules
 * and detectors read. Changing one would change a count, a cost, a session or a decision, so a rule naming one is
 * refused at config load, and patterns skip their values. docs/redaction.md lists them.
 */
import { ALIASES, SESSION_ALIASES } from '../conventions/aliases.js';
import { ADDRESS_ATTRIBUTES, COMPLETION_START_ATTRIBUTE, PORT_ATTRIBUTES, TTFT_ATTRIBUTES, URL_ATTRIBUTES } from '../conventions/provider-call.js';
import { RETRY_AFTER_MS_ATTRIBUTES, RETRY_AFTER_SECONDS_ATTRIBUTES } from '../conventions/provider-refusal.js';
import { REGION_ATTRIBUTES } from '../conventions/region-table.js';

/** Keys read outside the alias table (conventions, evals, provider calls, the error policy, tenancy). */
const READ_ELSEWHERE: readonly string[] = [
  'tenant.id',
  'service.name',
  'exception.type',
  'tool.error',
  'gen_ai.tool.call.error',
  'gen_ai.evaluation.name',
  'gen_ai.evaluation.score.value',
  'gen_ai.evaluation.score.label',
  'gen_ai.evaluation.explanation',
  'gen_ai.response.time_to_first_chunk',
  'gen_ai.client.operation.time_to_first_chunk',
  'gen_ai.response.retry_after',
  'gen_ai.provider.region',
  'gen_ai.openai.api_base',
  'openai.api_base',
  'langfuse.observation.level',
  'langfuse.observation.completion_start_time',
  'server.address',
  'server.port',
  'net.peer.name',
  'net.peer.port',
  'url.full',
  'url.path',
  'http.url',
  'http.target',
  'cloud.region',
  // A provider call's endpoint, region, time to first token and retry-after, from the lists its readers use (an
  // unprotected one could be changed by a rule, and the call's region, TTFT or retry-after with it).
  ...ADDRESS_ATTRIBUTES,
  ...PORT_ATTRIBUTES,
  ...URL_ATTRIBUTES,
  ...TTFT_ATTRIBUTES.map((t) => t.name),
  COMPLETION_START_ATTRIBUTE,
  ...REGION_ATTRIBUTES,
  ...RETRY_AFTER_SECONDS_ATTRIBUTES,
  ...RETRY_AFTER_MS_ATTRIBUTES,
];

/** Prefixes whose every key is read: usage, cost and OpenInference evaluations. */
export const PROTECTED_PREFIXES: readonly string[] = ['gen_ai.usage.', 'llm.token_count.', 'llm.usage.', 'llm.cost.', 'ai.usage.', 'evaluations.'];

/** The fixed protected keys. */
export const PROTECTED_KEYS: ReadonlySet<string> = new Set([...Object.values(ALIASES).flat(), ...SESSION_ALIASES, ...READ_ELSEWHERE]);

/** What the configuration adds: custom session aliases and the keys of attribute-rule conditions. */
export interface ConfiguredReads {
  sessionPrecedence?: readonly string[] | undefined;
  ruleKeys?: readonly string[];
}

/** A predicate over attribute keys: true for a key redaction must leave alone. */
export function protectedKeys(configured: ConfiguredReads = {}): (key: string) => boolean {
  const extra = new Set([...(configured.sessionPrecedence ?? []), ...(configured.ruleKeys ?? [])]);
  return (key) => PROTECTED_KEYS.has(key) || extra.has(key) || PROTECTED_PREFIXES.some((p) => key.startsWith(p));
}

/** True when a rule key (exact, or `prefix.*`) would cover a protected key. */
export function coversProtected(ruleKey: string, isProtected: (key: string) => boolean, configured: ConfiguredReads = {}): string | null {
  if (!ruleKey.endsWith('*')) return isProtected(ruleKey) ? ruleKey : null;
  const prefix = ruleKey.slice(0, -1);
  const all = [...PROTECTED_KEYS, ...(configured.sessionPrecedence ?? []), ...(configured.ruleKeys ?? []), ...PROTECTED_PREFIXES];
  // A prefix rule covers a protected key below it, or a protected prefix that starts below it or contains it.
  return all.find((k) => k.startsWith(prefix) || (PROTECTED_PREFIXES.includes(k) && prefix.startsWith(k))) ?? null;
}
