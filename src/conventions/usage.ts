/** Token usage from any convention, converted to inclusive input, with its missing fields and violations. */
import { shareEmpty } from '../otlp/types.js';
import { type Attributes } from '../model/otlp-values.js';
import { USAGE_FIELDS, type Usage, type UsageField, type UsageIncomplete } from '../model/span.js';
import { ALIASES, LANGFUSE_USAGE_KEYS } from './aliases.js';
import { readJsonObject } from './read-attr.js';
import { checkTokenCount, jsonChecked, readTokenCount } from './value-checks.js';

/** What a span reports about tokens. `usage` is null when it reports no input or output total. */
export interface ExtractedUsage {
  usage: Usage | null;
  /** Fields the span reported (the rest are 0 in `usage`). Shared and frozen, as is `missing`. */
  reported: UsageField[];
  /** The fields it did not report, in USAGE_FIELDS order (all of them without usage). */
  missing: UsageField[];
  violations: string[];
}

/**
 * Every list of usage fields, by mask (bit i: USAGE_FIELDS[i]), frozen and shared: a span's reported and missing
 * fields are one of these 32, so reading usage builds no list (bench/alloc-profile.ts).
 */
const FIELD_LISTS: readonly UsageField[][] = Array.from({ length: 1 << USAGE_FIELDS.length }, (_, mask) =>
  shareEmpty(Object.freeze(USAGE_FIELDS.filter((_f, i) => (mask & (1 << i)) !== 0)) as UsageField[]),
);
const ALL_FIELDS = FIELD_LISTS.length - 1;

/** What a span without usage reports: one shared answer. */
const NO_USAGE: ExtractedUsage = Object.freeze({ usage: null, reported: FIELD_LISTS[0]!, missing: FIELD_LISTS[ALL_FIELDS]!, violations: shareEmpty<string>([]) });

type Partial5 = { [K in UsageField]: number | null };

/**
 * Reads usage through the alias table (every present count checked: value-checks.ts, throws SpanRejectError); Langfuse `usage_details` (exclusive input) only when no semconv-style
 * totals exist. `inputExclusive`: the span's instrumentation reports input without cache (EXCLUSIVE_INPUT_SCOPES).
 */
export function extractUsage(attrs: Attributes, opts: { inputExclusive?: boolean } = {}): ExtractedUsage {
  const parts = fromAttributes(attrs, opts.inputExclusive === true) ?? fromLangfuse(attrs);
  if (parts === null) return NO_USAGE;
  let mask = 0;
  for (let i = 0; i < USAGE_FIELDS.length; i++) if (parts[USAGE_FIELDS[i]!] !== null) mask |= 1 << i;
  const usage: Usage = {
    inputTokens: parts.inputTokens ?? 0,
    outputTokens: parts.outputTokens ?? 0,
    cacheReadTokens: parts.cacheReadTokens ?? 0,
    cacheWriteTokens: parts.cacheWriteTokens ?? 0,
    reasoningTokens: parts.reasoningTokens ?? 0,
  };
  return { usage, reported: FIELD_LISTS[mask]!, missing: FIELD_LISTS[ALL_FIELDS & ~mask]!, violations: checkUsage(usage) };
}

/** Consistency checks: parts never exceed totals, no negative counts. Recorded, never corrected. None: the shared empty list. */
export function checkUsage(u: Usage): string[] {
  const out: string[] = [];
  // The fields by name (Object.entries built six arrays per call span), in the order a Usage is built.
  for (const k of USAGE_FIELDS) if (u[k] < 0) out.push(`${k}<0`);
  if (u.cacheReadTokens > u.inputTokens) out.push('cacheReadTokens>inputTokens');
  if (u.cacheWriteTokens > u.inputTokens) out.push('cacheWriteTokens>inputTokens');
  else if (u.cacheReadTokens <= u.inputTokens && u.cacheReadTokens + u.cacheWriteTokens > u.inputTokens) {
    out.push('cacheReadTokens+cacheWriteTokens>inputTokens');
  }
  if (u.reasoningTokens > u.outputTokens) out.push('reasoningTokens>outputTokens');
  return shareEmpty(out);
}

function fromAttributes(attrs: Attributes, inputExclusive: boolean): Partial5 | null {
  let inputTokens = readTokenCount(attrs, ALIASES.inputTokens);
  const outputTokens = readTokenCount(attrs, ALIASES.outputTokens);
  const cacheReadTokens = readTokenCount(attrs, ALIASES.cacheReadTokens);
  const cacheWriteTokens = readTokenCount(attrs, ALIASES.cacheWriteTokens);
  const reasoningTokens = readTokenCount(attrs, ALIASES.reasoningTokens);
  const noCache = readTokenCount(attrs, ALIASES.noCacheInputTokens);
  // The AI SDK's noCache figure is exclusive of cache: convert only when no inclusive total exists,
  // and only alongside an output total (v7 step spans carry detail parts alone, which are no usage).
  if (inputTokens === null && noCache !== null && outputTokens !== null) {
    inputTokens = noCache + (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  }
  if (inputTokens === null && outputTokens === null) return null;
  if (inputExclusive && inputTokens !== null) inputTokens += (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens };
}

function fromLangfuse(attrs: Attributes): Partial5 | null {
  const d = readJsonObject(attrs, ALIASES.langfuseUsageJson);
  // The details in a function of their own: its closures made V8 allocate a context on every call, and this one runs
  // on every span without semconv usage.
  return d === null ? null : fromLangfuseDetails(d);
}

function fromLangfuseDetails(d: Record<string, unknown>): Partial5 | null {
  const where = ALIASES.langfuseUsageJson[0]!;
  const jsonNumber = (o: Record<string, unknown>, keys: readonly string[]): number | null => jsonChecked(o, keys, where, checkTokenCount);
  const inputExclusive = jsonNumber(d, LANGFUSE_USAGE_KEYS.input);
  const outputTokens = jsonNumber(d, LANGFUSE_USAGE_KEYS.output);
  if (inputExclusive === null && outputTokens === null) return null;
  const cacheReadTokens = jsonNumber(d, LANGFUSE_USAGE_KEYS.cacheRead);
  const write = jsonNumber(d, LANGFUSE_USAGE_KEYS.cacheWrite);
  const splits = LANGFUSE_USAGE_KEYS.cacheWriteSplit.map((k) => jsonNumber(d, [k])).filter((n): n is number => n !== null);
  const cacheWriteTokens = write === null && splits.length === 0 ? null : (write ?? 0) + splits.reduce((a, b) => a + b, 0);
  const reasoningTokens = jsonNumber(d, LANGFUSE_USAGE_KEYS.reasoning);
  // Langfuse stores input EXCLUSIVE of cache; agenttail's input is inclusive.
  const inputTokens = inputExclusive === null ? null : inputExclusive + (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens };
}

/**
 * The `UsageIncomplete` kind of a model call from its missing usage fields and which cache prices its model has:
 * only a cache part that is priced differently from input changes the cost when it goes unreported.
 */
export function usageIncompleteOf(missing: readonly UsageField[], priced: { cacheRead: boolean; cacheWrite: boolean }): UsageIncomplete | null {
  const read = priced.cacheRead && missing.includes('cacheReadTokens');
  const write = priced.cacheWrite && missing.includes('cacheWriteTokens');
  if (read && write) return 'cache_read+cache_write';
  if (read) return 'cache_read';
  return write ? 'cache_write' : null;
}
