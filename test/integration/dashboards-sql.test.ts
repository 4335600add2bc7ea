/**
 * Every panel and variable query of dashboards/*.json, expanded the way the Grafana ClickHouse plugin expands it,
 * runs on the embedded engine against the real schema filled by the real pipeline (simulated agent traffic of three
 * tenants through OTLP/gRPC, late evals, upgrades, early decisions), returns the columns its spec names and rows.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_SPECS } from '../../dashboards/build/index.js';
import type { SqlPanelSpec } from '../../dashboards/build/grafana.js';
import { TRACE_COLUMNS } from '../../dashboards/build/session-explorer.js';
import { hostInfo } from '../../src/conventions/region-table.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { encodeTraces } from '../../src/simulate/encode.js';
import { costSent } from '../../src/simulate/run.js';
import { DETECTOR_LABELS } from '../../src/simulate/detector-scenarios.js';
import { generateScenario, type SimSession } from '../../src/simulate/scenario.js';
import { OtlpGrpcSender } from '../../src/simulate/sender.js';
import { allPanels, loadDashboards, variableSql, type GrafanaDashboard } from '../support/dashboards.js';
import { expandPanelSql, type MacroContext, type TemplateVariable } from '../support/grafana-macros.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface JsonResult {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

const TENANTS = ['default', 'acme', 'globex'];
const EU = ['eu', 'eu-*', 'europe-*'];
const SESSIONS_PER_TENANT = 70;

let t: TestServer;
let client: ClickHouseClient;
let sent: SimSession[] = [];
let late: SimSession[] = [];
let range: { fromMs: number; toMs: number };
/** The one model call the SDK's token histogram leaves out (so the cost dashboard shows a difference). */
let unrecorded: { tenant: string; service: string; model: string; input: number; output: number };

async function run(query: string): Promise<JsonResult> {
  const rs = await client.query({ query, format: 'JSON' });
  return (await rs.json()) as unknown as JsonResult;
}

async function scalar(query: string): Promise<number> {
  const r = await run(query);
  return Number(Object.values(r.data[0] ?? {})[0] ?? 0);
}

