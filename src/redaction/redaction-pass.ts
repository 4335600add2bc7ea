/**
 * One request's redaction under one tenant's rules: text through the maskers, JSON carried in strings walked member
 * by member (so its JSON stays valid), whole values replaced by keyed hashes. Counts what it redacted, by rule.
 */
import { createHmac } from 'node:crypto';
import type { KeyPlan, Masker, RuleSet } from './rule-set.js';

/** JSON strings nested in JSON strings are opened this deep; deeper ones are masked as text. */
const MAX_JSON_IN_STRING_DEPTH = 4;
/** Structure nested deeper than this inside one JSON string is masked as text, not walked. */
const MAX_JSON_DEPTH = 64;
/** Hex digits of an HMAC token: 96 bits, collision-free for correlation within a tenant. */
const TOKEN_HEX = 24;

/** Redaction counts by rule for one request. */
export type RuleCounts = Map<string, number>;

export class RedactionPass {
  /** Redactions so far, by rule. */
  readonly counts: RuleCounts = new Map();
  /** Total redactions so far (compared before and after a value to know it changed). */
  total = 0;

  constructor(
    readonly rules: RuleSet,
    private readonly hmacKey: Buffer | null,
  ) {}

  /** `[HMAC:<hex>]` of a value under this tenant's key. */
  token(value: string, rule: string): string {
    this.count(rule);
    // RuleSet refuses to build hash rules without a key (request-redactor.ts), so this is a bug guard.
    if (this.hmacKey === null) throw new Error('redaction: hash rule without a key');
    return `[HMAC:${createHmac('sha256', this.hmacKey).update(value).digest('hex').slice(0, TOKEN_HEX)}]`;
  }

  /** A string value under `plan`: JSON text walked member by member, other text masked; the same string when unchanged. */
  text(value: string, plan: KeyPlan, jsonDepth = 0): string {
    if (value.length < 6 && !this.rules.keyed) return value;
    const c = firstNonSpace(value);
    if ((c === 0x7b || c === 0x5b) && jsonDepth < MAX_JSON_IN_STRING_DEPTH && (this.rules.keyed || mayMatch(value, plan.maskers))) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return this.mask(value, plan.maskers);
      }
      const before = this.total;
      const out = this.json(parsed, plan, 0, jsonDepth);
      return this.total === before ? value : JSON.stringify(out);
    }
    return this.mask(value, plan.maskers);
  }

  /** A JSON value (parsed from a string attribute) with its members redacted; unchanged values are returned as is. */
  private json(node: unknown, plan: KeyPlan, depth: number, jsonDepth: number): unknown {
    if (typeof node === 'string') return this.text(node, plan, jsonDepth + 1);
    if (node === null || typeof node !== 'object') return node;
    if (depth >= MAX_JSON_DEPTH) return node;
    if (Array.isArray(node)) {
      const before = this.total;
      const out = node.map((v) => this.json(v, plan, depth + 1, jsonDepth));
      return this.total === before ? node : out;
    }
    const before = this.total;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const field = this.rules.fieldPlan(plan, k);
      if (field.drop !== null) {
        this.count(field.drop);
        continue;
      }
      if (field.hash !== null && v !== null && v !== undefined) {
        out[k] = this.token(typeof v === 'string' ? v : JSON.stringify(v), field.hash);
        continue;
      }
      out[k] = this.json(v, field, depth + 1, jsonDepth);
    }
    return this.total === before ? node : out;
  }

  /** Runs the maskers over plain text. */
  mask(value: string, maskers: readonly Masker[]): string {
    let out = value;
    for (const m of maskers) {
      if (m.gate !== undefined && !gateOpen(out, m.gate)) continue;
      out = out.replace(m.re, (match: string) => {
        if (m.check !== undefined && !m.check(match)) return match;
        if (m.action === 'hash') return this.token(match, m.rule);
        this.count(m.rule);
        return `[REDACTED:${m.label}]`;
      });
    }
    return out;
  }

  /** Counts one redaction by `rule`. */
  count(rule: string): void {
    this.total++;
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
  }
}

function gateOpen(value: string, gate: readonly string[]): boolean {
  for (const g of gate) if (value.includes(g)) return true;
  return false;
}

/** Whether any masker could match in JSON text: a `\u` escape can hide a gate's characters, so it opens every gate. */
function mayMatch(value: string, maskers: readonly Masker[]): boolean {
  if (maskers.length === 0) return false;
  if (value.includes('\\u')) return true;
  return maskers.some((m) => m.gate === undefined || gateOpen(value, m.gate));
}

function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}
