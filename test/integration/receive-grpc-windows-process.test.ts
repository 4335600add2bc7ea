/**
 * The gRPC receive windows (src/receive/grpc-flow-control.ts) from outside: the built collector as a child process,
 * with windows set in its config file. A raw HTTP/2 client sees them before and after a kill -9 and restart; a real
 * OTel gRPC exporter sends one ~1 MB request (sixteen times HTTP/2's default window) twice, as a client that did not
 * see the first answer does, then kill -9 before the session is decided, a restart on the same data directory.
 * ClickHouse then holds each span once, with its prompt whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryDataDir, startCollectorProcess } from '../support/collector-process.js';
import { bigSpans, windowsSeen } from '../support/http2-windows.js';
import { deliverTwiceKillRestart, processConfig, stopWhenWritten } from '../support/redelivery-client.js';

const MiB = 1024 * 1024;
const WINDOWS = { stream: 2 * MiB, connection: 6 * MiB };
const SPANS = 600;
const PROMPT_BYTES = 1_500;

describe('gRPC receive windows, from outside', () => {
  it('grants the configured windows, and stores a request of many default windows once across a second delivery, kill -9 and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-windows-'));
    try {
      const config = processConfig(dir, {
        receive: { grpc: { streamWindowBytes: WINDOWS.stream, connectionWindowBytes: WINDOWS.connection } },
        sessions: { idleTimeoutMs: 1_500, sweepIntervalMs: 50 },
        sampling: { baselineRate: 1 },
      });
      const probe = await startCollectorProcess(dir, config);
      try {
        expect(await windowsSeen(`http://${probe.grpcTarget}`, WINDOWS.connection)).toEqual(WINDOWS);
      } finally {
        probe.child.kill('SIGKILL');
        await probe.exited;
      }

      const c = await deliverTwiceKillRestart(dir, config, bigSpans('sess-windows', SPANS, PROMPT_BYTES));
      expect(await windowsSeen(`http://${c.grpcTarget}`, WINDOWS.connection)).toEqual(WINDOWS);
      expect(await stopWhenWritten(c, 1)).toBe(0);
      const [[stored]] = await queryDataDir<{ n: number; u: number; whole: number }>(join(dir, 'clickhouse'), [
        `SELECT count() AS n, uniqExact(SpanId) AS u, countIf(length(SpanAttributes['gen_ai.prompt']) = ${PROMPT_BYTES}) AS whole FROM agenttail.spans WHERE SessionId = 'sess-windows'`,
      ]);
      expect(stored).toEqual({ n: SPANS, u: SPANS, whole: SPANS });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