async function waitFor(what: string, done: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends each tenant's sessions turn by turn (one Export per trace), several sessions at once. */
async function send(sessions: SimSession[], tenant: string, sender: OtlpGrpcSender): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sessions.length) {
      const s = sessions[next++]!;
      const resourceAttributes = tenant === 'default' ? undefined : { 'tenant.id': tenant };
      for (const trace of s.traces) await sender.send(encodeTraces([trace], { serviceName: `${s.agent}-svc`, resourceAttributes }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
}

/**
 * One OTLP/JSON log record per model-call span (an inference-details event in the span's context), per tenant, after
 * the decisions: kept sessions' records are stored, dropped ones' are not, so the session explorer's logs panel has
 * rows for the kept session it opens.
 */
async function sendLogs(sessions: SimSession[]): Promise<void> {
  const nowNs = String(BigInt(Date.now()) * 1_000_000n);
  for (const tenant of TENANTS) {
    const mine = sessions.filter((s) => s.sessionId.includes(`dash-${tenant}`));
    const logRecords = mine.flatMap((s) =>
      s.traces.flatMap((tr) =>
        tr.spans
          .filter((sp) => sp.usage !== undefined)
          .map((sp) => ({ timeUnixNano: nowNs, traceId: tr.traceId, spanId: sp.spanId, eventName: 'gen_ai.client.inference.operation.details', body: { stringValue: `${sp.name} answered` } })),
      ),
    );
    const resource = { attributes: [...(tenant === 'default' ? [] : [{ key: 'tenant.id', value: { stringValue: tenant } }]), { key: 'service.name', value: { stringValue: 'sim' } }] };
    const res = await fetch(`${t.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }] }) });
    expect(res.status).toBe(200);
  }
  await waitFor('kept sessions\' log records', async () => (await scalar('SELECT count() FROM agenttail.logs')) > 0);
}

/**
 * The OpenTelemetry metrics SDK's own gen_ai.client.token.usage histogram (delta temporality, OTLP/HTTP JSON), one
 * meter provider per tenant and service, recording every model call's input and output tokens but the first of acme.
 */
async function sendTokenMetrics(sessions: SimSession[]): Promise<void> {
  const providers = new Map<string, MeterProvider>();
  for (const tenant of TENANTS) {
    for (const s of sessions.filter((x) => x.sessionId.includes(`dash-${tenant}`))) {
      const service = `${s.agent}-svc`;
      let provider = providers.get(`${tenant}/${service}`);
      if (provider === undefined) {
        const exporter = new OTLPMetricExporter({ url: `${t.httpUrl}/v1/metrics`, temporalityPreference: AggregationTemporality.DELTA });
        const resource = resourceFromAttributes({ 'service.name': service, ...(tenant === 'default' ? {} : { 'tenant.id': tenant }) });
        provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] });
        providers.set(`${tenant}/${service}`, provider);
      }
      const histogram = provider.getMeter('sim').createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
      for (const sp of s.traces.flatMap((tr) => tr.spans)) {
        if (sp.usage === undefined) continue;
        if (unrecorded === undefined && tenant === 'acme') {
          unrecorded = { tenant, service, model: sp.model!, input: sp.usage.inputTokens, output: sp.usage.outputTokens };
          continue;
        }
        const attrs = { 'gen_ai.provider.name': sp.provider!, 'gen_ai.request.model': sp.model!, 'gen_ai.response.model': sp.model!, 'gen_ai.operation.name': 'chat' };
        histogram.record(sp.usage.inputTokens, { ...attrs, 'gen_ai.token.type': 'input' });
        histogram.record(sp.usage.outputTokens, { ...attrs, 'gen_ai.token.type': 'output' });
      }
    }
  }
  // Shutdown exports what each provider holds, once.
  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  await waitFor('the token histograms', async () => (await scalar("SELECT count() FROM agenttail.otel_metrics_histogram WHERE MetricName = 'gen_ai.client.token.usage'")) > 0);
}

beforeAll(async () => {
  // A small buffer so that some sessions are decided early (soft limit 80 % of 300 kB) while traffic flows.
  // acme may run its calls in the EU only: its sessions routed elsewhere are kept with reason residency.
  t = await startTestServer({ sessions: { idleTimeoutMs: 300, maxBufferBytes: 300_000 }, residency: { tenants: { acme: { allowedRegions: EU } } } });
  client = t.server.store.client;
  const startMs = Date.now();
  const sender = new OtlpGrpcSender({ target: t.grpcTarget });
  try {
    // Each detector pattern at 3 % (Agent health), the rest as before.
    const shares = { error: 0.08, rarePath: 0.08, costOutlier: 0.04, lowEval: 0.08, lateLowEval: 0.08, detector: 0.03, nearMiss: 0.04 };
    const byTenant = TENANTS.map((tenant, i) => ({
      tenant,
      sessions: generateScenario({ sessions: SESSIONS_PER_TENANT, seed: 11 + i, runId: `dash-${tenant}`, shares, nowMs: Date.now() }),
    }));
    await Promise.all(byTenant.map((b) => send(b.sessions, b.tenant, sender)));
    sent = byTenant.flatMap((b) => b.sessions);
    late = byTenant[0]!.sessions.filter((s) => s.lateEval);
  } finally {
    sender.close();
  }
  await waitFor('every session row', async () => (await scalar('SELECT count() FROM agenttail.sessions FINAL')) === sent.length);
  // Late low evals (tenant "default", the open-mode tenant of /v1/evals) upgrade dropped sessions.
  const res = await fetch(`${t.httpUrl}/v1/evals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ evals: late.map((s) => ({ sessionId: s.sessionId, ...s.lateEval })) }),
  });
  expect(res.status).toBe(200);
  const lateIds = late.map((s) => `'${s.sessionId}'`).join(',');
  await waitFor('the upgrades', async () => (await scalar(`SELECT countIf(Kept) FROM agenttail.sessions FINAL WHERE SessionId IN (${lateIds})`)) === late.length);
  await sendLogs(sent);
  await sendTokenMetrics(sent);
  await t.server.store.forceFlush();
  range = { fromMs: startMs - 3_600_000, toMs: Date.now() + 3_600_000 };
}, 120_000);

