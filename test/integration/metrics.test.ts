/**
 * /metrics exposes exactly the series docs/metrics.md lists, and they move when traffic flows; /healthz and /readyz
 * answer; every metric the dashboards' Prometheus panels query exists.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation, type SimulateResult } from '../../src/simulate/run.js';
import { allPanels, loadDashboards } from '../support/dashboards.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DOC = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
/** Series names in the first column of the doc's tables. */
const DOCUMENTED = [...DOC.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);

interface Scrape {
  types: Map<string, string>;
  /** Sum over all label sets of a series (counters, gauges; histograms: the _count). */
  total(name: string, labels?: Record<string, string>): number;
}

async function scrape(t: TestServer): Promise<Scrape> {
  const res = await fetch(`${t.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample) {
      const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
    }
  }
  return {
    types,
    total: (name, labels = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0),
  };
}

let t: TestServer;
let before: Scrape;
let during: Scrape | null = null;
let after: Scrape;
let result: SimulateResult;

beforeAll(async () => {
  // A small buffer (soft limit 80 % of 300 kB) so that some sessions are decided early.
  t = await startTestServer({ sessions: { idleTimeoutMs: 250, maxBufferBytes: 300_000 }, shared: { decisions: { enabled: true } } });
  before = await scrape(t);
  const run = runSimulation({
    grpcTarget: t.grpcTarget,
    httpUrl: t.httpUrl,
    sessions: 80,
    seed: 5,
    runId: 'metrics',
    concurrency: 8,
    shares: { error: 0.1, rarePath: 0.05, costOutlier: 0, lowEval: 0.05, lateLowEval: 0.1 },
    decisionWaitMs: 20_000,
  });
  let finished = false;
  void run.finally(() => (finished = true));
  // Catch the buffer while it holds sessions.
  while (!finished && during === null) {
    const s = await scrape(t);
    if (s.total('agenttail_sessions_open_sessions') > 0) during = s;
    else await new Promise((r) => setTimeout(r, 20));
  }
  result = await run;
  await t.server.store.forceFlush();
  after = await scrape(t);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('/metrics', () => {
  it('exposes every documented series, and documents every agenttail series it exposes', () => {
    expect(DOCUMENTED.length).toBeGreaterThan(40);
    const missing = DOCUMENTED.filter((name) => !after.types.has(name));
    expect(missing).toEqual([]);
    const undocumented = [...after.types.keys()].filter((name) => name.startsWith('agenttail_') && !DOCUMENTED.includes(name));
    expect(undocumented).toEqual([]);
  });

  it('counts what the traffic did', () => {
    const sessionsSent = result.report.lines.reduce((n, l) => n + l.sent, 0);
    expect(sessionsSent).toBe(80);
    const moved = (name: string, labels?: Record<string, string>): number => after.total(name, labels) - before.total(name, labels);
    expect(moved('agenttail_receive_requests_total', { code: 'ok' })).toBeGreaterThan(80);
    expect(moved('agenttail_receive_spans_received_total')).toBeGreaterThan(500);
    expect(moved('agenttail_receive_spans_accepted_total')).toBe(moved('agenttail_receive_spans_received_total'));
    expect(moved('agenttail_receive_bytes_total')).toBeGreaterThan(0);
    expect(moved('agenttail_pricing_spans_total', { source: 'catalog' })).toBeGreaterThan(80);
    expect(moved('agenttail_sessions_decided_total')).toBe(80);
    expect(moved('agenttail_sampling_decisions_total')).toBe(80);
    expect(moved('agenttail_sampling_decision_reasons_total', { outcome: 'kept', reason: 'error' })).toBeGreaterThan(0);
    expect(moved('agenttail_sampling_decision_reasons_total', { outcome: 'dropped' })).toBeGreaterThan(0);
    expect(moved('agenttail_sessions_early_decisions_total')).toBeGreaterThan(0);
    expect(moved('agenttail_sessions_decided_total', { trigger: 'early:memory' })).toBe(moved('agenttail_sessions_early_decisions_total'));
    expect(moved('agenttail_sessions_upgrades_total')).toBeGreaterThan(0);
    expect(moved('agenttail_sampling_upgrades_total')).toBe(moved('agenttail_sessions_upgrades_total'));
    expect(moved('agenttail_sessions_evals_total', { routed: 'decided' })).toBeGreaterThan(0);
    for (const table of ['spans', 'sessions', 'usage_hourly']) {
      expect(moved('agenttail_store_rows_written_total', { table }), table).toBeGreaterThan(0);
      expect(moved('agenttail_store_inserts_ok_total', { table }), table).toBeGreaterThan(0);
      expect(moved('agenttail_store_insert_duration_seconds_count', { table }), table).toBeGreaterThan(0);
    }
    expect(after.total('agenttail_store_rows_written_total', { table: 'sessions' })).toBeGreaterThanOrEqual(80);
    expect(moved('agenttail_warm_start_runs_total', { outcome: 'ok' }) + before.total('agenttail_warm_start_runs_total', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(moved('agenttail_shared_decisions_queries_total', { kind: 'select', outcome: 'ok' })).toBeGreaterThan(0);
  });

  it('shows the buffer filling while traffic flows and empty after, against its limits', () => {
    expect(during, 'a scrape while sessions were open').not.toBeNull();
    expect(during!.total('agenttail_sessions_buffered_bytes')).toBeGreaterThan(0);
    expect(during!.total('agenttail_sessions_buffered_spans')).toBeGreaterThan(0);
    expect(after.total('agenttail_sessions_open_sessions')).toBe(0);
    expect(after.total('agenttail_sessions_buffered_bytes')).toBe(0);
    expect(after.total('agenttail_sessions_buffer_limit_bytes')).toBe(300_000);
    expect(after.total('agenttail_sessions_buffer_soft_limit_bytes')).toBe(240_000);
    expect(after.total('agenttail_store_queue_rows')).toBe(0);
  });

  it('measures the event loop', () => {
    expect(after.types.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
    expect(after.total('nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0);
    expect(after.total('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
  });

  it('has every metric the dashboards query through Prometheus', () => {
    const exprs = loadDashboards().flatMap(({ dashboard }) => allPanels(dashboard).flatMap((p) => (p.targets ?? []).flatMap((x) => (x.expr ? [x.expr] : []))));
    expect(exprs.length).toBeGreaterThan(0);
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:agenttail|nodejs|process)_[a-z_]+)\b/g)].map((m) => m[1]!)));
    for (const name of names) expect(after.types.has(name), name).toBe(true);
  });
});

describe('/healthz and /readyz', () => {
  it('answer ok while the collector serves', async () => {
    const health = await fetch(`${t.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ok');
    expect(body.checks.store?.ok).toBe(true);
  });
});
