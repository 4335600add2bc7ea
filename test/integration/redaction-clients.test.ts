/**
 * Redaction end to end with the real OTel JS SDKs over real sockets (traces over gRPC protobuf and HTTP JSON, logs over
 * gRPC and HTTP) into the embedded store with the write-ahead log on: afterwards no personal value is in any file of
 * the data directory (WAL segments included) or in any table, and a non-personal canary sent beside them is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog, type LogCapture } from '../support/log-capture.js';
import { filesUnder, startTestServer, type TestServer } from '../support/server.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
/** Personal values and secrets: none may be found anywhere afterwards. */
const PERSONAL = {
  email: 'ann.lee@corp-mail.example',
  card: '4111 1111 1111 1111',
  phone: '+1 415 555 0100',
  openaiKey: 'sk-proj-Zq8vN2xL5mT9wR4kP7yB3cD6fG1hJ0aS',
  anthropicKey: 'sk-ant-api03-Xy7Wq2Lm9Nb4Vc8Rt5Kp3Jh6Gf1Dz0As',
  awsKey: 'AKIAZQ7RWTX2MB4KP9LE',
  jwt: JWT,
  hashedUser: 'customer-4471@corp-mail.example',
};
/** Non-personal values sent beside them: they must arrive. */
const CANARY = 'canary-5e1d-not-personal';
const LOG_CANARY = 'log-canary-93ab';

const messages = JSON.stringify([
  { role: 'system', parts: [{ type: 'text', content: `You help customers. ${CANARY}` }] },
  { role: 'user', parts: [{ type: 'text', content: `I am ${PERSONAL.email}, card ${PERSONAL.card}, call ${PERSONAL.phone}` }] },
]);

/** One agent turn: a chat span carrying messages and secrets, an event, a failed status. */
async function sendTurn(exporter: SpanExporter, tenant: string, sessionId: string): Promise<void> {
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot', 'tenant.id': tenant }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('redaction-test');
  await tracer.startActiveSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'session.id': sessionId } }, async (root) => {
    const chat = tracer.startSpan('chat gpt-4o-mini', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'session.id': sessionId,
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.input.messages': messages,
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `Noted, I will mail ${PERSONAL.email}` }] }]),
        'llm.input_messages.0.message.content': `my key is ${PERSONAL.openaiKey}`,
        'ai.prompt': JSON.stringify({ prompt: `use ${PERSONAL.anthropicKey} and ${PERSONAL.awsKey}` }),
        'http.request.header.authorization': `Bearer ${PERSONAL.jwt}`,
        'app.user_email': PERSONAL.hashedUser,
        'app.canary': CANARY,
      },
    });
    chat.addEvent('gen_ai.user.message', { content: `reach me at ${PERSONAL.phone}` });
    chat.setStatus({ code: SpanStatusCode.ERROR, message: `refused for ${PERSONAL.email}` });
    chat.end();
    root.end();
  });
  await provider.forceFlush();
  await provider.shutdown();
}

async function sendLogs(exporter: LogRecordExporter, tenant: string): Promise<void> {
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot', 'tenant.id': tenant }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('redaction-test');
  logger.emit({ body: `${LOG_CANARY} login by ${PERSONAL.email} with ${PERSONAL.card}`, attributes: { 'app.token': PERSONAL.jwt } });
  logger.emit({ body: { content: `call ${PERSONAL.phone}`, note: LOG_CANARY, key: PERSONAL.openaiKey } });
  await provider.forceFlush();
  await provider.shutdown();
}

/** Every file under `dir`. */