afterAll(async () => {
  await t?.close();
});

/** Resolves each query variable in order (later ones read earlier ones) and returns the context with All selected. */
async function contextFor(d: GrafanaDashboard, selections: Record<string, string | string[]>): Promise<MacroContext> {
  const ctx: MacroContext = { ...range, intervalMs: 60_000, variables: {} };
  for (const v of d.templating.list) {
    const sql = variableSql(v);
    const selected = selections[v.name];
    if (sql === null) {
      ctx.variables[v.name] = { current: selected ?? '' };
      continue;
    }
    const r = await run(expandPanelSql(sql, ctx));
    expect(r.meta.length, `variable ${v.name} returns one column`).toBe(1);
    const options = r.data.map((row) => String(Object.values(row)[0]));
    const variable: TemplateVariable = { current: selected ?? (v.includeAll ? ['$__all'] : (options[0] ?? '')), options };
    ctx.variables[v.name] = variable;
  }
  return ctx;
}

function specOf(file: string, title: string): SqlPanelSpec {
  const spec = DASHBOARD_SPECS[file]!;
  const panel = spec.sections.flatMap((s) => s.panels).find((p) => p.title === title);
  if (!panel || panel.kind !== 'sql') throw new Error(`${file}: no SQL panel spec titled ${title}`);
  return panel;
}

