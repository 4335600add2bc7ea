/**
 * Decode workers from outside: the built collector as a child process with two trace decode workers, real OTel
 * exporters sending four sessions at once (OTLP/HTTP protobuf, which retries a 503 itself, and OTLP/gRPC, which does
 * not, so the client sends again as at-least-once clients do), and the second request handed to the workers ending
 * its worker as a crash would (`AGT_CRASH_AT=decode-worker:2`). The request the dead worker held is answered
 * retryably, the worker is replaced, and every session is stored once, with exact usage. And a batch sent twice (a
 * client that did not see the first answer) through the workers, kill -9 before any decision, a restart with workers
 * on the same data directory (recovery re-reads the logged requests on the main thread): each span stored and
 * counted once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { queryDataDir, startCollectorProcess } from '../support/collector-process.js';
import { buildSession, deliver, deliverTwiceKillRestart, metricSum, processConfig, SESSION_CALLS, SESSION_TOKENS, until, untilWritten } from '../support/redelivery-client.js';

/** Through the OTLP/HTTP protobuf exporter, which retries 429/503 answers itself; true once acknowledged. */
async function deliverHttp(httpUrl: string, spans: ReadableSpan[]): Promise<boolean> {
  const exporter = new ProtoTraceExporter({ url: `${httpUrl}/v1/traces`, timeoutMillis: 10_000 });
  try {
    return await new Promise<boolean>((resolve) => exporter.export(spans, (r) => resolve(r.code === ExportResultCode.SUCCESS)));
  } finally {
    await exporter.shutdown();
  }
}

/** Through the OTLP/gRPC exporter (no retries of its own): sent again on a failed answer, at most 5 times. */
async function deliverGrpcUntilAcknowledged(grpcTarget: string, spans: ReadableSpan[]): Promise<number> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (await deliver(grpcTarget, spans)) return attempt;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('not acknowledged after 5 attempts');
}

/** What the stopped collector stored: per session its span rows and distinct span ids, and the usage rollup's token sums. */
async function storedRows(dir: string): Promise<{ spans: [string, number, number][]; tokens: [number, number] }> {
  const [spans, usage] = await queryDataDir<Record<string, string | number>>(join(dir, 'clickhouse'), [
    'SELECT SessionId, count() AS n, uniqExact(SpanId) AS ids FROM agenttail.spans GROUP BY SessionId ORDER BY SessionId',
    'SELECT sum(InputTokens) AS i, sum(OutputTokens) AS o FROM agenttail.usage_hourly',
  ]);
  const u = usage![0]!;
  return { spans: spans!.map((r) => [String(r.SessionId), Number(r.n), Number(r.ids)]), tokens: [Number(u.i), Number(u.o)] };
}

describe('decode workers, from outside', () => {
  it('answers the requests of a worker that died retryably, replaces it, and stores every session once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-workers-'));
    try {
      const config = processConfig(dir, {
        receive: { decodeWorkers: 2 },
        sessions: { idleTimeoutMs: 800, sweepIntervalMs: 50 },
        sampling: { baselineRate: 1 },
      });
      const c = await startCollectorProcess(dir, config, { env: { AGT_CRASH_AT: 'decode-worker:2' } });
      let exit: { code: number | null } = { code: null };
      try {
        expect(c.logs.find((l) => l.msg === 'agenttail receivers listening')?.decodeWorkers).toBe(2);
        const sessions = ['dw-http-1', 'dw-http-2', 'dw-grpc-1', 'dw-grpc-2'];
        const results = await Promise.all(
          sessions.map((id) => (id.includes('http') ? deliverHttp(c.httpUrl, buildSession(id)).then((acked) => (acked ? 1 : 0)) : deliverGrpcUntilAcknowledged(c.grpcTarget, buildSession(id)))),
        );
        expect(results.every((r) => r >= 1)).toBe(true);
        expect(await metricSum(c, 'agenttail_receive_decode_worker_restarts_total')).toBe(1);
        const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
        const lost = [...text.matchAll(/^agenttail_receive_requests_total\{[^}]*code="AGT_ERR_DECODE_WORKER_LOST"[^}]*\} (\S+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
        // The request that ended the worker, and any queued behind it on that worker.
        expect(lost).toBeGreaterThanOrEqual(1);
        expect(lost).toBeLessThanOrEqual(3);
        await until('the worker is replaced', async () => (await metricSum(c, 'agenttail_receive_decode_workers')) === 2);
        expect(c.logs.some((l) => l.msg === 'decode worker stopped; replacing it')).toBe(true);
        await untilWritten(c, sessions.length);
      } finally {
        c.child.kill('SIGTERM');
        exit = await c.exited;
      }
      expect(exit.code).toBe(0);

      const stored = await storedRows(dir);
      // Each session's root and its model calls, each once although one request was sent twice.
      expect(stored.spans).toEqual(['dw-grpc-1', 'dw-grpc-2', 'dw-http-1', 'dw-http-2'].map((id) => [id, SESSION_CALLS + 1, SESSION_CALLS + 1]));
      expect(stored.tokens).toEqual([4 * SESSION_TOKENS.input, 4 * SESSION_TOKENS.output]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts and stores a batch sent twice once, across a kill -9 and a restart, with two workers before and after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-workers-kill-'));
    try {
      // Long enough that nothing is decided before the kill; decided soon after the restart.
      const config = processConfig(dir, { receive: { decodeWorkers: 2 }, sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50 }, sampling: { baselineRate: 1 } });
      const spans = [...buildSession('dw-kill-1'), ...buildSession('dw-kill-2')];
      const second = await deliverTwiceKillRestart(dir, config, spans);
      let exit: { code: number | null } = { code: null };
      try {
        expect(second.logs.find((l) => l.msg === 'agenttail receivers listening')?.decodeWorkers).toBe(2);
        expect(second.logs.find((l) => l.msg === 'recovered from the write-ahead log')?.requestsReplayed).toBe(2);
        await untilWritten(second, 2);
      } finally {
        second.child.kill('SIGTERM');
        exit = await second.exited;
      }
      expect(exit.code).toBe(0);
      const stored = await storedRows(dir);
      expect(stored.spans).toEqual([
        ['dw-kill-1', SESSION_CALLS + 1, SESSION_CALLS + 1],
        ['dw-kill-2', SESSION_CALLS + 1, SESSION_CALLS + 1],
      ]);
      expect(stored.tokens).toEqual([2 * SESSION_TOKENS.input, 2 * SESSION_TOKENS.output]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
