import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepMerge, parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/main/lifecycle.js';
import { TEST_RECEIVE } from '../support/collector.js';
import { buildExportRequestJson, fixtureId, type FixtureSpan } from '../support/otlp-fixtures.js';

const MS = 1_000_000n;
let dir: string;
let ids = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agt-warm-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A collector on the shared store with its own (new, empty) log directory. */
async function start(name: string, warmStart: boolean): Promise<RunningServer> {
  const config = parseConfig(
    deepMerge(
      {
        dataDir: join(dir, name),
        store: { path: join(dir, 'clickhouse'), flushIntervalMs: 100 },
        sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 },
        receive: TEST_RECEIVE,
        // Only the policy under test: an outlier is kept by cost_outlier or not at all.
        sampling: { baselineRate: 0, policies: { error: { enabled: false }, rarePath: { enabled: false }, latency: { enabled: false }, lowEval: { enabled: false }, costOutlier: { maxCostUsd: null, maxTokens: null } } },
        shared: { warmStart: { enabled: warmStart } },
      },
      {},
    ),
  );
  return startServer(config, silentLogger());
}

/** One session: a single chat span of agent `support` with `tokens` input tokens. */
function session(sessionId: string, tokens: number): FixtureSpan {
  const startNs = BigInt(Date.now() - 2_000) * MS;
  return {
    traceId: fixtureId(++ids, 16),
    spanId: fixtureId(++ids, 8),
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs + 50n * MS,
    attributes: {
      'gen_ai.conversation.id': sessionId,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.agent.name': 'support',
      'gen_ai.usage.input_tokens': tokens,
      'gen_ai.usage.output_tokens': Math.round(tokens / 10),
    },
  };
}

async function send(s: RunningServer, spans: FixtureSpan[]): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${s.httpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: buildExportRequestJson(spans) });
  expect(res.status).toBe(200);
}

/** Waits until the session rows are in the store; returns Kept and Reasons by session id. */
async function rows(s: RunningServer, sessionIds: string[]): Promise<Map<string, { Kept: boolean; Reasons: string[] }>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rs = await s.store.client.query({
      query: `SELECT SessionId, Kept, Reasons FROM ${s.store.database}.sessions FINAL WHERE SessionId IN {ids:Array(String)}`,
      query_params: { ids: sessionIds },
      format: 'JSONEachRow',
    });
    const got = await rs.json<{ SessionId: string; Kept: boolean; Reasons: string[] }>();
    if (got.length === sessionIds.length) return new Map(got.map((r) => [r.SessionId, r]));
    if (Date.now() > deadline) throw new Error(`session rows not written: ${got.length} of ${sessionIds.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('WarmStart', () => {
  describe('at start of a collector on an empty log', () => {
    it('seeds the cost quantiles from stored sessions and flags the first outlier it sees; a cold start does not', async () => {
      // An earlier instance decided 80 ordinary sessions (1,000–1,790 input tokens) and stored them.
      const first = await start('first', true);
      const ordinary = Array.from({ length: 80 }, (_, i) => `ordinary-${i}`);
      try {
        await send(first, ordinary.map((id, i) => session(id, 1_000 + (i % 80) * 10)));
        const stored = await rows(first, ordinary);
        expect([...stored.values()].filter((r) => r.Kept)).toEqual([]);
      } finally {
        await first.shutdown();
      }

      // Restarted on an empty log, without warm start: every key is cold, the outlier passes.
      const cold = await start('cold', false);
      try {
        await send(cold, [session('outlier-cold', 40_000)]);
        expect((await rows(cold, ['outlier-cold'])).get('outlier-cold')).toMatchObject({ Kept: false });
      } finally {
        await cold.shutdown();
      }

      // Restarted on an empty log with warm start: the first session after start is judged against the store's history.
      const warm = await start('warm', true);
      try {
        expect(warm.recovery?.decisionsReused).toBe(0);
        expect(warm.shared.warmStartReport).toMatchObject({ coldKeys: 1 });
        expect(warm.shared.warmStartReport!.sessionsLearned).toBeGreaterThanOrEqual(80);
        await send(warm, [session('outlier-warm', 40_000), session('ordinary-after', 1_200)]);
        const after = await rows(warm, ['outlier-warm', 'ordinary-after']);
        expect(after.get('outlier-warm')).toMatchObject({ Kept: true, Reasons: ['cost_outlier'] });
        expect(after.get('ordinary-after')).toMatchObject({ Kept: false });
      } finally {
        await warm.shutdown();
      }
    });
  });
});
