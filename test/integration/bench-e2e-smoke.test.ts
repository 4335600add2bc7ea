/**
 * Smoke test of the e2e bench's parts (bench/e2e/): stamped requests decode into distinct sessions, the
 * generator sends to the ceiling server and to a real collector, and what it counts as accepted is what
 * the collector counts. A few hundred spans, no timing assertions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorWindows, startCeilingServer } from '../../bench/e2e/ceiling-server.js';
import { phaseOverrides } from '../../bench/e2e/collector.js';
import { runGenerator, type GeneratorParams } from '../../bench/e2e/generator.js';
import { histogramQuantile, parseMetrics, sum } from '../../bench/e2e/prom.js';
import { buildPool, poolToJson, stamp, type TemplatePair } from '../../bench/e2e/requests.js';
import { decodeExportRequest } from '../../src/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/otlp/types.js';
import { deepMerge } from '../../src/config/load.js';
import { startTestServer } from '../support/server.js';

let dir: string;
let pool: TemplatePair[];
let poolFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agt-bench-smoke-'));
  pool = buildPool({ pairs: 2, spansPerRequest: 60, seed: 3 });
  poolFile = join(dir, 'pool.json');
  writeFileSync(poolFile, poolToJson(pool));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const params = (target: string, over: Partial<GeneratorParams>): GeneratorParams => ({
  target,
  poolFile,
  senderIndex: 0,
  durationMs: 300,
  spansPerSecond: 0,
  concurrency: 2,
  channels: 1,
  ...over,
});

describe('bench/e2e', () => {
  it('stamps each send with its own session and trace ids; parts A and B of a pair share them', () => {
    const decode = (b: Buffer) => decodeExportRequest(b, DEFAULT_DECODE_LIMITS, Date.now()).spans;
    const a1 = decode(stamp(pool[0]!.a, 1));
    const b1 = decode(stamp(pool[0]!.b, 1));
    const a2 = decode(stamp(pool[0]!.a, 2));
    expect(a1).toHaveLength(pool[0]!.a.spans);
    const sessions = (spans: typeof a1) => new Set(spans.map((s) => s.attributes['gen_ai.conversation.id']));
    expect([...sessions(a1)].every((id) => typeof id === 'string' && id.startsWith('000000000001-'))).toBe(true);
    expect([...sessions(a2)].some((id) => sessions(a1).has(id))).toBe(false);
    expect(a2.some((s) => a1.some((x) => x.traceId === s.traceId))).toBe(false);
    // Roots (no parent) travel in part B, with the same trace ids as part A's children.
    expect(a1.some((s) => s.parentSpanId === '')).toBe(false);
    const bTraces = new Set(b1.filter((s) => s.parentSpanId === '').map((s) => s.traceId));
    expect(a1.every((s) => bTraces.has(s.traceId))).toBe(true);
  });

  it.each([
    ['with grpc-js\'s windows', undefined],
    ['with the collector\'s windows (ceiling-windows)', collectorWindows()],
  ])('sends as fast as accepted to the ceiling server %s', async (_name, windows) => {
    const server = await startCeilingServer('127.0.0.1', 0, windows);
    try {
      const r = await runGenerator(params(`127.0.0.1:${server.port}`, {}), () => {});
      expect(r.okRequests).toBeGreaterThan(0);
      expect(r.codes).toEqual({});
      expect(r.okSpans).toBe(r.sentSpans);
      expect(r.rttMs).toHaveLength(r.okRequests);
    } finally {
      server.stop();
    }
  });

  it('sends at a rate to a real collector, which accepts and decides what it counts', async () => {
    const t = await startTestServer({ sessions: { idleTimeoutMs: 100, sweepIntervalMs: 20 } });
    try {
      const r = await runGenerator(params(t.grpcTarget, { spansPerSecond: 1_000, durationMs: 400 }), () => {});
      expect(r.okRequests).toBeGreaterThan(0);
      expect(r.codes).toEqual({});
      let m = parseMetrics(await (await fetch(`${t.httpUrl}/metrics`)).text(), Date.now());
      expect(sum(m, 'agenttail_receive_spans_accepted_total')).toBe(r.okSpans);
      // Every session sent whole (parts A and B) is decided once idle.
      for (let i = 0; i < 50 && sum(m, 'agenttail_sessions_open_sessions') > 0; i++) {
        await new Promise((res) => setTimeout(res, 100));
        m = parseMetrics(await (await fetch(`${t.httpUrl}/metrics`)).text(), Date.now());
      }
      expect(sum(m, 'agenttail_sessions_decided_total')).toBeGreaterThan(0);
      expect(histogramQuantile(m, null, 'agenttail_sessions_decision_delay_seconds', 0.5, { trigger: 'idle' })).toBeGreaterThanOrEqual(0.1);
    } finally {
      await t.close();
    }
  });

  it('runs a phase with --rss-cap-mb as receive.overload.maxRssBytes: over the cap every send is refused UNAVAILABLE, as the overload target expects', async () => {
    const settings = { idleMs: 100, bufferBytes: 64 * 1024 * 1024, storeQueueBytes: 16 * 1024 * 1024, baselineRate: 0.04, decodeWorkers: 1 };
    expect(phaseOverrides({ ...settings, rssCapBytes: 0 })).toMatchObject({ receive: { overload: { maxRssBytes: 0 }, decodeWorkers: 1 } });
    // 1 byte: any process is over it.
    const t = await startTestServer(deepMerge(phaseOverrides({ ...settings, rssCapBytes: 1 }), { sessions: { sweepIntervalMs: 20 } }));
    try {
      expect(t.config.receive.overload.maxRssBytes).toBe(1);
      const r = await runGenerator(params(t.grpcTarget, { spansPerSecond: 1_000, durationMs: 300 }), () => {});
      expect(r.okRequests).toBe(0);
      expect(Object.keys(r.codes)).toEqual(['UNAVAILABLE']);
      const m = parseMetrics(await (await fetch(`${t.httpUrl}/metrics`)).text(), Date.now());
      expect(sum(m, 'agenttail_receive_requests_total', { code: 'AGT_ERR_MEMORY_LIMIT' })).toBe(r.codes.UNAVAILABLE);
      expect(sum(m, 'agenttail_process_rss_limit_bytes')).toBe(1);
    } finally {
      await t.close();
    }
  });
});
