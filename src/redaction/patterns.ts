/**
 * The built-in pattern set (`redaction.enabled: true`): personal data and secrets that show up in prompts, tool
 * arguments and error messages. Each pattern has a cheap gate (substrings one of which must be present) so a value
 * without them costs an indexOf, not a regex pass, and an optional check on the match (Luhn, JWT header).
 */

/** Names of the built-in patterns, in the order they are applied (secrets before the looser shapes). */
export const BUILTIN_PATTERNS = ['jwt', 'bearer', 'anthropic_key', 'openai_key', 'aws_access_key', 'email', 'card', 'phone'] as const;
export type BuiltinPattern = (typeof BUILTIN_PATTERNS)[number];

/** A compiled pattern: a global regex, an optional gate and an optional check of each match. */
export interface PatternSpec {
  /** Global (`g`) regex; replaced match by match. */
  readonly re: RegExp;
  /** At least one of these substrings must be in the value for the regex to run (absent: always runs). */
  readonly gate?: readonly string[];
  /** A match is redacted only when this holds (absent: always). */
  readonly check?: (match: string) => boolean;
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

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The built-in patterns by name. Regexes are global: callers reset `lastIndex` by using String.replace. */
export const PATTERNS: Readonly<Record<BuiltinPattern, PatternSpec>> = {
  // header.payload.signature, base64url; the header must decode to a JSON object with alg/typ.
  jwt: { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, gate: ['eyJ'], check: jwtHeaderValid },
  // RFC 6750 bearer credentials as they appear in logged headers ("Authorization: Bearer …").
  bearer: { re: /\b[Bb]earer\s+[A-Za-z0-9._~+/-]{16,}=*/g, gate: ['earer'] },
  anthropic_key: { re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, gate: ['sk-ant-'] },
  // sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…
  openai_key: { re: /\bsk-(?!ant-)[A-Za-z0-9_-]{20,}/g, gate: ['sk-'] },
  // Long-term (AKIA) and temporary (ASIA) access key ids.
  aws_access_key: { re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, gate: ['AKIA', 'ASIA'] },
  email: { re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, gate: ['@'] },
  // 13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn check.
  card: { re: /(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])/g, gate: DIGITS, check: luhnValid },
  // International (+CC …) or grouped national numbers (555-123-4567, (555) 123 4567, 020 7946 0958); 7–15 digits.
  phone: {
    re: /(?<![\w+.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w.])/g,
    gate: DIGITS,
    check: (m) => {
      const n = digitCount(m);
      // A bare "1234-5678" or a date is not a phone number: ask for 9+ digits, or a leading + or (area code).
      return n >= 7 && n <= 15 && (n >= 9 || m.startsWith('+') || m.startsWith('('));
    },
  },
};
