/** Reads the committed Grafana dashboards (dashboards/*.json) for the shape and SQL tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARDS_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));

export interface GrafanaTarget {
  refId: string;
  datasource?: { type: string; uid: string };
  editorType?: string;
  format?: number;
  queryType?: string;
  rawSql?: string;
  expr?: string;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[] };
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  type: string;
  name: string;
  datasource?: { type: string; uid: string };
  query?: string | { rawSql: string };
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
  time: { from: string; to: string };
  [key: string]: unknown;
}

/** Every dashboards/*.json, parsed, by file name. */
export function loadDashboards(): { file: string; text: string; dashboard: GrafanaDashboard }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(`${DASHBOARDS_DIR}${file}`, 'utf8');
      return { file, text, dashboard: JSON.parse(text) as GrafanaDashboard };
    });
}

/** Panels including those nested in collapsed rows. */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The SQL of a query variable. */
export function variableSql(v: GrafanaVariable): string | null {
  if (v.type !== 'query') return null;
  return typeof v.query === 'string' ? v.query : (v.query?.rawSql ?? null);
}
