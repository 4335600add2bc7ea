/**
 * The built-in pattern set (`redaction.enabled: true`): personal data and secrets that show up in prompts, tool
 * arguments and error messages. Each pattern has a cheap gate (substrings, or one shared scan for digit runs) so a
 * value without its marks costs an indexOf, not a regex pass, and an optional check on the match (Luhn, JWT header).
 */
import type { BuiltinPattern } from '../config/redaction.js';

/**
 * What a value must hold for a pattern to run: one of the substrings (an indexOf each), or a match of the regex (one
 * scan, shared by every pattern with the same gate object). A gate never misses a match of its pattern, and it holds
 * on JSON text whenever it holds on the text the JSON encodes (unless an ASCII character is \u-escaped: see mayMatch).
 */
export interface Gate {
  readonly literals?: readonly string[];
  /** A scan of the value; its result is shared by every pattern with the same function. */
  readonly scan?: (value: string, memo: ScanMemo) => boolean;
}

/** A compiled pattern: a global regex, an optional gate and an optional check of each match. */
export interface PatternSpec {
  /** Global (`g`) regex; replaced match by match. */
  readonly re: RegExp;
  /** The value must pass it for the regex to run (absent: always runs). */
  readonly gate?: Gate;
  /** A match is redacted only when this holds (absent: always). */
  readonly check?: (match: string) => boolean;
  /** Replaces matches itself, faster than `re` would (same matches); absent: String.replace with `re`. */
  readonly replace?: (text: string, each: (match: string) => string, memo: ScanMemo) => string;
}

/** Luhn checksum over the digits of `s` (separators ignored): true for a well-formed card number. */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let digits = 0;
  let double = false;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    digits++;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** True when the first segment of a JWT-shaped string decodes to a JSON header naming `alg` or `typ`. */
export function jwtHeaderValid(token: string): boolean {
  const dot = token.indexOf('.');
  if (dot <= 0) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header);
  } catch {
    return false;
  }
}

/** Digits in `s`. */
function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

const DIGIT_CHARS = '0123456789';

/** ` .()+-`: what may stand between two digits of a card or phone number. */
function isNumberSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2e || c === 0x28 || c === 0x29 || c === 0x2b || c === 0x2d;
}

/**
 * The runs of `s` with at least `minDigits` digits and at most three of ` .()+-` between neighbours, as flat
 * [start, end) pairs (end: the first character after the run); `first` stops at the first run. Every card (13+ digits,
 * single separators) and phone number (7+ digits in groups) lies in such a run. Digits are found with one indexOf per
 * digit character and occurrence (a vectorized scan), not by looking at every character: text is mostly not digits.
 */
export function digitRuns(s: string, minDigits: number, first = false): number[] {
  const out: number[] = [];
  const next = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let d = 0; d < 10; d++) next[d] = s.indexOf(DIGIT_CHARS[d]!);
  for (;;) {
    let i = -1;
    for (let d = 0; d < 10; d++) if (next[d]! !== -1 && (i === -1 || next[d]! < i)) i = next[d]!;
    if (i === -1) return out;
    let digits = 0;
    let gap = 0;
    let j = i;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c >= 0x30 && c <= 0x39) {
        digits++;
        gap = 0;
      } else if (gap < 3 && isNumberSeparator(c)) gap++;
      else break;
    }
    if (digits >= minDigits) {
      out.push(i, j);
      if (first) return out;
    }
    for (let d = 0; d < 10; d++) if (next[d]! !== -1 && next[d]! < j) next[d] = s.indexOf(DIGIT_CHARS[d]!, j);
  }
}

/** The digit runs of the last text looked at, shared by the gate and the card and phone replacements of one value. */
export class ScanMemo {
  private text: string | null = null;
  private runs: number[] = [];

  /** digitRuns(text, 7), computed once per text. */
  runsOf(text: string): number[] {
    if (text !== this.text) {
      this.text = text;
      this.runs = digitRuns(text, 7);
    }
    return this.runs;
  }
}

