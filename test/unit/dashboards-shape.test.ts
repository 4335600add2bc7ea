/**
 * dashboards/*.json have the shape Grafana loads, match their specs (dashboards/build), use the provisioned
 * datasources, declare every variable they use, and read the tables the way docs/storage.md says.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderDashboards } from '../../dashboards/build/index.js';
import { CLICKHOUSE_UID, PROMETHEUS_UID } from '../../dashboards/build/grafana.js';
import { allPanels, DASHBOARDS_DIR, loadDashboards, variableSql, type GrafanaDashboard, type GrafanaPanel } from '../support/dashboards.js';

const dashboards = loadDashboards();

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  jsonData?: Record<string, unknown> & { traces?: Record<string, unknown> };
  secureJsonData?: Record<string, string>;
}
const datasources = (parseYaml(readFileSync(`${DASHBOARDS_DIR}provisioning/datasources/clickhouse.yaml`, 'utf8')) as { apiVersion: number; datasources: ProvisionedDatasource[] });
const providers = parseYaml(readFileSync(`${DASHBOARDS_DIR}provisioning/dashboards/agenttail.yaml`, 'utf8')) as {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string } }[];
};

/** Grafana's global variables and data-link variables, which need no declaration. */
const GRAFANA_BUILTINS = new Set(['__from', '__to', '__interval', '__interval_ms', '__rate_interval', '__range', '__value', '__data', '__url_time_range', '__field', '__series', '__dashboard', '__org', '__user']);
/** The plugin's macros (expanded by the plugin, not by Grafana's variables). */
const PLUGIN_MACROS = new Set(['__conditionalAll', '__timeFilter', '__timeFilter_ms', '__dateFilter', '__fromTime', '__toTime', '__fromTime_ms', '__toTime_ms', '__interval_s', '__timeInterval', '__timeInterval_ms']);
const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'table', 'barchart', 'traces']);

/** Variable names referenced as $name, ${name...} or [[name]] in a text. */
function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$(\w+)|\$\{(\w+)[^}]*\}|\[\[(\w+)[^\]]*\]\]/g)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** Every string of a panel a variable may appear in: title, SQL, PromQL, legends, link URLs. */
function panelTexts(p: GrafanaPanel): string[] {
  const out = [p.title, p.description ?? ''];
  for (const t of p.targets ?? []) out.push(t.rawSql ?? '', t.expr ?? '', (t as { legendFormat?: string }).legendFormat ?? '');
  for (const o of p.fieldConfig?.overrides ?? []) for (const prop of o.properties) if (prop.id === 'links') for (const l of prop.value as { url: string }[]) out.push(l.url);
  return out;
}

function sqlOf(d: GrafanaDashboard): { where: string; sql: string }[] {
  const out: { where: string; sql: string }[] = [];
  for (const p of allPanels(d)) for (const t of p.targets ?? []) if (t.rawSql !== undefined) out.push({ where: `${d.uid} / ${p.title}`, sql: t.rawSql });
  for (const v of d.templating.list) {
    const sql = variableSql(v);
    if (sql !== null) out.push({ where: `${d.uid} / variable ${v.name}`, sql });
  }
  return out;
}

