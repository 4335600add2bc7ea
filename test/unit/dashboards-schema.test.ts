/**
 * The dashboards follow Grafana's published schema (@grafana/schema, pinned to the Grafana version compose runs):
 * the builders are typed by it, and the generated JSON carries what its defaults say is there and nothing it dropped.
 */
import { BigValueColorMode, BigValueGraphMode, defaultDashboardLink, LegendDisplayMode, SortOrder, TooltipDisplayMode, VizOrientation, type Dashboard } from '@grafana/schema';
import { defaultOptions as tableDefaults } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen.js';
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildDashboard } from '../../dashboards/build/grafana.js';
import { allPanels, loadDashboards } from '../support/dashboards.js';

const dashboards = loadDashboards();
const schemaVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['@grafana/schema'];
const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

type Options = Record<string, unknown> & { legend?: { displayMode: string; calcs?: unknown }; tooltip?: { mode: string; sort: string } };

describe('dashboards and @grafana/schema', () => {
  it('builds with the schema of the Grafana version compose runs', () => {
    expectTypeOf(buildDashboard).returns.toEqualTypeOf<Dashboard>();
    expect(compose).toContain(`image: grafana/grafana:${schemaVersion}`);
  });

  it("gives every dashboard link every field of Grafana's default link", () => {
    for (const { dashboard } of dashboards) {
      for (const link of (dashboard as unknown as { links: Record<string, unknown>[] }).links) {
        for (const key of Object.keys(defaultDashboardLink)) expect(link, `${dashboard.uid}: link.${key}`).toHaveProperty(key);
      }
    }
  });

  it('writes only table options the table panel of that version has (no panel-level footer)', () => {
    const known = new Set(Object.keys(tableDefaults!));
    for (const { dashboard } of dashboards) {
      for (const p of allPanels(dashboard).filter((x) => x.type === 'table')) {
        for (const key of Object.keys((p as unknown as { options: Options }).options)) expect(known.has(key), `${dashboard.uid} / ${p.title}: options.${key}`).toBe(true);
      }
    }
  });

  it("uses the schema's enum values and required fields in panel options", () => {
    for (const { dashboard } of dashboards) {
      for (const p of allPanels(dashboard)) {
        const o = (p as { options?: Options }).options ?? {};
        const where = `${dashboard.uid} / ${p.title}`;
        if (p.type === 'stat') {
          expect(Object.values(BigValueColorMode), where).toContain(o.colorMode);
          expect(Object.values(BigValueGraphMode), where).toContain(o.graphMode);
        }
        if (o.legend) {
          expect(Object.values(LegendDisplayMode), where).toContain(o.legend.displayMode);
          expect(o.legend.calcs, `${where}: legend.calcs is required`).toEqual([]);
        }
        if (o.tooltip) {
          expect(Object.values(TooltipDisplayMode), where).toContain(o.tooltip.mode);
          expect(Object.values(SortOrder), where).toContain(o.tooltip.sort);
        }
        if (p.type === 'barchart') expect(Object.values(VizOrientation), where).toContain(o.orientation);
      }
    }
  });

  it('names a current value (text and value) wherever a variable has one', () => {
    for (const { dashboard } of dashboards) {
      for (const v of dashboard.templating.list as { name: string; current?: Record<string, unknown> }[]) {
        if (v.current === undefined) continue;
        expect(v.current, `${dashboard.uid}: $${v.name}`).toHaveProperty('text');
        expect(v.current, `${dashboard.uid}: $${v.name}`).toHaveProperty('value');
      }
    }
  });
});
