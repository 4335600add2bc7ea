import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAiSdkToolLoop, runOpenAiSession } from '../support/detector-clients.js';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface SessionRow {
  Kept: boolean;
  Reasons: string[];
  Detectors: string[];
  Refusals: number;
  BackoffSeconds: number;
  ExcusedErrors: number;
  LoopLength: number;
  CacheMissedTokens: string;
  CacheCollapseExtraUsd: string;
  ErrorCount: number;
}

// Real clients → OTLP/gRPC → the whole collector (buffer, engine, embedded ClickHouse); the rows are read back.
describe('detectors on patterns produced by real clients', () => {
  let srv: TestServer;
  const exporter = () => new OTLPTraceExporter({ url: `http://${srv.grpcTarget}` });
  const query = async <T>(sql: string): Promise<T[]> => (await srv.server.store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  async function sessionRow(sessionId: string): Promise<SessionRow> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [row] = await query<SessionRow>(
        `SELECT Kept, Reasons, Detectors, Refusals, BackoffSeconds, ExcusedErrors, LoopLength, CacheMissedTokens, CacheCollapseExtraUsd, ErrorCount FROM agenttail.sessions FINAL WHERE SessionId = '${sessionId}'`,
      );
      if (row !== undefined) return row;
      if (Date.now() > deadline) throw new Error(`no session row for ${sessionId}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function flaggedSpans(sessionId: string): Promise<{ SpanName: string; DetectorFlags: string[]; Status: number }[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await query<{ SpanName: string; DetectorFlags: string[]; Status: number }>(
        `SELECT SpanName, DetectorFlags, SpanAttributes['http.response.status_code'] AS Status FROM agenttail.spans WHERE SessionId = '${sessionId}' AND length(DetectorFlags) > 0 ORDER BY Timestamp`,
      );
      if (rows.length > 0 || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    // No baseline and no learning policies: what keeps a session here is an error or a detector.
    srv = await startTestServer({ sampling: { baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } } });
  });
  afterAll(async () => srv.close());

  describe('retry_storm (openai client + OpenInference + undici instrumentation, provider answering 429 twice then 200)', () => {
    let fake: FakeOpenAI;
    beforeAll(async () => {
      fake = await startFakeOpenAI(undefined, (n) => (n <= 2 ? { status: 429 } : {}));
    });
    afterAll(async () => fake.close());

    it('keeps the session for retry_storm, not as an error, and flags the refused requests', async () => {
      await runOpenAiSession(exporter(), { baseURL: fake.baseURL, sessionId: 'det-storm', calls: 1, undici: true });
      expect(fake.requests).toBe(3);
      const row = await sessionRow('det-storm');
      expect(row.Detectors).toEqual(['retry_storm']);
      expect(row.Reasons).toEqual(['retry_storm']);
      expect(row).toMatchObject({ Kept: true, Refusals: 2, ExcusedErrors: 2, ErrorCount: 2 });
      expect(row.BackoffSeconds).toBeGreaterThan(0);
      const flagged = await flaggedSpans('det-storm');
      expect(flagged.map((s) => [s.DetectorFlags, s.Status])).toEqual([
        [['retry_storm'], '429'],
        [['retry_storm'], '429'],
      ]);
    });
  });

  describe('near miss: one 429 then 200', () => {
    let fake: FakeOpenAI;
    beforeAll(async () => {
      fake = await startFakeOpenAI(undefined, (n) => (n === 1 ? { status: 429 } : {}));
    });
    afterAll(async () => fake.close());

    it('drops the session: one retried refusal is neither a storm nor an error, and is still counted', async () => {
      await runOpenAiSession(exporter(), { baseURL: fake.baseURL, sessionId: 'det-one-429', calls: 1, undici: true });
      const row = await sessionRow('det-one-429');
      expect(row).toMatchObject({ Kept: false, Reasons: [], Detectors: [], Refusals: 1, ExcusedErrors: 1 });
    });
  });

  describe('cache_collapse (openai client + OpenInference, provider that stops returning cached tokens)', () => {
    let fake: FakeOpenAI;
    beforeAll(async () => {
      const cold = { ...FAKE_USAGE, prompt_tokens_details: { cached_tokens: 0 } };
      fake = await startFakeOpenAI(undefined, (n) => (n <= 2 ? {} : { usage: cold }));
    });
    afterAll(async () => fake.close());

    it('keeps the session for cache_collapse with the missed tokens and their extra cost, and flags the first cold call', async () => {
      await runOpenAiSession(exporter(), { baseURL: fake.baseURL, sessionId: 'det-collapse', calls: 5, undici: false });
      const row = await sessionRow('det-collapse');
      expect(row.Detectors).toEqual(['cache_collapse']);
      // Prefix 100 cached tokens missed on calls 3, 4 and 5; gpt-4o-mini input $0.15 vs cache read $0.075 per MTok.
      expect(Number(row.CacheMissedTokens)).toBe(300);
      expect(Number(row.CacheCollapseExtraUsd)).toBeCloseTo(300 * 0.075e-6, 12);
      expect((await flaggedSpans('det-collapse')).map((s) => s.DetectorFlags)).toEqual([['cache_collapse']]);
    });
  });

  describe('tool_loop (AI SDK v7 agent asking for the same tool call until the step limit)', () => {
    it('keeps the session for tool_loop with the loop length', async () => {
      const { toolCalls } = await runAiSdkToolLoop(exporter(), { sessionId: 'det-loop', steps: 10 });
      expect(toolCalls).toBe(10);
      const row = await sessionRow('det-loop');
      // A new call id each step: a loop, not a duplicated call (nor a race: each step waits for its tool).
      expect(row.Detectors).toEqual(['tool_loop']);
      expect(row.LoopLength).toBe(10);
      expect((await flaggedSpans('det-loop')).map((s) => s.SpanName)).toEqual(['execute_tool order_status']);
    });
  });
});
