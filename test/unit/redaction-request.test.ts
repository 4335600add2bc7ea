import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RedactionConfig } from '../../src/config/redaction.js';
import { isAgtError } from '../../src/model/errors.js';
import { decodeLogsRequest, decodeLogsRequestJson } from '../../src/otlp/decode-logs.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { Authenticator, type TenantAuth } from '../../src/receive/auth.js';
import { RedactionMetrics } from '../../src/redaction/metrics.js';
import { protectedKeys } from '../../src/config/protected-keys.js';
import { Redactor } from '../../src/redaction/request-redactor.js';
import { ExportLogsServiceRequestType } from '../support/otlp-logs-protobufjs.js';
import { buildExportRequest, buildExportRequestJson, fixtureId } from '../support/otlp-fixtures.js';
import { silentLogger } from '../../src/log.js';

const TRACE = fixtureId(1, 16);
const SECRET = 'a-test-secret-of-32-characters!!';
const open = (tenantId: string): TenantAuth => ({ tenantId, trustedGateway: false, admin: false, open: true, keyId: 'open' });
const keyed = (tenantId: string): TenantAuth => ({ tenantId, trustedGateway: false, admin: false, open: false, keyId: 'k' });

function redactorOf(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): { redactor: Redactor; registry: Registry } {
  const config = parseConfig({ redaction: { enabled: true, ...raw } });
  const registry = new Registry();
  const auth = new Authenticator({ keys: [], log: silentLogger() });
  return { redactor: new Redactor({ config: config.redaction as RedactionConfig, isProtected: protectedKeys(), auth, metrics: new RedactionMetrics(registry), env }), registry };
}

const MESSAGES = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'mail me at ann@corp.example or call +1 415 555 0100' }] }]);

function traceRequest(format: 'protobuf' | 'json', extra: Record<string, string> = {}): Uint8Array {
  const spans = [
    {
      traceId: TRACE,
      spanId: fixtureId(2, 8),
      name: 'chat gpt-4o',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.conversation.id': 'ann@corp.example',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.input.messages': MESSAGES,
        'llm.input_messages.0.message.content': 'my card is 4111-1111-1111-1111',
        'user.note': 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123',
        'app.canary': 'canary-7f3a',
        nested: { inner: 'ann@corp.example', deeper: ['x', 'bob@corp.example'] },
        ...extra,
      },
      events: [{ name: 'gen_ai.user.message', attributes: { content: 'reach me: ann@corp.example' } }],
      status: { code: 2 as const, message: 'failed for ann@corp.example' },
    },
  ];
  return format === 'protobuf' ? buildExportRequest(spans) : Buffer.from(buildExportRequestJson(spans));
}

function decodeTraces(body: Uint8Array, format: 'protobuf' | 'json') {
  return (format === 'protobuf' ? decodeExportRequest(body, DEFAULT_DECODE_LIMITS) : decodeExportRequestJson(body, DEFAULT_DECODE_LIMITS)).spans;
}

