/**
 * Config overrides from the environment. `AGENTTAIL_CFG__<SECTION>__<FIELD>` sets `section.field`: the `CFG__`
 * namespace is reserved for config, so the project's other variables (`AGENTTAIL_API_KEY`,
 * `AGENTTAIL_CLICKHOUSE_PASSWORD`, …) can never be read as config fields (README "Environment variables").
 */
import { parse as parseYaml } from 'yaml';

/** Every config override starts with this; `__` separates path segments, `_` separates words in a segment. */
export const ENV_PREFIX = 'AGENTTAIL_CFG__';
const PROJECT_PREFIX = 'AGENTTAIL_';

/** The overrides as a nested object, and which variable set each dotted path. */
export interface EnvOverrides {
  values: Record<string, unknown>;
  /** Dotted config path (`sessions.idleTimeoutMs`) → the variable that set it. */
  sources: ReadonlyMap<string, string>;
}

/** `IDLE_TIMEOUT_MS` → `idleTimeoutMs`. */
function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** `idleTimeoutMs` → `IDLE_TIMEOUT_MS`. */
function snake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable that sets a config path: `['sessions', 'idleTimeoutMs']` → `AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS`. */
export function envNameFor(path: readonly PropertyKey[]): string {
  return ENV_PREFIX + path.map((p) => snake(String(p))).join('__');
}

/** Turns AGENTTAIL_CFG__* variables into a nested object; values are parsed as YAML scalars (numbers, booleans, lists). */
export function envOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    if (path.some((p) => p === '')) continue;
    let parsed: unknown = value;
    try {
      parsed = parseYaml(value);
    } catch {
      parsed = value;
    }
    let cur = values;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      if (next === undefined || typeof next !== 'object' || next === null) cur[seg] = {};
      cur = cur[seg] as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = parsed;
    sources.set(path.join('.'), name);
  }
  return { values, sources };
}

/** The variables that set `path` or anything below it. */
export function variablesUnder(sources: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string[] {
  const dotted = path.map(String).join('.');
  const out: string[] = [];
  for (const [p, name] of sources) if (p === dotted || p.startsWith(dotted + '.')) out.push(name);
  return out.sort();
}

/**
 * Variables in the old `AGENTTAIL_<SECTION>__<FIELD>` form (or `AGENTTAIL_<TOP_LEVEL_FIELD>`), which are no longer
 * read: one message each with the new name, so an old deployment fails at start instead of running on defaults.
 */
export function misnamedOverrides(env: NodeJS.ProcessEnv, topLevelFields: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PROJECT_PREFIX) || name.startsWith(ENV_PREFIX)) continue;
    const rest = name.slice(PROJECT_PREFIX.length).replace(/^CFG_+/, '');
    if (!rest.includes('__') && !topLevelFields.includes(camel(rest))) continue;
    out.push(`  ${name}: config overrides are named ${ENV_PREFIX}<SECTION>__<FIELD>; rename it ${ENV_PREFIX}${rest}`);
  }
  return out;
}