describe('redaction with real OTel clients (embedded store, write-ahead log on)', () => {
  let t: TestServer;
  let tables: Record<string, string>;
  let walText: string;
  let cap: LogCapture;
  const SECRET = 'integration-test-secret-0123456789';

  const q = async <T>(query: string): Promise<T[]> => (await t.server.store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  async function until<T>(query: string, n: number): Promise<T[]> {
    for (let i = 0; i < 200; i++) {
      const r = await q<T>(query);
      if (r.length >= n) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    return q<T>(query);
  }

  beforeAll(async () => {
    cap = captureLog();
    t = await startTestServer(
      {
        redaction: { enabled: true, hashSecret: SECRET, rules: [{ name: 'user-email', action: 'hash', keys: ['app.user_email'] }] },
        sampling: { baselineRate: 1 },
        wal: { durability: 'fsync', retentionMs: 3_600_000 },
      },
      { log: cap.log },
    );
    await sendTurn(new GrpcTraceExporter({ url: `http://${t.grpcTarget}` }), 'acme', 'sess-grpc');
    await sendTurn(new HttpTraceExporter({ url: `${t.httpUrl}/v1/traces` }), 'acme', 'sess-http');
    await sendTurn(new GrpcTraceExporter({ url: `http://${t.grpcTarget}` }), 'globex', 'sess-globex');
    await sendLogs(new GrpcLogExporter({ url: `http://${t.grpcTarget}` }), 'acme');
    await sendLogs(new HttpLogExporter({ url: `${t.httpUrl}/v1/logs` }), 'acme');
    await until(`SELECT SpanId FROM agenttail.spans WHERE SpanName = 'chat gpt-4o-mini'`, 3);
    await until(`SELECT Body FROM agenttail.logs`, 4);
    await t.server.store.forceFlush();
    tables = {};
    for (const { name } of await q<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'agenttail' AND engine NOT LIKE '%View%'`)) {
      tables[name] = JSON.stringify(await q(`SELECT * FROM agenttail.\`${name}\``));
    }
    walText = filesUnder(join(t.dir, 'wal'))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('says at start that redaction is on and which rules run, and never logs the secret', () => {
    const [line] = cap.withMsg('agenttail started');
    expect(line).toMatchObject({ redaction: { enabled: true, rules: ['user-email'], builtins: expect.arrayContaining(['email', 'card', 'jwt']) } });
    expect(JSON.stringify(cap.lines())).not.toContain(SECRET);
  });

  it('stores no personal value in any table', () => {
    expect(Object.keys(tables)).toEqual(expect.arrayContaining(['spans', 'logs', 'sessions']));
    for (const [name, text] of Object.entries(tables)) for (const [what, value] of Object.entries(PERSONAL)) expect({ table: name, what, found: text.includes(value) }).toEqual({ table: name, what, found: false });
  });

  it('finds the canaries stored beside them, and the redaction marks in their place', () => {
    expect(tables['spans']).toContain(CANARY);
    expect(tables['logs']).toContain(LOG_CANARY);
    expect(tables['spans']).toContain('[REDACTED:email]');
    expect(tables['spans']).toContain('[REDACTED:card]');
    expect(tables['logs']).toContain('[REDACTED:openai_key]');
  });

  it('replays the logged requests as recovery does (spansOfLogged, entriesOfLogged) in their redacted form', async () => {
    const seen: string[] = [];
    await t.server.durability!.wal.replay(
      (_lsn, r) => {
        if (r.type === 'request') {
          const spans = t.server.collector.decoder.spansOfLogged(r);
          if (spans.status === 'ok') seen.push(...spans.value.map((s) => JSON.stringify({ attributes: s.attributes, events: s.events.map((e) => e.attributes), status: s.statusMessage })));
        } else if (r.type === 'logs') {
          const entries = t.server.collector.logRoute.entriesOfLogged(r);
          if (entries.status === 'ok') seen.push(...entries.value.map((e) => JSON.stringify({ body: e.record.body, attributes: e.record.attributes })));
        }
      },
      new Set(['request', 'logs']),
    );
    const text = seen.join('\n');
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(text).toContain(CANARY);
    expect(text).toContain(LOG_CANARY);
    for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
  });

  it('writes no personal value to any file of the data directory, and the canary to the write-ahead log', async () => {
    // After shutdown every file is final (the store's parts merged and flushed, the log synced).
    const files = filesUnder(t.dir);
    expect(files.some((f) => f.includes(`${join(t.dir, 'wal')}`))).toBe(true);
    expect(walText).toContain(CANARY);
    expect(walText).toContain(LOG_CANARY);
    await t.server.shutdown();
    for (const f of filesUnder(t.dir)) {
      const bytes = readFileSync(f);
      for (const [what, value] of Object.entries(PERSONAL)) expect({ file: f, what, found: bytes.includes(value) }).toEqual({ file: f, what, found: false });
    }
  });

  it('keeps JSON message attributes valid JSON, usage and session ids as sent', async () => {
    const spans = JSON.parse(tables['spans']!) as { SpanName: string; SpanAttributes: Record<string, string>; SessionId: string; StatusMessage: string }[];
    const chats = spans.filter((s) => s.SpanName === 'chat gpt-4o-mini');
    expect(chats).toHaveLength(3);
    for (const s of chats) {
      const input = JSON.parse(s.SpanAttributes['gen_ai.input.messages']!) as { parts: { content: string }[] }[];
      expect(input[1]!.parts[0]!.content).toBe('I am [REDACTED:email], card [REDACTED:card], call [REDACTED:phone]');
      expect(JSON.parse(s.SpanAttributes['ai.prompt']!)).toEqual({ prompt: 'use [REDACTED:anthropic_key] and [REDACTED:aws_access_key]' });
      expect(s.SpanAttributes['gen_ai.usage.input_tokens']).toBe('1200');
      expect(s.StatusMessage).toBe('refused for [REDACTED:email]');
    }
    expect(chats.map((s) => s.SessionId).sort()).toEqual(['sess-globex', 'sess-grpc', 'sess-http']);
  });

  it('hashes equal values to equal tokens within a tenant and different ones across tenants', () => {
    const spans = JSON.parse(tables['spans']!) as { SpanName: string; TenantId: string; SpanAttributes: Record<string, string> }[];
    const token = (tenant: string) => spans.filter((s) => s.SpanName === 'chat gpt-4o-mini' && s.TenantId === tenant).map((s) => s.SpanAttributes['app.user_email']);
    const acme = token('acme');
    const globex = token('globex');
    expect(acme).toHaveLength(2);
    expect(acme[0]).toMatch(/^\[HMAC:[0-9a-f]{24}\]$/);
    expect(acme[1]).toBe(acme[0]);
    expect(globex[0]).toMatch(/^\[HMAC:[0-9a-f]{24}\]$/);
    expect(globex[0]).not.toBe(acme[0]);
  });

  it('counts redactions by rule and tenant in /metrics', () => {
    const metrics = t.server.collector.registry.getSingleMetricAsString('agenttail_redactions_total');
    return metrics.then((text) => {
      expect(text).toMatch(/agenttail_redactions_total\{rule="email",tenant="acme",signal="traces"\} \d+/);
      expect(text).toMatch(/agenttail_redactions_total\{rule="user-email",tenant="globex",signal="traces"\} 1/);
      expect(text).toMatch(/agenttail_redactions_total\{rule="card",tenant="acme",signal="logs"\} 2/);
    });
  });
});