/** True when `s` holds a run of seven digits (digitRuns): the gate of cards and phone numbers. */
export function hasDigitRun(s: string, memo: ScanMemo = new ScanMemo()): boolean {
  return memo.runsOf(s).length > 0;
}

function digitsIn(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) n++;
  }
  return n;
}

/**
 * A replace that runs `re` only over the digit runs of the text (with two characters before and one after, for its
 * lookarounds and a leading `+` or `(`), not over all of it.
 */
function inDigitRuns(re: RegExp, minDigits: number): NonNullable<PatternSpec['replace']> {
  return (text, each, memo) => {
    const runs = memo.runsOf(text);
    if (runs.length === 0) return text;
    let out = '';
    let last = 0;
    for (let k = 0; k < runs.length; k += 2) {
      if (minDigits > 7 && digitsIn(text, runs[k]!, runs[k + 1]!) < minDigits) continue;
      const from = Math.max(last, runs[k]! - 2);
      const to = Math.min(text.length, runs[k + 1]! + 1);
      out += text.slice(last, from) + text.slice(from, to).replace(re, each);
      last = to;
    }
    return out + text.slice(last);
  };
}

const DIGIT_RUN: Gate = { scan: hasDigitRun };

const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
/** The domain after an `@`: labels, a dot, a 2+ letter top-level label (sticky: matched at the `@` + 1). */
const EMAIL_DOMAIN = /[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/y;

/**
 * E-mail addresses found from each `@` outwards (the local part to the left, the domain to the right): the same
 * matches as PATTERNS.email.re, without trying the regex at every word of a long text.
 */
function replaceEmails(text: string, each: (match: string) => string): string {
  let out = '';
  let last = 0;
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > last && EMAIL_LOCAL.test(text[start - 1]!)) start--;
    if (start < at) {
      EMAIL_DOMAIN.lastIndex = at + 1;
      const domain = EMAIL_DOMAIN.exec(text);
      if (domain !== null) {
        const end = at + 1 + domain[0].length;
        out += text.slice(last, start) + each(text.slice(start, end));
        last = end;
        at = text.indexOf('@', end);
        continue;
      }
    }
    at = text.indexOf('@', at + 1);
  }
  return last === 0 ? text : out + text.slice(last);
}

const CARD_RE = /(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])/g;
const PHONE_RE = /(?<![\w+.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w.])/g;

/** The built-in patterns by name. Regexes are global: callers reset `lastIndex` by using String.replace. */
export const PATTERNS: Readonly<Record<BuiltinPattern, PatternSpec>> = {
  // header.payload.signature, base64url; the header must decode to a JSON object with alg/typ.
  jwt: { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, gate: { literals: ['eyJ'] }, check: jwtHeaderValid },
  // RFC 6750 bearer credentials as they appear in logged headers ("Authorization: Bearer …").
  bearer: { re: /\b[Bb]earer\s+[A-Za-z0-9._~+/-]{16,}=*/g, gate: { literals: ['Bearer', 'bearer'] } },
  anthropic_key: { re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, gate: { literals: ['sk-ant-'] } },
  // sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…
  openai_key: { re: /\bsk-(?!ant-)[A-Za-z0-9_-]{20,}/g, gate: { literals: ['sk-'] } },
  // Long-term (AKIA) and temporary (ASIA) access key ids.
  aws_access_key: { re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, gate: { literals: ['AKIA', 'ASIA'] } },
  email: { re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, gate: { literals: ['@'] }, replace: replaceEmails },
  // 13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn check.
  card: { re: CARD_RE, gate: DIGIT_RUN, check: luhnValid, replace: inDigitRuns(CARD_RE, 13) },
  // International (+CC …) or grouped national numbers (555-123-4567, (555) 123 4567, 020 7946 0958); 7–15 digits.
  phone: {
    re: PHONE_RE,
    gate: DIGIT_RUN,
    replace: inDigitRuns(PHONE_RE, 7),
    check: (m) => {
      const n = digitCount(m);
      // A bare "1234-5678" or a date is not a phone number: ask for 9+ digits, or a leading + or (area code).
      return n >= 7 && n <= 15 && (n >= 9 || m.startsWith('+') || m.startsWith('('));
    },
  },
};