describe('Redactor', () => {
  describe('forSignal(traces).redact', () => {
    it.each(['protobuf', 'json'] as const)('masks attributes, event attributes, nested values and the status message of %s requests', (format) => {
      const { redactor } = redactorOf({});
      const body = traceRequest(format);
      const out = redactor.forSignal('traces').redact(body, format, open('t1'));
      expect(out.status).toBe('ok');
      if (out.status !== 'ok') return;
      const [before] = decodeTraces(body, format);
      const [after] = decodeTraces(out.value, format);
      expect(JSON.parse(after!.attributes['gen_ai.input.messages'] as string)).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'mail me at [REDACTED:email] or call [REDACTED:phone]' }] },
      ]);
      expect(after!.attributes['llm.input_messages.0.message.content']).toBe('my card is [REDACTED:card]');
      expect(after!.attributes['user.note']).toBe('key [REDACTED:openai_key]');
      expect(after!.attributes['nested']).toEqual({ inner: '[REDACTED:email]', deeper: ['x', '[REDACTED:email]'] });
      expect(after!.events[0]!.attributes['content']).toBe('reach me: [REDACTED:email]');
      expect(after!.status).toEqual({ code: 2, message: 'failed for [REDACTED:email]' });
      // Never touched: ids, times, usage, session keys, names; the canary stays.
      expect(after!.attributes['gen_ai.conversation.id']).toBe('ann@corp.example');
      expect(after!.attributes['gen_ai.usage.input_tokens']).toBe(1200);
      expect(after!.attributes['app.canary']).toBe('canary-7f3a');
      for (const k of ['traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'resource', 'scope'] as const) expect(after![k]).toEqual(before![k]);
    });

    it.each(['protobuf', 'json'] as const)('hands back the very same %s bytes when nothing matches', (format) => {
      const { redactor } = redactorOf({});
      const body = format === 'protobuf' ? buildExportRequest([{ traceId: TRACE, spanId: fixtureId(3, 8), attributes: { a: 'plain text', n: 3 } }]) : Buffer.from(buildExportRequestJson([{ traceId: TRACE, spanId: fixtureId(3, 8), attributes: { a: 'plain' } }]));
      const out = redactor.forSignal('traces').redact(body, format, open('t1'));
      expect(out.status === 'ok' && out.value).toBe(body);
    });

    it.each(['protobuf', 'json'] as const)('drops named attributes and fields inside JSON strings (%s)', (format) => {
      const { redactor } = redactorOf({ builtins: [], rules: [{ name: 'no-raw', action: 'drop', keys: ['app.raw_prompt', 'role', 'llm.input_messages.*'] }] });
      const out = redactor.forSignal('traces').redact(traceRequest(format, { 'app.raw_prompt': 'secret' }), format, open('t1'));
      if (out.status !== 'ok') throw new Error('refused');
      const [after] = decodeTraces(out.value, format);
      expect(after!.attributes).not.toHaveProperty('app.raw_prompt');
      expect(after!.attributes).not.toHaveProperty('llm.input_messages.0.message.content');
      expect(JSON.parse(after!.attributes['gen_ai.input.messages'] as string)).toEqual([{ parts: [{ type: 'text', content: 'mail me at ann@corp.example or call +1 415 555 0100' }] }]);
      expect(after!.attributes['app.canary']).toBe('canary-7f3a');
    });

    it('masks with a custom regex and counts it under the rule name', async () => {
      const { redactor, registry } = redactorOf({ builtins: [], rules: [{ name: 'canary-ids', action: 'mask', regex: 'canary-[0-9a-f]{4}' }] });
      const out = redactor.forSignal('traces').redact(traceRequest('protobuf'), 'protobuf', open('t9'));
      if (out.status !== 'ok') throw new Error('refused');
      expect(decodeTraces(out.value, 'protobuf')[0]!.attributes['app.canary']).toBe('[REDACTED:canary-ids]');
      const metric = await registry.getSingleMetric('agenttail_redactions_total')!.get();
      expect(metric.values).toEqual([{ labels: { rule: 'canary-ids', tenant: 't9', signal: 'traces' }, value: 1 }]);
    });
  });

  describe('hash rules', () => {
    const hashOf = (r: Redactor, tenant: TenantAuth, value: string): string => {
      const body = buildExportRequest([{ traceId: TRACE, spanId: fixtureId(4, 8), attributes: { 'user.email': value } }]);
      const out = r.forSignal('traces').redact(body, 'protobuf', tenant);
      if (out.status !== 'ok') throw new Error('refused');
      return decodeTraces(out.value, 'protobuf')[0]!.attributes['user.email'] as string;
    };

    it('gives equal values equal tokens within a tenant and different tokens across tenants', () => {
      const { redactor } = redactorOf({ hashSecret: SECRET, rules: [{ name: 'user-email', action: 'hash', keys: ['user.email'] }] });
      const a1 = hashOf(redactor, keyed('acme'), 'ann@corp.example');
      const a2 = hashOf(redactor, keyed('acme'), 'ann@corp.example');
      const b1 = hashOf(redactor, keyed('globex'), 'ann@corp.example');
      const other = hashOf(redactor, keyed('acme'), 'bob@corp.example');
      expect(a1).toMatch(/^\[HMAC:[0-9a-f]{24}\]$/);
      expect(a1).toBe(a2);
      expect(b1).not.toBe(a1);
      expect(other).not.toBe(a1);
      expect(a1).not.toContain('ann');
    });

    it('uses a tenant secret read from the environment, and the tokens differ from the derived ones', () => {
      const rules = [{ name: 'user-email', action: 'hash', keys: ['user.email'] }];
      const { redactor } = redactorOf({ hashSecret: SECRET, rules, tenants: { acme: { hashSecretEnv: 'ACME_SECRET' } } }, { ACME_SECRET: 'acme-secret-from-the-environment' });
      const { redactor: derived } = redactorOf({ hashSecret: SECRET, rules });
      expect(hashOf(redactor, keyed('acme'), 'x@y.example')).not.toBe(hashOf(derived, keyed('acme'), 'x@y.example'));
      expect(hashOf(redactor, keyed('globex'), 'x@y.example')).toBe(hashOf(derived, keyed('globex'), 'x@y.example'));
    });

    it('gives a string or a number the same token whether it came as protobuf or OTLP/JSON', () => {
      const { redactor } = redactorOf({ hashSecret: SECRET, rules: [{ name: 'h', action: 'hash', keys: ['app.account', 'app.user'] }] });
      const spans = [{ traceId: TRACE, spanId: fixtureId(6, 8), attributes: { 'app.account': 123456789, 'app.user': 'ann' } }];
      const tokens = (format: 'protobuf' | 'json') => {
        const body = format === 'protobuf' ? buildExportRequest(spans) : Buffer.from(buildExportRequestJson(spans));
        const out = redactor.forSignal('traces').redact(body, format, keyed('acme'));
        if (out.status !== 'ok') throw new Error('refused');
        return decodeTraces(out.value, format)[0]!.attributes;
      };
      expect(tokens('json')).toEqual(tokens('protobuf'));
      expect(tokens('protobuf')['app.account']).toMatch(/^\[HMAC:[0-9a-f]{24}\]$/);
    });

    it('hashes pattern matches inside text when a hash rule names patterns', () => {
      const { redactor } = redactorOf({ builtins: [], hashSecret: SECRET, rules: [{ name: 'emails', action: 'hash', patterns: ['email'] }] });
      expect(hashOf(redactor, keyed('acme'), 'from ann@corp.example')).toMatch(/^from \[HMAC:[0-9a-f]{24}\]$/);
    });

    it('refuses to start without a secret, naming the variable but not a value', () => {
      const err = (() => {
        try {
          redactorOf({ hashSecretEnv: 'MISSING_SECRET', rules: [{ name: 'h', action: 'hash', keys: ['user.email'] }] });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(isAgtError(err) && err.code).toBe('AGT_ERR_CONFIG_INVALID');
      expect((err as Error).message).toContain('MISSING_SECRET is not set');
      expect(() => redactorOf({ rules: [{ name: 'h', action: 'hash', keys: ['user.email'] }] })).toThrow(/hash rules need a secret/);
    });

    it('applies a tenant’s own rules to that tenant only', () => {
      const { redactor } = redactorOf({ builtins: [], tenants: { acme: { rules: [{ name: 'acme-drop', action: 'drop', keys: ['user.email'] }] } } });
      const body = buildExportRequest([{ traceId: TRACE, spanId: fixtureId(5, 8), attributes: { 'user.email': 'e' } }]);
      const acme = redactor.forSignal('traces').redact(body, 'protobuf', keyed('acme'));
      const globex = redactor.forSignal('traces').redact(body, 'protobuf', keyed('globex'));
      expect(acme.status === 'ok' && decodeTraces(acme.value, 'protobuf')[0]!.attributes).toEqual({});
      expect(globex.status === 'ok' && globex.value).toBe(body);
    });
  });

  describe('forSignal(logs).redact', () => {
    const logsBody = () =>
      ExportLogsServiceRequestType.encode({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { body: { stringValue: 'user ann@corp.example logged in' }, attributes: [{ key: 'note', value: { stringValue: 'AKIAIOSFODNN7EXAMPLE' } }] },
                  { body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'call 415-555-0100' } }, { key: 'password', value: { stringValue: 'hunter2' } }] } } },
                ],
              },
            ],
          },
        ],
      }).finish();

    it('masks string bodies, kvlist bodies and attributes, and drops named body fields (protobuf)', () => {
      const { redactor } = redactorOf({ rules: [{ name: 'no-passwords', action: 'drop', keys: ['password'] }] });
      const out = redactor.forSignal('logs').redact(logsBody(), 'protobuf', open('t1'));
      if (out.status !== 'ok') throw new Error('refused');
      const records = decodeLogsRequest(out.value, DEFAULT_DECODE_LIMITS).records;
      expect(records.map((r) => r.body)).toEqual(['user [REDACTED:email] logged in', { content: 'call [REDACTED:phone]' }]);
      expect(records[0]!.attributes['note']).toBe('[REDACTED:aws_access_key]');
    });

    it('masks OTLP/JSON log bodies the same way', () => {
      const { redactor } = redactorOf({ rules: [{ name: 'no-passwords', action: 'drop', keys: ['password'] }] });
      const json = {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'ann@corp.example' } }, { body: { kvlistValue: { values: [{ key: 'password', value: { stringValue: 'x' } }, { key: 'ok', value: { stringValue: 'fine' } }] } } }] }] }],
      };
      const out = redactor.forSignal('logs').redact(Buffer.from(JSON.stringify(json)), 'json', open('t1'));
      if (out.status !== 'ok') throw new Error('refused');
      expect(decodeLogsRequestJson(out.value, DEFAULT_DECODE_LIMITS).records.map((r) => r.body)).toEqual(['[REDACTED:email]', { ok: 'fine' }]);
    });

    it('answers malformed bytes with AGT_ERR_MALFORMED_REQUEST instead of throwing', () => {
      const { redactor } = redactorOf({});
      const out = redactor.forSignal('logs').redact(Uint8Array.from([0x0a, 0xff, 0x01]), 'protobuf', open('t1'));
      expect(out.status === 'failed' && out.error.code).toBe('AGT_ERR_MALFORMED_REQUEST');
    });
  });
});