describe('dashboards/*.json', () => {
  it('are the dashboards the specs in dashboards/build generate, exactly', () => {
    const rendered = renderDashboards();
    expect(dashboards.map((d) => d.file)).toEqual(Object.keys(rendered).sort());
    for (const { file, text } of dashboards) expect(text, `${file} is stale: run npx tsx dashboards/build/write.ts`).toBe(rendered[file]);
  });

  it('have unique uids and titles and the top-level fields Grafana loads', () => {
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
    expect(new Set(dashboards.map((d) => d.dashboard.title)).size).toBe(dashboards.length);
    for (const { file, dashboard: d } of dashboards) {
      expect(d.uid, file).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(d.schemaVersion, file).toBeTypeOf('number');
      expect(Array.isArray(d.panels), file).toBe(true);
      expect(Array.isArray(d.templating.list), file).toBe(true);
      expect(d.time.from, file).toMatch(/^now-\d+[mhd]$/);
      expect(d.id ?? null, `${file}: no numeric id (Grafana assigns it)`).toBeNull();
    }
  });

  it('have panels with unique ids and titles, known types, inside the 24-column grid, not overlapping', () => {
    for (const { file, dashboard: d } of dashboards) {
      const panels = allPanels(d);
      expect(new Set(panels.map((p) => p.id)).size, `${file}: ids`).toBe(panels.length);
      const titled = panels.filter((p) => p.type !== 'row');
      expect(new Set(titled.map((p) => p.title)).size, `${file}: titles`).toBe(titled.length);
      const cells = new Set<string>();
      for (const p of panels) {
        expect(Number.isInteger(p.id) && p.id > 0, `${file}: ${p.title} id`).toBe(true);
        expect(PANEL_TYPES.has(p.type), `${file}: ${p.title} type ${p.type}`).toBe(true);
        const g = p.gridPos;
        expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${file}: ${p.title} gridPos`).toBe(true);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${file}: ${p.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
        if (p.type !== 'row') expect(p.description?.length ?? 0, `${file}: ${p.title} description`).toBeGreaterThan(10);
      }
    }
  });

  it('query only the provisioned datasources, by uid, with the matching type and query shape', () => {
    const byUid = new Map(datasources.datasources.map((ds) => [ds.uid, ds]));
    for (const { file, dashboard: d } of dashboards) {
      for (const p of allPanels(d)) {
        if (p.type === 'row') continue;
        const ds = byUid.get(p.datasource!.uid);
        expect(ds, `${file}: ${p.title} datasource ${p.datasource?.uid}`).toBeDefined();
        expect(p.datasource!.type).toBe(ds!.type);
        expect(p.targets?.length, `${file}: ${p.title} targets`).toBeGreaterThan(0);
        const refIds = new Set<string>();
        for (const t of p.targets!) {
          expect(t.datasource).toEqual(p.datasource);
          refIds.add(t.refId);
          if (ds!.type === 'grafana-clickhouse-datasource') {
            expect(t.editorType).toBe('sql');
            expect(t.rawSql?.trim().length).toBeGreaterThan(0);
            expect([0, 1, 3]).toContain(t.format);
            expect(t.format === 3, `${file}: ${p.title} trace format`).toBe(p.type === 'traces');
            expect(t.format === 0, `${file}: ${p.title} time series format`).toBe(p.type === 'timeseries');
          } else {
            expect(t.expr?.trim().length).toBeGreaterThan(0);
          }
        }
        expect(refIds.size).toBe(p.targets!.length);
      }
      for (const v of d.templating.list) if (v.type === 'query') expect(v.datasource?.uid, `${file}: variable ${v.name}`).toBe(CLICKHOUSE_UID);
    }
  });

  it('declare every variable they use; use only the plugin macros the SQL test expands', () => {
    for (const { file, dashboard: d } of dashboards) {
      const declared = new Set(d.templating.list.map((v) => v.name));
      const texts = [...allPanels(d).flatMap(panelTexts), ...d.templating.list.map((v) => variableSql(v) ?? '')];
      for (const name of texts.flatMap(referencedVariables)) {
        if (name.startsWith('__')) expect(GRAFANA_BUILTINS.has(name) || PLUGIN_MACROS.has(name), `${file}: unknown built-in or macro $${name}`).toBe(true);
        else expect(declared.has(name), `${file}: $${name} is used but not declared`).toBe(true);
      }
      for (const name of ['tenant', 'service', 'agent', 'model']) {
        const v = d.templating.list.find((x) => x.name === name);
        expect(v, `${file}: variable ${name}`).toBeDefined();
        expect(v!.includeAll && v!.multi, `${file}: ${name} is multi with All`).toBe(true);
      }
    }
  });

  it('link only to dashboards and variables that exist', () => {
    const byUid = new Map(dashboards.map((d) => [d.dashboard.uid, d.dashboard]));
    let links = 0;
    for (const { file, dashboard: d } of dashboards) {
      for (const p of allPanels(d)) {
        for (const url of panelTexts(p).filter((s) => s.startsWith('/d/'))) {
          links++;
          const target = byUid.get(/^\/d\/([^/?]+)/.exec(url)![1]!);
          expect(target, `${file}: ${p.title} links to ${url}`).toBeDefined();
          const vars = new Set(target!.templating.list.map((v) => v.name));
          // var-<name>=… and ${name:queryparam} (which Grafana renders as var-<name>=…) set the target's variables.
          const set = [...url.matchAll(/var-(\w+)=|\$\{(\w+):queryparam\}/g)].map((m) => (m[1] ?? m[2])!);
          for (const name of set) expect(vars.has(name), `${file}: ${p.title} sets var-${name} on ${target!.uid}`).toBe(true);
        }
      }
    }
    expect(links).toBeGreaterThan(3);
  });

  it('read sessions with FINAL, usage_hourly with sum(), and sum span usage over call spans only (docs/storage.md)', () => {
    for (const { dashboard: d } of dashboards) {
      for (const { where, sql } of sqlOf(d)) {
        expect(/agenttail\.sessions(?!\s+FINAL)\b/.test(sql), `${where}: sessions without FINAL`).toBe(false);
        if (sql.includes('agenttail.usage_hourly')) {
          for (const m of sql.matchAll(/\b(Calls|InputTokens|OutputTokens|CacheReadTokens|CacheWriteTokens|ReasoningTokens|CostUsd|UnpricedCalls|Sessions)\b/g)) {
            expect(sql.slice(Math.max(0, m.index - 4), m.index), `${where}: ${m[1]} outside sum()`).toBe('sum(');
          }
        }
        if (/FROM agenttail\.spans\b/.test(sql) && /sum(If)?\((CostUsd|\w*Tokens)\b/.test(sql)) {
          expect(sql, `${where}: span usage summed without UsageRole = 'call'`).toContain("UsageRole = 'call'");
        }
      }
    }
  });

  it('label the finance totals as exact, dropped sessions included', () => {
    const cost = dashboards.find((d) => d.file === 'cost-and-tenants.json')!.dashboard;
    for (const p of allPanels(cost)) {
      const sql = p.targets?.[0]?.rawSql ?? '';
      if (!sql.includes('agenttail.usage_hourly')) continue;
      expect(`${p.title} ${p.description}`, p.title).toMatch(/exact/i);
      expect(`${p.title} ${p.description}`, p.title).toMatch(/dropped sessions included|every session/i);
    }
  });
});

describe('dashboards/provisioning', () => {
  it('provisions the ClickHouse datasource the dashboards use, with the OTel trace mapping', () => {
    expect(datasources.apiVersion).toBe(1);
    const ch = datasources.datasources.find((d) => d.uid === CLICKHOUSE_UID)!;
    expect(ch.type).toBe('grafana-clickhouse-datasource');
    expect(ch.jsonData).toMatchObject({ protocol: 'native', port: 9000, username: 'grafana', defaultDatabase: 'agenttail' });
    expect(ch.jsonData!.traces).toMatchObject({ defaultDatabase: 'agenttail', defaultTable: 'spans', otelEnabled: true, durationUnit: 'nanoseconds' });
    expect(ch.secureJsonData?.password).toMatch(/^\$\{\w+\}$/);
    const prom = datasources.datasources.find((d) => d.uid === PROMETHEUS_UID)!;
    expect(prom.type).toBe('prometheus');
    const used = new Set(dashboards.flatMap(({ dashboard }) => allPanels(dashboard).flatMap((p) => (p.datasource ? [p.datasource.uid] : []))));
    expect([...used].sort()).toEqual(datasources.datasources.map((d) => d.uid).sort());
  });

  it('has one file provider', () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]!.type).toBe('file');
    expect(providers.providers[0]!.options.path).toMatch(/^\/var\/lib\/grafana\/dashboards\//);
  });
});
