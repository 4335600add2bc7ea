/** Every dashboard agenttail ships, by file name in `dashboards/`. */
import { agentHealth } from './agent-health.js';
import { agentsOverview } from './agents-overview.js';
import { costTenants } from './cost-tenants.js';
import { buildDashboard, type DashboardSpec } from './grafana.js';
import { providers } from './providers.js';
import { sampling } from './sampling.js';
import { sessionExplorer } from './session-explorer.js';
import { tools } from './tools.js';

/** The specs, keyed by the JSON file each is written to. */
export const DASHBOARD_SPECS: Record<string, DashboardSpec> = {
  'agents-overview.json': agentsOverview,
  'cost-and-tenants.json': costTenants,
  'sampling.json': sampling,
  'tools.json': tools,
  'providers.json': providers,
  'session-explorer.json': sessionExplorer,
  'agent-health.json': agentHealth,
};

/** The JSON text of each file, as committed (2-space indent, trailing newline). */
export function renderDashboards(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, spec] of Object.entries(DASHBOARD_SPECS)) out[file] = JSON.stringify(buildDashboard(spec), null, 2) + '\n';
  return out;
}
