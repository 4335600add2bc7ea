import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalRoutes } from '../../src/api/evals-route.js';
import { samplingSchema } from '../../src/config/sampling.js';
import { sessionsSchema } from '../../src/config/sessions.js';
import { storeSchema } from '../../src/config/store.js';
import { silentLogger } from '../../src/log.js';
import { ok } from '../../src/model/outcome.js';
import { DecisionCache } from '../../src/sampling/decision-cache.js';
import { DecisionEngine } from '../../src/sampling/engine.js';
import { SessionBuffer } from '../../src/sessions/session-buffer.js';
import { ClickHouseStore } from '../../src/store/clickhouse-store.js';
import { sid, span, trace } from '../unit/sessions-fixtures.js';

type Conn = NonNullable<Parameters<typeof createClient>[0]>['connection'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agt-sessions-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SessionBuffer', () => {
  describe('with the embedded ClickHouse store and the evals route', () => {
    it('writes a dropped session, upgrades it on a posted low eval, and stores late spans of the kept session', async () => {
      const log = silentLogger();
      const clock = { ms: Date.now() };
      const now = (): number => clock.ms;
      const startNs = BigInt(clock.ms - 60_000) * 1_000_000n;
      const at = (s: number) => ({ startTimeUnixNano: startNs + BigInt(s) * 1_000_000_000n, endTimeUnixNano: startNs + BigInt(s + 1) * 1_000_000_000n });
      const usage = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

      const store = await ClickHouseStore.open({ config: storeSchema.parse({ kind: 'embedded', path: dir }), log });
      const sampling = samplingSchema.parse({ baselineRate: 0, policies: { rarePath: { enabled: false }, costOutlier: { enabled: false }, latency: { enabled: false } } });
      const engine = new DecisionEngine({ config: sampling, now });
      const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 1_000, now });
      const buffer = new SessionBuffer({ config: sessionsSchema.parse({ idleTimeoutMs: 1_000 }), engine, cache, store, log, now });
      const app = Fastify();
      await app.register(evalRoutes({ sink: buffer, authenticate: () => ok({ tenantId: 'it' }) }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const base = { tenantId: 'it', sessionId: 'int-1', traceId: trace(1) };
        await buffer.accept([
          span({ ...base, spanId: sid(1), ...at(0) }),
          span({ ...base, spanId: sid(2), parentSpanId: sid(1), usageRole: 'call', usage, ...at(0) }),
        ]);
        clock.ms += 1_000;
        buffer.sweep();
        expect(cache.get('it', 'int-1')?.decision.kept).toBe(false);

        const address = app.server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        const res = await fetch(`http://127.0.0.1:${port}/v1/evals`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ evals: [{ traceId: trace(1), name: 'faithfulness', score: 0.1 }] }),
        });
        expect(res.status).toBe(200);
        expect(cache.get('it', 'int-1')?.decision.reasons).toContain('upgrade:low_eval');

        await buffer.accept([span({ ...base, traceId: trace(2), spanId: sid(3), usageRole: 'call', usage, ...at(5) })]);
        await buffer.shutdown();
      } finally {
        await app.close();
        await store.shutdown();
      }

      const client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as Conn });
      try {
        const q = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
        const [session] = await q<{ Kept: boolean; Version: number; SpanCount: number; InputTokens: number; MinEvalScore: number }>(
          "SELECT Kept, Version, SpanCount, InputTokens, MinEvalScore FROM agenttail.sessions FINAL WHERE TenantId = 'it' AND SessionId = 'int-1'",
        );
        expect(session).toMatchObject({ Kept: true, Version: 3, SpanCount: 3, InputTokens: 200, MinEvalScore: 0.1 });
        // Only the span that arrived after the upgrade is in the spans table: rewriting earlier ones is the WAL's job.
        expect(await q<{ SpanId: string }>("SELECT SpanId FROM agenttail.spans WHERE TenantId = 'it'")).toEqual([{ SpanId: sid(3) }]);
        expect(await q<{ Name: string }>("SELECT Name FROM agenttail.evals WHERE TenantId = 'it'")).toEqual([{ Name: 'faithfulness' }]);
      } finally {
        await client.close();
      }
    }, 60_000);
  });
});