/** Runs every ClickHouse panel of a dashboard in a context; returns results by panel title. */
async function runPanels(file: string, d: GrafanaDashboard, ctx: MacroContext): Promise<Map<string, JsonResult>> {
  const out = new Map<string, JsonResult>();
  for (const panel of allPanels(d)) {
    for (const target of panel.targets ?? []) {
      if (target.rawSql === undefined) continue;
      let result: JsonResult;
      try {
        result = await run(expandPanelSql(target.rawSql, ctx));
      } catch (err) {
        throw new Error(`${file} / ${panel.title}: ${(err as Error).message}`);
      }
      const spec = specOf(file, panel.title);
      expect(result.meta.map((m) => m.name), `${file} / ${panel.title}: columns`).toEqual(spec.columns.map((c) => c.name));
      if (target.format === 0) {
        expect(result.meta[0]!.type, `${file} / ${panel.title}: time column`).toMatch(/^(Nullable\()?(DateTime|Date)/);
        expect(result.meta.slice(1).some((m) => /Int|Float|Decimal/.test(m.type)), `${file} / ${panel.title}: a numeric series`).toBe(true);
      }
      out.set(panel.title, result);
    }
  }
  return out;
}

const dashboards = loadDashboards();

describe('dashboard SQL on the embedded engine with simulated traffic', () => {
  it('the data covers what the panels show (kept, dropped, errors, rare paths, evals, upgrades, early decisions, tenants)', async () => {
    expect(await scalar('SELECT uniqExact(TenantId) FROM agenttail.sessions FINAL')).toBe(3);
    expect(await scalar("SELECT countIf(has(Reasons, 'early:memory')) FROM agenttail.sessions FINAL")).toBeGreaterThan(0);
    expect(await scalar("SELECT countIf(has(Reasons, 'upgrade:low_eval')) FROM agenttail.sessions FINAL")).toBeGreaterThan(0);
    expect(await scalar("SELECT countIf(has(Reasons, 'rare_path')) FROM agenttail.sessions FINAL")).toBeGreaterThan(0);
    expect(await scalar('SELECT countIf(NOT Kept) FROM agenttail.sessions FINAL')).toBeGreaterThan(0);
    expect(await scalar('SELECT count() FROM agenttail.evals')).toBeGreaterThan(0);
  });

  for (const { file, dashboard } of dashboards) {
    it(`${file}: every panel runs with All selected, returns its columns and rows`, async () => {
      const selections: Record<string, string | string[]> = {};
      if (file === 'session-explorer.json') {
        // Open a kept session with an inline low eval: it has turns, spans and evals.
        const r = await run(
          "SELECT SessionId FROM agenttail.sessions FINAL WHERE Kept AND has(Reasons, 'low_eval') ORDER BY SessionId LIMIT 1",
        );
        selections.session = String(r.data[0]!.SessionId);
      }
      const ctx = await contextFor(dashboard, selections);
      const results = await runPanels(file, dashboard, ctx);
      expect(results.size).toBe(allPanels(dashboard).filter((p) => p.targets?.some((x) => x.rawSql !== undefined)).length);
      for (const [title, r] of results) expect(r.data.length, `${file} / ${title}: rows`).toBeGreaterThan(0);
    });

    it(`${file}: every panel runs with one tenant, service, agent and model selected`, async () => {
      const pick = await run(
        "SELECT TenantId, ServiceName, AgentName, Model FROM agenttail.usage_hourly WHERE TenantId = 'acme' ORDER BY Calls DESC LIMIT 1",
      );
      const row = pick.data[0] as Record<string, string>;
      const selections: Record<string, string | string[]> = { tenant: [row.TenantId!], service: [row.ServiceName!], agent: [row.AgentName!], model: [row.Model!] };
      const ctx = await contextFor(dashboard, selections);
      await runPanels(file, dashboard, ctx);
    });
  }

  it('the session explorer shows each log record beside its model-call span, and no dropped session has logs stored', async () => {
    const d = dashboards.find((x) => x.file === 'session-explorer.json')!.dashboard;
    const sid = String((await run("SELECT SessionId FROM agenttail.sessions FINAL WHERE Kept AND has(Reasons, 'error') ORDER BY SessionId LIMIT 1")).data[0]!.SessionId);
    const results = await runPanels('session-explorer.json', d, await contextFor(d, { session: sid }));
    const rows = results.get('Logs and events of the session')!.data;
    const calls = sent.find((x) => x.sessionId === sid)!.traces.flatMap((tr) => tr.spans.filter((sp) => sp.usage !== undefined));
    expect(rows.map((r) => String(r.span)).sort()).toEqual(calls.map((c) => c.name).sort());
    expect(rows.every((r) => r.event === 'gen_ai.client.inference.operation.details')).toBe(true);
    expect(await scalar('SELECT count() FROM agenttail.logs WHERE SessionId IN (SELECT SessionId FROM agenttail.sessions FINAL WHERE NOT Kept)')).toBe(0);
    expect(await scalar('SELECT count() FROM agenttail.logs')).toBeGreaterThan(0);
  });

  it('the cost dashboard sets the SDK token histogram beside the exact rollup: equal but for the one call the SDK left out', async () => {
    const d = dashboards.find((x) => x.file === 'cost-and-tenants.json')!.dashboard;
    const rows = (await runPanels('cost-and-tenants.json', d, await contextFor(d, {}))).get('SDK gen_ai.client.token.usage vs exact span rollup')!.data;
    expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set(TENANTS));
    const off = rows.filter((r) => Number(r.input_difference) !== 0 || Number(r.output_difference) !== 0);
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ tenant: unrecorded.tenant, service: unrecorded.service, model: unrecorded.model, input_difference: -unrecorded.input, output_difference: -unrecorded.output });
    expect(rows[0]).toEqual(off[0]);
    for (const r of rows.slice(1)) expect(Number(r.sdk_input), `${r.tenant}/${r.service}/${r.model}`).toBe(Number(r.exact_input));
    expect(rows.reduce((n, r) => n + Number(r.exact_input), 0)).toBeGreaterThan(0);
  });

  it('finance totals are exact: the cost stat equals the cost sent, and sessions count every session', async () => {
    const d = dashboards.find((x) => x.file === 'cost-and-tenants.json')!.dashboard;
    const results = await runPanels('cost-and-tenants.json', d, await contextFor(d, {}));
    const cost = Number(results.get('Cost (exact, dropped sessions included)')!.data[0]!.cost_usd);
    expect(Math.abs(cost - costSent(sent, new Pricer()))).toBeLessThan(1e-6);
    expect(Number(results.get('Sessions (exact, dropped included)')!.data[0]!.sessions)).toBe(sent.length);
    const perTenant = results.get('Cost per tenant per day (exact, dropped sessions included)')!.data;
    expect(new Set(perTenant.map((r) => r.tenant))).toEqual(new Set(TENANTS));
  });

  it('the overview counts every session and the sampling panels see early decisions and upgrades', async () => {
    const o = dashboards.find((x) => x.file === 'agents-overview.json')!.dashboard;
    const overview = await runPanels('agents-overview.json', o, await contextFor(o, {}));
    expect(Number(overview.get('Sessions')!.data[0]!.sessions)).toBe(sent.length);
    const s = dashboards.find((x) => x.file === 'sampling.json')!.dashboard;
    const sampling = await runPanels('sampling.json', s, await contextFor(s, {}));
    const series = sampling.get('Early decisions and upgrades over time')!.data;
    expect(series.reduce((n, r) => n + Number(r.early), 0)).toBeGreaterThan(0);
    const upgrades = series.reduce((n, r) => n + Number(r.upgrades), 0);
    expect(upgrades).toBeGreaterThan(0);
    expect(upgrades).toBe(await scalar("SELECT countIf(arrayExists(r -> startsWith(r, 'upgrade:'), Reasons)) FROM agenttail.sessions FINAL"));
    const reasons = new Set(sampling.get('Decisions by reason over time')!.data.map((r) => r.reason));
    for (const r of ['error', 'rare_path', 'low_eval', 'baseline', 'dropped', 'early:memory']) expect(reasons, r).toContain(r);
  });

  it('agent health sees every detector the simulated sessions carry, and exactly as many sessions as were sent per pattern', async () => {
    const d = dashboards.find((x) => x.file === 'agent-health.json')!.dashboard;
    const results = await runPanels('agent-health.json', d, await contextFor(d, {}));
    const perDetector = new Map<string, number>();
    for (const r of results.get('Sessions per detector over time')!.data) perDetector.set(String(r.detector), (perDetector.get(String(r.detector)) ?? 0) + Number(r.sessions));
    for (const label of DETECTOR_LABELS) {
      const sentWith = sent.filter((s) => s.label === label).length;
      expect(sentWith, label).toBeGreaterThan(0);
      // Other sessions may show a pattern too (a rare path repeating one tool is a loop), never fewer.
      expect(perDetector.get(label) ?? 0, label).toBeGreaterThanOrEqual(sentWith);
    }
    const refusals = results.get('Provider refusals per provider')!.data.reduce((n, r) => n + Number(r.refusals), 0);
    expect(refusals).toBe(await scalar('SELECT sum(Refusals) FROM agenttail.sessions FINAL'));
  });

  it('providers and residency panels agree with what was sent: refusals, cost by region, every violating session', async () => {
    const pricer = new Pricer();
    const regionOf = (a: SimSession['traces'][number]['spans'][number]['attributes']): string =>
      (a['agenttail.provider.region'] as string | undefined) ?? hostInfo(String(a['server.address']))!.region;
    const costByRegion = new Map<string, number>();
    let refusals = 0;
    const violating = new Set<string>();
    for (const [i, tenant] of TENANTS.entries()) {
      for (const session of sent.slice(i * SESSIONS_PER_TENANT, (i + 1) * SESSIONS_PER_TENANT)) {
        for (const span of session.traces.flatMap((x) => x.spans)) {
          if (span.attributes['http.response.status_code'] === 429) refusals += 1;
          if (!span.usage) continue;
          const region = regionOf(span.attributes);
          const { costUsd } = pricer.priceUsage({ model: span.model ?? null, provider: span.provider ?? null, usage: span.usage, atUnixMs: span.startMs });
          costByRegion.set(region, (costByRegion.get(region) ?? 0) + (costUsd ?? 0));
          if (tenant === 'acme' && !/^(eu|eu-.*|europe-.*)$/.test(region)) violating.add(session.sessionId);
        }
      }
    }
    const p = dashboards.find((x) => x.file === 'providers.json')!.dashboard;
    const prov = await runPanels('providers.json', p, await contextFor(p, {}));
    expect(refusals).toBeGreaterThan(0);
    expect(prov.get('Refusals by provider, model and kind')!.data.reduce((n, r) => n + Number(r.refusals), 0)).toBe(refusals);
    expect(prov.get('Refusal rate by load: the knee (calls/min in flight per tenant and provider)')!.data.reduce((n, r) => n + Number(r.refusals), 0)).toBe(refusals);
    const c = dashboards.find((x) => x.file === 'cost-and-tenants.json')!.dashboard;
    const cost = await runPanels('cost-and-tenants.json', c, await contextFor(c, {}));
    const byRegion = new Map<string, number>();
    for (const r of cost.get('Cost by tenant, provider, region and endpoint (exact)')!.data) byRegion.set(String(r.region), (byRegion.get(String(r.region)) ?? 0) + Number(r.cost_usd));
    expect([...byRegion.keys()].sort()).toEqual([...costByRegion.keys()].sort());
    for (const [region, usd] of costByRegion) expect(Math.abs(byRegion.get(region)! - usd), region).toBeLessThan(1e-6);
    expect(violating.size).toBeGreaterThan(0);
    const listed = cost.get('Residency violations (every violating session is kept)')!.data.map((r) => String(r.session_id));
    expect(new Set(listed)).toEqual(violating);
  });

  it('the trace panel returns one turn as the plugin trace frame: one root, the OTel columns mapped', async () => {
    const d = dashboards.find((x) => x.file === 'session-explorer.json')!.dashboard;
    const r = await run("SELECT SessionId FROM agenttail.sessions FINAL WHERE Kept AND has(Reasons, 'error') ORDER BY SessionId LIMIT 1");
    const ctx = await contextFor(d, { session: String(r.data[0]!.SessionId) });
    const trace = (await runPanels('session-explorer.json', d, ctx)).get('Span tree of turn $trace')!;
    expect(trace.meta.map((m) => m.name)).toEqual(TRACE_COLUMNS);
    const types = Object.fromEntries(trace.meta.map((m) => [m.name, m.type]));
    expect(types.startTime).toBe('Float64');
    expect(types.duration).toBe('Float64');
    expect(types.tags).toBe('Array(Map(String, String))');
    expect(types.serviceTags).toBe('Array(Map(String, String))');
    expect(types.logs).toBe('Array(Tuple(name String, timestamp String, fields Array(Map(String, String))))');
    const rows = trace.data as Record<string, unknown>[];
    expect(new Set(rows.map((x) => x.traceID)).size).toBe(1);
    expect(rows.filter((x) => x.parentSpanID === '')).toHaveLength(1);
    const ids = new Set(rows.map((x) => x.spanID));
    for (const x of rows) if (x.parentSpanID !== '') expect(ids.has(x.parentSpanID)).toBe(true);
    const root = rows.find((x) => x.parentSpanID === '')!;
    expect(String(root.operationName)).toMatch(/^invoke_agent /);
    const tags = (rows[1]!.tags as Record<string, string>[]).map((m) => m.key);
    expect(tags).toContain('gen_ai.operation.name');
    expect(tags).toContain('agenttail.session_id');
    expect((root.serviceTags as Record<string, string>[]).find((m) => m.key === 'service.name')?.value).toMatch(/-svc$/);
  });
});
