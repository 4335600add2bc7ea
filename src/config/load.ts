/** Loads the configuration: YAML file over defaults, environment over file; validated once, then frozen. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { AgtError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** Environment variables `AGENTTAIL_A__B__C=value` set `a.b.c` (camelCase from `SNAKE_CASE` per segment). */
export const ENV_PREFIX = 'AGENTTAIL_';

export interface LoadConfigOptions {
  /** Path of a YAML file; omitted = defaults and environment only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra values applied last (the CLI's flags, tests). */
  overrides?: Record<string, unknown>;
}

/** Loads, merges, validates and freezes the configuration; throws AGT_ERR_CONFIG_INVALID naming the field. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  let fromFile: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new AgtError('AGT_ERR_CONFIG_INVALID', `config: cannot read ${options.file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new AgtError('AGT_ERR_CONFIG_INVALID', `config: ${options.file} is not valid YAML: ${(err as Error).message}`, { cause: err });
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AgtError('AGT_ERR_CONFIG_INVALID', `config: ${options.file} must hold a YAML mapping at the top level`);
      }
      fromFile = parsed as Record<string, unknown>;
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(options.env ?? process.env)), options.overrides ?? {});
  return parseConfig(merged);
}

/** Validates a raw object against the schema and freezes the result. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new AgtError('AGT_ERR_CONFIG_INVALID', formatIssues(result.error.issues, raw));
  }
  return deepFreeze(result.data);
}

function formatIssues(issues: z.core.$ZodIssue[], raw: unknown): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    const value = valueAt(raw, issue.path);
    const shown = value === undefined ? '(missing)' : JSON.stringify(value);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      return `  ${path}: ${message}`;
    }
    if (issue.code === 'invalid_value') message = `${message} (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
    return `  ${path} = ${shown}: ${message}`;
  });
  return `config is invalid:\n${lines.join('\n')}`;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Turns AGENTTAIL_* variables into a nested object; values are parsed as YAML scalars (numbers, booleans, lists). */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((seg) => seg.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
    if (path.some((p) => p === '')) continue;
    let parsed: unknown = value;
    try {
      parsed = parseYaml(value);
    } catch {
      parsed = value;
    }
    let cur = out;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      if (next === undefined || typeof next !== 'object' || next === null) cur[seg] = {};
      cur = cur[seg] as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = parsed;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges b over a; arrays and scalars replace, objects merge. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
