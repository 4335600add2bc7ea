/** Loads the configuration: YAML file over defaults, environment over file; validated once, then frozen. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AgtError } from '../model/errors.js';
import { envOverrides, misnamedOverrides } from './env.js';
import { fieldsAt, formatIssues } from './issues.js';
import { configSchema, type Config } from './schema.js';

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
  const envVars = options.env ?? process.env;
  const misnamed = misnamedOverrides(envVars, fieldsAt(configSchema, []));
  if (misnamed.length > 0) throw new AgtError('AGT_ERR_CONFIG_INVALID', `config is invalid:\n${misnamed.join('\n')}`);
  const env = envOverrides(envVars);
  const merged = deepMerge(deepMerge(fromFile, env.values), options.overrides ?? {});
  return parseConfig(merged, env.sources);
}

/** Validates a raw object against the schema and freezes the result; `envSources` lets a message name the variable. */
export function parseConfig(raw: unknown, envSources: ReadonlyMap<string, string> = new Map()): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, { raw, schema: configSchema, envSources });
    throw new AgtError('AGT_ERR_CONFIG_INVALID', `config is invalid:\n${lines.join('\n')}`);
  }
  return deepFreeze(result.data);
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
