/** `agenttail simulate` as a person runs it: no collector → one line at once; an incomplete report → non-zero exit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/commands/cli-error.js';
import { runSimulation } from '../../src/simulate/run.js';
import { closedPort, runCli } from '../support/cli-child.js';
import { startTestServer, type TestServer } from '../support/server.js';

const NO_TRAFFIC = { error: 0, rarePath: 0, costOutlier: 0, lowEval: 0, lateLowEval: 0 };

describe('agenttail simulate', () => {
  it('fails with one line naming the address when nothing listens, before sending anything', async () => {
    const grpc = `127.0.0.1:${await closedPort()}`;
    const r = await runCli(['simulate', '--grpc', grpc, '--sessions', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`agenttail: nothing listening on ${grpc} (the collector's OTLP/gRPC port) — start the collector with npm start`]);
    expect(r.stdout).toBe('');
  });

  it('refuses in runSimulation too, with a CliError (no retries against a closed port)', async () => {
    const grpc = `127.0.0.1:${await closedPort()}`;
    const err = await runSimulation({ grpcTarget: grpc, httpUrl: 'http://127.0.0.1:1', sessions: 1, seed: 1, shares: NO_TRAFFIC, concurrency: 1, decisionWaitMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toContain(`nothing listening on ${grpc}`);
  });

  describe('against a collector that decides too late', () => {
    let t: TestServer;
    beforeAll(async () => {
      // Sessions stay open for a minute: a 1.5 s wait cannot see them decided.
      t = await startTestServer({ sessions: { idleTimeoutMs: 60_000 } });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('prints the report, a progress line while it waits, and exits 2 saying how many sessions were not decided', async () => {
      const r = await runCli(['simulate', '--grpc', t.grpcTarget, '--http', t.httpUrl, '--sessions', '4', '--wait-ms', '1500', '--error-share', '0', '--rare-share', '0', '--outlier-share', '0', '--low-eval-share', '0', '--late-eval-share', '0']);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('4 sessions sent, 0 decided');
      expect(r.stderr).toContain('waiting for decisions: 0/4 sessions decided');
      expect(r.stderr.trim().split('\n').at(-1)).toBe(
        "agenttail: report incomplete: 4 of 4 sessions not decided within --wait-ms 1500 (raise --wait-ms, or check the collector's sessions.idleTimeoutMs)",
      );
    });

    it('targets the ports its configuration names when --grpc and --http are not given (it targeted 4317/4318)', async () => {
      const env = { AGENTTAIL_CFG__RECEIVE__GRPC__PORT: String(t.server.grpcPort), AGENTTAIL_CFG__RECEIVE__HTTP__PORT: String(t.server.httpPort) };
      const r = await runCli(['simulate', '--sessions', '2', '--wait-ms', '500', '--error-share', '0', '--rare-share', '0', '--outlier-share', '0', '--low-eval-share', '0', '--late-eval-share', '0'], { env });
      expect(r.stderr).not.toContain('nothing listening');
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('2 sessions sent, 0 decided');
    });
  });
});
