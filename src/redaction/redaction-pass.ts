/**
 * One request's redaction under one tenant's rules: text through the maskers, JSON carried in strings walked member
 * by member (so its JSON stays valid), whole values replaced by keyed hashes. Counts what it redacted, by rule.
 */
import { createHmac } from 'node:crypto';
import { ScanMemo, type Gate } from './patterns.js';
import type { KeyPlan, Masker, RuleSet } from './rule-set.js';

/** JSON strings nested in JSON strings are opened this deep; deeper ones are masked as text. */
const MAX_JSON_IN_STRING_DEPTH = 4;
/** Structure nested deeper than this inside one JSON string is masked as text, not walked. */
const MAX_JSON_DEPTH = 64;
/** Values up to this many characters are remembered when found clean (RuleSet.cleanValues). */
const SHORT_VALUE_CHARS = 48;
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
    if (value.length < this.rules.minTextLength) return value;
    // Short values repeat (models, names, ids): one found clean under these maskers is not looked at again.
    const clean = value.length <= SHORT_VALUE_CHARS && !this.rules.keyed ? this.rules.cleanValues(plan.maskers) : null;
    if (clean?.has(value) === true) return value;
    const out = this.redactText(value, plan, jsonDepth);
    if (clean !== null && out === value) clean.add(value);
    return out;
  }

  private redactText(value: string, plan: KeyPlan, jsonDepth: number): string {
    // Gates hold on JSON text whenever they hold on what it encodes: one check decides for text and JSON alike.
    const gates = new GateMemo();
    if (!this.rules.keyed && !mayMatch(value, plan.maskers, gates)) return value;
    const c = firstNonSpace(value);
    if ((c === 0x7b || c === 0x5b) && jsonDepth < MAX_JSON_IN_STRING_DEPTH) {
      // Built-ins only: text whose every part outside string literals is JSON punctuation, literals and short numbers
      // holds nothing they match there, so its literals are masked in place without parsing it first.
      if (!this.rules.keyed && this.rules.minTextLength > 1) {
        const fast = this.maskJsonStrings(value, plan, jsonDepth, false);
        if (fast !== null) return fast;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return this.mask(value, plan.maskers);
      }
      // Valid JSON and no rule looks at member names: mask inside its string literals in place (no rebuild).
      if (!this.rules.keyed) return this.maskJsonStrings(value, plan, jsonDepth, true) ?? value;
      const before = this.total;
      const out = this.json(parsed, plan, 0, jsonDepth);
      return this.total === before ? value : JSON.stringify(out);
    }
    return this.mask(value, plan.maskers, gates);
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

  /**
   * Masks the string literals of valid JSON text where they stand: a literal without escapes is masked as it is (a
   * mask or token adds no character JSON would escape), one with escapes is decoded, redacted (JSON inside it too)
   * and encoded again. Numbers, names and structure are left as they are, so the JSON stays valid.
   */
  private maskJsonStrings(json: string, plan: KeyPlan, jsonDepth: number, parsed: boolean): string | null {
    let out = '';
    let last = 0;
    let outside = 0;
    for (let open = json.indexOf('"'); open !== -1; ) {
      if (!parsed && !jsonPunctuation(json, outside, open)) return null;
      let close = json.indexOf('"', open + 1);
      for (;;) {
        if (close === -1) return null; // unterminated: not JSON (a parsed text never gets here)
        // A quote after an odd number of backslashes is escaped: the literal goes on.
        let slashes = 0;
        while (json.charCodeAt(close - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        close = json.indexOf('"', close + 1);
      }
      outside = close + 1;
      if (close - open - 1 >= this.rules.minTextLength) {
        const raw = json.slice(open + 1, close);
        const escaped = raw.includes('\\');
        let text = raw;
        if (escaped) {
          try {
            text = JSON.parse(json.slice(open, close + 1)) as string;
          } catch {
            return null; // a bad escape: not JSON
          }
        }
        const redacted = this.text(text, plan, jsonDepth + 1);
        if (redacted !== text) {
          out += json.slice(last, open + 1) + (escaped || redacted.includes('"') || redacted.includes('\\') ? JSON.stringify(redacted).slice(1, -1) : redacted);
          last = close;
        }
      }
      open = json.indexOf('"', close + 1);
    }
    if (!parsed && !jsonPunctuation(json, outside, json.length)) return null;
    return last === 0 ? json : out + json.slice(last);
  }

  /** Runs the maskers over plain text. */
  mask(value: string, maskers: readonly Masker[], gates = new GateMemo()): string {
    let out = value;
    for (const m of maskers) {
      // Gates are checked on the text as received: an earlier mask only removes marks, never adds them.
      if (m.gate !== undefined && !gates.open(value, m.gate)) continue;
      const each = (match: string): string => {
        if (m.check !== undefined && !m.check(match)) return match;
        if (m.action === 'hash') return this.token(match, m.rule);
        this.count(m.rule);
        return `[REDACTED:${m.label}]`;
      };
      out = m.replace !== undefined ? m.replace(out, each, gates.scans) : out.replace(m.re, each);
    }
    return out;
  }

  /** Counts one redaction by `rule`. */
  count(rule: string): void {
    this.total++;
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
  }
}

/** Gate results for one value, so the pre-check and the maskers (and card and phone, which share one) test each once. */
class GateMemo {
  private readonly seen = new Map<Gate, boolean>();
  /** Digit runs of the value (and of the text the maskers turn it into), shared by the gate and the replacements. */
  readonly scans = new ScanMemo();

  /** Whether `value` (always the same one for one memo) passes `gate`. */
  open(value: string, gate: Gate): boolean {
    let hit = this.seen.get(gate);
    if (hit === undefined) {
      hit = (gate.literals !== undefined && gate.literals.some((l) => contains(value, l))) || (gate.scan !== undefined && gate.scan(value, this.scans));
      this.seen.set(gate, hit);
    }
    return hit;
  }
}

/**
 * value.includes(literal), searching for the literal's last character first: V8 finds one character with a fast scan
 * but tries a multi-character needle at every occurrence of its first character, and `s`, `e`, `A` are common in
 * text while `-`, `J`, `@` are not.
 */
function contains(value: string, literal: string): boolean {
  let at = RAREST.get(literal);
  if (at === undefined) RAREST.set(literal, (at = rarest(literal)));
  const c = literal[at]!;
  for (let i = value.indexOf(c, at); i !== -1; i = value.indexOf(c, i + 1)) if (value.startsWith(literal, i - at)) return true;
  return false;
}

/** rarest() of each gate literal (a handful, from patterns.ts). */
const RAREST = new Map<string, number>();

/** Space and lowercase letters, most frequent in English text first. */
const COMMON = ' etaoinshrdlcumwfgypbvkjxqz';

/** Index of the literal's least common character (anything not in COMMON beats everything in it). */
function rarest(literal: string): number {
  let best = 0;
  let rank = -1;
  for (let i = 0; i < literal.length; i++) {
    const r = COMMON.indexOf(literal[i]!);
    const score = r === -1 ? COMMON.length : r;
    if (score > rank) [best, rank] = [i, score];
  }
  return best;
}

/** An escaped ASCII character (`\u0040` is `@`) could hide a gate's marks in JSON text. */
const ESCAPED_ASCII = /\\u00[2-7][0-9a-fA-F]/;

/** Whether any masker could match in JSON text (before parsing it). */
function mayMatch(value: string, maskers: readonly Masker[], gates: GateMemo): boolean {
  if (maskers.length === 0) return false;
  if (value.includes('\\u') && ESCAPED_ASCII.test(value)) return true;
  return maskers.some((m) => m.gate === undefined || gates.open(value, m.gate));
}

/** Characters JSON has outside string literals: whitespace, punctuation, true / false / null, numbers. */
const JSON_OUTSIDE = new Set(' \t\n\r,:[]{}0123456789-+.eEtrufalsn'.split('').map((ch) => ch.charCodeAt(0)));

/**
 * True when s[from, to) has only characters JSON has outside its string literals, and under seven digits: no built-in
 * pattern can match there (no `@`, no key or token letters, no run of digits long enough for a phone or card).
 */
function jsonPunctuation(s: string, from: number, to: number): boolean {
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!JSON_OUTSIDE.has(c)) return false;
    if (c >= 0x30 && c <= 0x39 && ++digits >= 7) return false;
  }
  return true;
}

function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}
