import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { editDistance, nearest, unwrap } from '../../src/config/issues.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { isAgtError } from '../../src/model/errors.js';
import { errorOf } from '../support/error-of.js';

type Def = { type: string; shape?: Record<string, z.ZodType>; catchall?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every object schema reachable from `schema`, with its path. */
function objects(schema: z.ZodType, path: string): Array<{ path: string; def: Def }> {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return [{ path, def }, ...Object.entries(def.shape ?? {}).flatMap(([k, v]) => objects(v, `${path}.${k}`))];
  if (def.type === 'record') return objects(def.valueType!, `${path}.<key>`);
  if (def.type === 'array') return objects(def.element!, `${path}[]`);
  if (def.type === 'union') return (def.options ?? []).flatMap((o) => objects(o, path));
  return [];
}

describe('configSchema', () => {
  it('is strict at every level: each object, in records and lists too, refuses unknown fields', () => {
    const all = objects(configSchema, '(root)');
    expect(all.length).toBeGreaterThan(20);
    const loose = all.filter((o) => o.def.catchall === undefined || defOf(o.def.catchall).type !== 'never').map((o) => o.path);
    expect(loose).toEqual([]);
  });
});

describe('loadConfig unknown fields', () => {
  it('refuses sessions.idleTimeoutMS with its full path and suggests idleTimeoutMs', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { sessions: { idleTimeoutMS: 2000 } } }));
    expect(isAgtError(err, 'AGT_ERR_CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('sessions.idleTimeoutMS: unknown field "idleTimeoutMS" in sessions; did you mean "idleTimeoutMs"?');
  });

  it('refuses store.kidn and suggests kind', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { store: { kidn: 'server' } } }));
    expect(err.message).toContain('store.kidn: unknown field "kidn" in store; did you mean "kind"?');
  });

  it('refuses unknown fields deep inside lists and records (receive.keys[0], sessions.tenants.<id>)', () => {
    const key = { sha256: 'a'.repeat(64), tenant: 'acme', amdin: true };
    expect(errorOf(() => loadConfig({ env: {}, overrides: { receive: { keys: [key] } } })).message).toContain('receive.keys.0.amdin: unknown field "amdin" in receive.keys.0; did you mean "admin"?');
    expect(errorOf(() => loadConfig({ env: {}, overrides: { sessions: { tenants: { acme: { idleTimeout: 1 } } } } })).message).toContain(
      'sessions.tenants.acme.idleTimeout: unknown field "idleTimeout" in sessions.tenants.acme; did you mean "idleTimeoutMs"?',
    );
  });

  it('lists the valid fields when nothing is close', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { wal: { compression: true } } }));
    expect(err.message).toContain('wal.compression: unknown field "compression" in wal; valid fields: durability, dir,');
  });

  it('names the environment variable behind an unknown field and the variable to use instead', () => {
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT: '2000' } }));
    expect(err.message).toContain(
      'sessions.idleTimeout (from AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT): unknown field "idleTimeout" in sessions; did you mean "idleTimeoutMs" (AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS)?',
    );
  });

  it('names the environment variable behind a bad value', () => {
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS: 'soon' } }));
    expect(err.message).toContain('sessions.idleTimeoutMs = "soon" (from AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS):');
  });
});

describe('loadConfig environment', () => {
  it('ignores the project variables that share the AGENTTAIL_ prefix (API key, ClickHouse password and host)', () => {
    const cfg = loadConfig({ env: { AGENTTAIL_API_KEY: 'secret', AGENTTAIL_CLICKHOUSE_PASSWORD: 'pw', AGENTTAIL_CLICKHOUSE_HOST: 'ch', AGT_CRASH_AT: '' } });
    expect(cfg.store.kind).toBe('embedded');
  });

  it('refuses overrides in the old AGENTTAIL_<SECTION>__<FIELD> form and names the new variable', () => {
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_STORE__KIND: 'server', AGENTTAIL_DATA_DIR: '/data' } }));
    expect(err.message).toContain('AGENTTAIL_STORE__KIND: config overrides are named AGENTTAIL_CFG__<SECTION>__<FIELD>; rename it AGENTTAIL_CFG__STORE__KIND');
    expect(err.message).toContain('rename it AGENTTAIL_CFG__DATA_DIR');
  });

  it('reads top-level fields from AGENTTAIL_CFG__<FIELD>', () => {
    expect(loadConfig({ env: { AGENTTAIL_CFG__DATA_DIR: '/tmp/x', AGENTTAIL_CFG__SHUTDOWN_TIMEOUT_MS: '1000' } })).toMatchObject({ dataDir: '/tmp/x', shutdownTimeoutMs: 1000 });
  });
});

describe('nearest', () => {
  it('counts a swap of neighbours as one edit and ignores case', () => {
    expect(editDistance('kidn', 'kind')).toBe(1);
    expect(nearest('idleTimeoutMS', ['idleTimeoutMs', 'maxSessionAgeMs'])).toBe('idleTimeoutMs');
    expect(nearest('foo', ['path', 'kind'])).toBeUndefined();
  });
});