describe('redaction config', () => {
  const load = (redaction: Record<string, unknown>, extra: Record<string, unknown> = {}) => () => parseConfig({ redaction, ...extra });

  it('is off by default with every built-in pattern listed', () => {
    const c = parseConfig({});
    expect(c.redaction.enabled).toBe(false);
    expect(c.redaction.builtins).toContain('card');
  });

  it.each([
    ['a usage attribute', ['gen_ai.usage.input_tokens'], 'gen_ai.usage.input_tokens'],
    ['a session alias', ['session.id'], 'session.id'],
    ['a prefix that covers usage', ['gen_ai.*'], 'gen_ai.'],
    ['the tenant attribute', ['tenant.id'], 'tenant.id'],
  ])('refuses a rule that covers %s', (_what, keys, named) => {
    expect(load({ rules: [{ name: 'r', action: 'drop', keys }] })).toThrow(new RegExp(`redaction\\.rules\\.0\\.keys\\.0 = .*covers "${named.replace('.', '\\.')}`));
  });

  it('refuses a rule on an attribute a sampling rule reads, and on a configured session alias', () => {
    const sampling = { rules: [{ name: 'vip', conditions: [{ key: 'app.customer_tier', equals: 'vip' }] }] };
    expect(load({ rules: [{ name: 'r', action: 'hash', keys: ['app.customer_tier'] }] }, { sampling })).toThrow(/covers "app\.customer_tier"/);
    expect(load({ tenants: { acme: { rules: [{ name: 'r', action: 'drop', keys: ['my.session'] }] } } }, { conventions: { sessionPrecedence: ['my.session'] } })).toThrow(/redaction\.tenants\.acme\.rules\.0\.keys\.0/);
  });

  it.each([
    [{ name: 'r', action: 'mask', regex: '([a-z' }, /is not a valid regular expression/],
    [{ name: 'r', action: 'mask', regex: 'a*' }, /matches the empty string/],
    [{ name: 'r', action: 'mask' }, /a mask rule needs patterns or a regex/],
    [{ name: 'r', action: 'drop', keys: ['x'], patterns: ['email'] }, /a drop rule names keys, and no patterns/],
    [{ name: 'email', action: 'mask', patterns: ['email'] }, /must differ from the built-in pattern names/],
    [{ name: 'r', action: 'mask', patterns: ['ssn'] }, /redaction\.rules\.0\.patterns\.0/],
  ])('refuses the rule %j', (rule, message) => {
    expect(load({ rules: [rule] })).toThrow(message);
  });

  it('names a bad secret without showing it', () => {
    expect(load({ hashSecret: 'short-s3cret' })).toThrow(/redaction\.hashSecret = \(hidden\).*at least 16 characters/);
    expect(load({ hashSecret: 'short-s3cret' })).not.toThrow(/short-s3cret/);
  });

  it('reads redaction.enabled from AGENTTAIL_CFG__REDACTION__ENABLED', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    expect(loadConfig({ env: { AGENTTAIL_CFG__REDACTION__ENABLED: 'true' } }).redaction.enabled).toBe(true);
  });
});
