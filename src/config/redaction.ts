/**
 * Config section: redaction before the write-ahead log (src/redaction/, docs/redaction.md). Rules are checked here
 * at load: regexes compile and match something, and no rule names an attribute that usage, cost, ids, sessions,
 * sampling rules or detectors read (src/config/protected-keys.ts).
 */
import { z } from 'zod';

import { coversProtected, protectedKeys, type ConfiguredReads } from './protected-keys.js';

/** Names of the built-in patterns, in the order they are applied (secrets before the looser shapes). */
export const BUILTIN_PATTERNS = ['jwt', 'bearer', 'anthropic_key', 'openai_key', 'aws_access_key', 'email', 'card', 'phone'] as const;
export type BuiltinPattern = (typeof BUILTIN_PATTERNS)[number];

/** Why a custom regex is refused, or null when it is usable. */
export function regexProblem(source: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
  // A regex that matches the empty string would insert a mask between every character.
  if (new RegExp(`^(?:${re.source})$`).test('')) return 'matches the empty string';
  return null;
}

/** One redaction rule: drop named attributes or fields, mask matches, or replace with a keyed hash. */
export const redactionRuleSchema = z
  .strictObject({
    /** Appears as the `rule` label of agenttail_redactions_total. Must not be a built-in pattern name. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .refine((n) => !(BUILTIN_PATTERNS as readonly string[]).includes(n), { message: `must differ from the built-in pattern names (${BUILTIN_PATTERNS.join(', ')})` }),
    /**
     * `drop`: remove the attributes / body fields named in `keys`. `mask`: replace matches of `patterns` / `regex`
     * with `[REDACTED:<name>]`. `hash`: replace the values of `keys` (or the matches of `patterns` / `regex`) with
     * `[HMAC:<24 hex>]`, keyed per tenant.
     */
    action: z.enum(['drop', 'mask', 'hash']),
    /**
     * Attribute keys, and field names inside structured values (kvlist bodies, JSON strings); `prefix.*` matches
     * every key under the prefix. For mask/hash with a pattern: only values under these keys (default: all).
     */
    keys: z.array(z.string().min(1)).min(1).optional(),
    /** Built-in pattern names to mask or hash. */
    patterns: z.array(z.enum(BUILTIN_PATTERNS)).min(1).optional(),
    /** A custom regular expression (JavaScript syntax, applied globally). */
    regex: z.string().min(1).optional(),
  })
  .superRefine((r, ctx) => {
    const matches = r.patterns !== undefined || r.regex !== undefined;
    if (r.action === 'drop' && (r.keys === undefined || matches)) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a drop rule names keys, and no patterns or regex' });
    if (r.action === 'mask' && !matches) ctx.addIssue({ code: 'custom', path: ['patterns'], message: 'a mask rule needs patterns or a regex' });
    if (r.action === 'hash' && !matches && r.keys === undefined) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a hash rule needs keys, patterns or a regex' });
    if (r.regex !== undefined) {
      const problem = regexProblem(r.regex);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
    }
  });
export type RedactionRule = z.infer<typeof redactionRuleSchema>;

/** The HMAC secret: inline, or the name of an environment variable holding it (read at start, never logged). */
const secretFields = {
  /** Secret for `hash` rules (at least 16 characters). Prefer hashSecretEnv: a config file is easy to leak. */
  hashSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Name of an environment variable holding the secret. */
  hashSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
};

/** A tenant's own rules (added to the global ones) and its own hash secret. */
export const tenantRedactionSchema = z.strictObject({
  rules: z.array(redactionRuleSchema).default([]),
  ...secretFields,
});

export const redactionSchema = z
  .strictObject({
    /** Redaction on or off (default off: nothing is read or changed). On, the `builtins` patterns are masked. */
    enabled: z.boolean().default(false),
    /** Built-in patterns masked everywhere when enabled (default: all of them). `[]`: only the rules apply. */
    builtins: z.array(z.enum(BUILTIN_PATTERNS)).default([...BUILTIN_PATTERNS]),
    /** Rules for every tenant, applied after the built-ins in order. */
    rules: z.array(redactionRuleSchema).default([]),
    /** Per-tenant rules and secrets, by tenant id. A tenant without its own secret gets one derived from the global secret. */
    tenants: z.record(z.string().min(1), tenantRedactionSchema).default({}),
    ...secretFields,
  })
  .superRefine((c, ctx) => {
    const names = (rules: readonly RedactionRule[], path: PropertyKey[], seen = new Set<string>()): void => {
      rules.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate rule name "${r.name}"` });
        seen.add(r.name);
      });
    };
    names(c.rules, ['rules']);
    for (const [t, tc] of Object.entries(c.tenants)) names(tc.rules, ['tenants', t, 'rules'], new Set(c.rules.map((r) => r.name)));
  });
export type RedactionConfig = z.infer<typeof redactionSchema>;

/** What the rest of the configuration reads, which redaction must leave alone (for redactionReadsIssues). */
export interface ConfigReads {
  sessionPrecedence?: readonly string[] | undefined;
  samplingRules: readonly { conditions: readonly { source: string; key: string }[] }[];
}

/** The configured attribute reads: custom session aliases and the attribute keys of sampling rule conditions. */
export function configuredReads(c: ConfigReads): ConfiguredReads {
  const ruleKeys = c.samplingRules.flatMap((r) => r.conditions.filter((k) => k.source === 'attribute').map((k) => k.key));
  return { sessionPrecedence: c.sessionPrecedence, ruleKeys };
}

/**
 * Cross-field check (after the parse): a rule whose keys cover an attribute that usage, cost, ids, sessions, sampling
 * rules or detectors read. One issue per key, naming what it would hide.
 */
export function redactionReadsIssues(c: RedactionConfig, reads: ConfigReads): { path: PropertyKey[]; message: string }[] {
  const configured = configuredReads(reads);
  const isProtected = protectedKeys(configured);
  const out: { path: PropertyKey[]; message: string }[] = [];
  const check = (rules: readonly RedactionRule[], path: PropertyKey[]): void =>
    rules.forEach((r, i) =>
      (r.keys ?? []).forEach((k, j) => {
        const hit = coversProtected(k, isProtected, configured);
        if (hit !== null) out.push({ path: [...path, i, 'keys', j], message: `covers "${hit}", which usage, cost, ids, sessions, sampling rules or detectors read; redaction never touches it (docs/redaction.md)` });
      }),
    );
  check(c.rules, ['redaction', 'rules']);
  for (const [t, tc] of Object.entries(c.tenants)) check(tc.rules, ['redaction', 'tenants', t, 'rules']);
  return out;
}
