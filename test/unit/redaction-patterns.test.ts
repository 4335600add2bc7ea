import { describe, expect, it } from 'vitest';
import { BUILTIN_PATTERNS } from '../../src/config/redaction.js';
import { digitRuns, jwtHeaderValid, luhnValid, PATTERNS } from '../../src/redaction/patterns.js';
import { RedactionPass } from '../../src/redaction/redaction-pass.js';
import { RuleSet } from '../../src/redaction/rule-set.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

function mask(text: string): { out: string; counts: Record<string, number> } {
  const pass = new RedactionPass(new RuleSet({ builtins: BUILTIN_PATTERNS, rules: [], isProtected: () => false }), null);
  const out = pass.text(text, pass.rules.plan('message'));
  return { out, counts: Object.fromEntries(pass.counts) };
}

describe('luhnValid', () => {
  it('accepts well-formed card numbers, grouped or not', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111 1111 1111 1111')).toBe(true);
    expect(luhnValid('5500-0000-0000-0004')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
  });
  it('refuses a wrong check digit and lengths outside 13–19', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('0000000000')).toBe(false);
    expect(luhnValid('00000000000000000000')).toBe(false);
  });
});

describe('jwtHeaderValid', () => {
  it('accepts a token whose header is JSON with alg', () => {
    expect(jwtHeaderValid(JWT)).toBe(true);
  });
  it('refuses eyJ-looking text whose header is not a JWT header', () => {
    expect(jwtHeaderValid(`${Buffer.from('{"a":1}').toString('base64url')}.eyJhYWFhYWFh.c2lnbmF0dXJl`)).toBe(false);
    expect(jwtHeaderValid('eyJnotbase64!!.x.y')).toBe(false);
  });
});

describe('built-in patterns', () => {
  it.each([
    ['email', 'write to jane.doe+ai@example.co.uk today', 'write to [REDACTED:email] today'],
    ['card', 'card 4111 1111 1111 1111 exp 12/29', 'card [REDACTED:card] exp 12/29'],
    ['phone', 'call +1 (415) 555-0100 now', 'call [REDACTED:phone] now'],
    ['phone', 'call 415-555-0100 now', 'call [REDACTED:phone] now'],
    ['phone', 'ring +44 20 7946 0958', 'ring [REDACTED:phone]'],
    ['openai_key', 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'key [REDACTED:openai_key]'],
    ['anthropic_key', 'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'key [REDACTED:anthropic_key]'],
    ['aws_access_key', 'id AKIAIOSFODNN7EXAMPLE.', 'id [REDACTED:aws_access_key].'],
    ['jwt', `token ${JWT} end`, 'token [REDACTED:jwt] end'],
    ['bearer', 'Authorization: Bearer abcdef0123456789abcdef', 'Authorization: [REDACTED:bearer]'],
  ])('masks %s in %j', (rule, text, expected) => {
    const { out, counts } = mask(text);
    expect(out).toBe(expected);
    expect(counts).toEqual({ [rule]: 1 });
  });

  it.each([
    ['a card number failing Luhn', 'order 4111 1111 1111 1112'],
    ['a date', 'on 2024-01-15 at 10:30:00'],
    ['a version and an IP', 'v1.22.3 from 192.168.10.1'],
    ['token counts', 'used 12345 input and 678 output tokens'],
    ['a uuid', 'id 550e8400-e29b-41d4-a716-446655440000'],
    ['a short sk- word', 'task-list and sk-8'],
  ])('leaves %s alone', (_what, text) => {
    expect(mask(text)).toEqual({ out: text, counts: {} });
  });

  it('masks inside JSON message text and keeps it valid JSON', () => {
    const messages = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'I am bob@example.com,\n"card" 4111111111111111' }] }]);
    const { out, counts } = mask(messages);
    expect(JSON.parse(out)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'I am [REDACTED:email],\n"card" [REDACTED:card]' }] }]);
    expect(counts).toEqual({ email: 1, card: 1 });
  });

  it('finds an address hidden behind a \\u escape in JSON text', () => {
    const { out } = mask('{"content":"x bob\\u0040example.com"}');
    expect(JSON.parse(out)).toEqual({ content: 'x [REDACTED:email]' });
  });

  it('returns the same string when nothing matched', () => {
    const text = '[{"role":"user","content":"hello there, what is 2+2?"}]';
    expect(mask(text).out).toBe(text);
  });
});

describe('fast paths', () => {
  /** The plain regex replacement the fast paths must agree with. */
  function byRegex(text: string): string {
    let out = text;
    for (const name of BUILTIN_PATTERNS) {
      const p = PATTERNS[name];
      out = out.replace(new RegExp(p.re.source, 'g'), (m) => (p.check !== undefined && !p.check(m) ? m : `[REDACTED:${name}]`));
    }
    return out;
  }

  it.each([
    'call +1 (415) 555-0100, or 020 7946 0958, card 4111-1111-1111-1111 and 5500 0000 0000 0004.',
    'ids 12345678901234567890 and 1234 5678 and x+44 20 7946 0958 and 2024-01-15 10:30 and 3.14159265358979',
    'mail a.b@c.example, x@y, @z.example, a@b@c.example.org, end@example.com.',
    'order 88213 shipped; ring (020) 7946-0958 tomorrow; 415.555.0100; ' + '9'.repeat(40),
  ])('agree with the plain regexes on %j', (text) => {
    expect(mask(text).out).toBe(byRegex(text));
  });

  it('keeps quotes, backslashes and escapes of JSON string literals valid', () => {
    const value = { a: 'say "hi" to ann@corp.example\\path', b: 'tab\there bob@corp.example', c: ['x', { d: 'nothing' }], n: 4111111111111111 };
    const { out } = mask(JSON.stringify(value));
    expect(JSON.parse(out)).toEqual({ a: 'say "hi" to [REDACTED:email]\\path', b: 'tab\there [REDACTED:email]', c: ['x', { d: 'nothing' }], n: 4111111111111111 });
  });

  it.each([
    ['[INFO] mail bob@corp.example', '[INFO] mail [REDACTED:email]'],
    ['[{"a":"x"}] then bob@corp.example', '[{"a":"x"}] then [REDACTED:email]'],
    ['["unterminated bob@corp.example', '["unterminated [REDACTED:email]'],
    ['[415 555 0100]', '[[REDACTED:phone]]'],
    ['{"a": "bad \\q escape bob@corp.example"}', '{"a": "bad \\q escape [REDACTED:email]"}'],
  ])('masks text that only looks like JSON as text: %j', (text, expected) => {
    expect(mask(text).out).toBe(expected);
  });

  it('opens JSON carried in a string inside JSON', () => {
    const inner = JSON.stringify({ content: 'reach ann@corp.example' });
    const { out } = mask(JSON.stringify([{ role: 'tool', content: inner }]));
    expect(JSON.parse((JSON.parse(out) as { content: string }[])[0]!.content)).toEqual({ content: 'reach [REDACTED:email]' });
  });

  it('finds digit runs of seven digits with short separators only', () => {
    expect(digitRuns('a 415-555-0100 b 12 34 c 1234567', 7)).toEqual([2, 15, 25, 32]);
    expect(digitRuns('v1.2.3 and 88213', 7)).toEqual([]);
  });
});
