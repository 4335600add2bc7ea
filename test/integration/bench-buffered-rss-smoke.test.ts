/**
 * Smoke test of bench/buffered-rss.ts's parts (bench/buffered-rss/parts.ts): joined requests carry whole sessions with
 * fresh ids per nonce; the collector child is configured through AGENTTAIL_CFG__* only; what the sender counts as
 * acknowledged is what the sessions table holds after a graceful stop; refusals under an RSS cap are read with their
 * RetryInfo. Two collector children, a few hundred spans, no timing assertions.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEnv, OtlpSender, rejectedSpans, RequestStream, RssSampler, rssOf, sendClosedLoop, startRssCollector, wholeSessionPool } from '../../bench/buffered-rss/parts.js';
import { encodeExportResponse } from '../../src/otlp/encode-response.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { queryDataDir } from '../support/collector-process.js';

const pool = wholeSessionPool(2, 80, 3);

describe('bench/buffered-rss parts', () => {
  it('joins parts A and B: one request holds whole sessions (roots included), fresh ids for every nonce', () => {
    const stream = new RequestStream(pool);
    const decode = (b: Buffer) => decodeExportRequest(b, DEFAULT_DECODE_LIMITS, Date.now()).spans;
    const first = stream.next();
    const spans = decode(first.body);
    expect(spans).toHaveLength(pool[0]!.template.spans);
    expect(first.spans).toBe(spans.length);
    const traces = new Set(spans.map((s) => s.traceId));
    const rooted = new Set(spans.filter((s) => s.parentSpanId === '').map((s) => s.traceId));
    expect(rooted).toEqual(traces);
    const sessions = new Set(spans.map((s) => s.attributes['gen_ai.conversation.id']));
    expect(sessions.size).toBe(pool[0]!.sessions);
    stream.next();
    const again = decode(stream.next().body); // template 0 again, another nonce
    expect(again.some((s) => traces.has(s.traceId))).toBe(false);
    expect(again.some((s) => sessions.has(s.attributes['gen_ai.conversation.id']))).toBe(false);
  });

  it('names config variables and reads partial_success', () => {
    expect(configEnv({ sessions: { idleTimeoutMs: 5 }, receive: { overload: { maxRssBytes: 0 } } })).toEqual({
      AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS: '5',
      AGENTTAIL_CFG__RECEIVE__OVERLOAD__MAX_RSS_BYTES: '0',
    });
    expect(rejectedSpans(Buffer.from(encodeExportResponse({ rejected: 300, errorMessage: 'too old' })))).toBe(300);
    expect(rejectedSpans(Buffer.alloc(0))).toBe(0);
  });

  it('counts acknowledged spans as the sessions table does, and reads refusals with their RetryInfo', async () => {
    const [open, capped] = await Promise.all([
      startRssCollector({ sessions: { idleTimeoutMs: 200, sweepIntervalMs: 50 }, receive: { overload: { maxRssBytes: 0 } } }),
      // A cap far below any process's RSS: every Export is refused.
      startRssCollector({ receive: { overload: { maxRssBytes: 1024 * 1024 } } }),
    ]);
    expect(open.env.AGENTTAIL_CFG__DATA_DIR).toBe(open.dataDir);
    const a = new OtlpSender(open.proc.grpcTarget, 1);
    const b = new OtlpSender(capped.proc.grpcTarget, 1);
    try {
      const sampler = new RssSampler(open.pid, 50);
      await sampler.ready;
      expect(rssOf(open.pid)).toBeGreaterThan(10 * 1024 * 1024);
      const t = await sendClosedLoop(a, new RequestStream(pool), { requests: 4, concurrency: 2 });
      sampler.stop();
      expect(t.okRequests).toBe(4);
      expect(t.refused).toEqual({});
      expect(sampler.max()).toBeGreaterThan(0);

      const r = await sendClosedLoop(b, new RequestStream(pool), { requests: 2, concurrency: 1 });
      expect(r.okRequests).toBe(0);
      expect(Object.values(r.refused).reduce((x, y) => x + y, 0)).toBe(2);
      expect(r.refusedRetryable).toBe(2);

      await new Promise((res) => setTimeout(res, 600));
      open.proc.child.kill('SIGTERM');
      expect((await open.proc.exited).code).toBe(0);
      const [rows] = await queryDataDir<{ spans: string | number; sessions: string | number }>(join(open.dataDir, 'clickhouse'), ['SELECT sum(SpanCount) AS spans, count() AS sessions FROM agenttail.sessions FINAL']);
      expect(Number(rows![0]!.spans)).toBe(t.ackedSpans);
      expect(Number(rows![0]!.sessions)).toBe(t.ackedSessions);
    } finally {
      a.close();
      b.close();
      for (const c of [open, capped]) {
        if (c.proc.child.exitCode === null && c.proc.child.signalCode === null) {
          c.proc.child.kill('SIGKILL');
          await c.proc.exited;
        }
        rmSync(c.dataDir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});
