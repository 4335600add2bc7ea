import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envOverrides } from '../../src/config/env.js';
import { decodeWorkerCount } from '../../src/config/receive.js';
import { loadConfig } from '../../src/config/load.js';
import { isAgtError } from '../../src/model/errors.js';
import { errorOf } from '../support/error-of.js';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agt-config-'));
  const file = join(dir, 'agenttail.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('gives working local defaults with no file and no environment', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.receive.grpc.port).toBe(4317);
    expect(cfg.receive.http.port).toBe(4318);
    expect(cfg.store.kind).toBe('embedded');
    expect(cfg.receive.keys).toEqual([]);
    expect(Object.isFrozen(cfg.receive.grpc)).toBe(true);
  });

  it('reads a YAML file and lets the environment override it', () => {
    const file = yamlFile('receive:\n  grpc:\n    port: 5317\n  http:\n    port: 5318\nlogLevel: debug\n');
    const cfg = loadConfig({ file, env: { AGENTTAIL_CFG__RECEIVE__GRPC__PORT: '6317', AGENTTAIL_CFG__LOG_LEVEL: 'warn' } });
    expect(cfg.receive.grpc.port).toBe(6317);
    expect(cfg.receive.http.port).toBe(5318);
    expect(cfg.logLevel).toBe('warn');
  });

  it('names the field, the bad value and what is allowed', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { receive: { grpc: { port: 99999 } } } }));
    expect(isAgtError(err, 'AGT_ERR_CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('receive.grpc.port = 99999');
    expect(err.message).toMatch(/65535/);
  });

  it('lists the allowed values of an enum', () => {
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_CFG__STORE__KIND: 'postgres' } }));
    expect(err.message).toContain('store.kind = "postgres"');
    expect(err.message).toContain('"embedded"');
    expect(err.message).toContain('"server"');
  });

  it('takes receive.overload.maxRssBytes as auto (the default), bytes from the environment, or 0; anything else named', () => {
    expect(loadConfig({ env: {} }).receive.overload.maxRssBytes).toBe('auto');
    expect(loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__OVERLOAD__MAX_RSS_BYTES: '1073741824' } }).receive.overload.maxRssBytes).toBe(1_073_741_824);
    expect(loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__OVERLOAD__MAX_RSS_BYTES: '0' } }).receive.overload.maxRssBytes).toBe(0);
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__OVERLOAD__MAX_RSS_BYTES: '1GB' } }));
    expect(err.message).toContain('receive.overload.maxRssBytes = "1GB" (from AGENTTAIL_CFG__RECEIVE__OVERLOAD__MAX_RSS_BYTES): expected "auto" or a whole number of bytes ≥ 0 (0 = off)');
    expect(errorOf(() => loadConfig({ env: {}, overrides: { receive: { overload: { maxRssBytes: -1 } } } })).message).toContain('receive.overload.maxRssBytes = -1');
  });

  it('takes receive.decodeWorkers as auto (cores − 2, at most 4) or a count; anything else named', () => {
    expect(loadConfig({ env: {} }).receive.decodeWorkers).toBe('auto');
    expect([1, 2, 3, 4, 6, 64].map((cores) => decodeWorkerCount('auto', cores))).toEqual([0, 0, 1, 2, 4, 4]);
    const two = loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__DECODE_WORKERS: '2' } }).receive.decodeWorkers;
    expect(two).toBe(2);
    expect(decodeWorkerCount(two, 1)).toBe(2);
    expect(decodeWorkerCount(loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__DECODE_WORKERS: '0' } }).receive.decodeWorkers, 8)).toBe(0);
    const err = errorOf(() => loadConfig({ env: { AGENTTAIL_CFG__RECEIVE__DECODE_WORKERS: 'many' } }));
    expect(err.message).toContain('receive.decodeWorkers = "many" (from AGENTTAIL_CFG__RECEIVE__DECODE_WORKERS): expected "auto" or a whole number of workers from 0 to 64 (0 = decode on the main thread)');
    expect(errorOf(() => loadConfig({ env: {}, overrides: { receive: { decodeWorkers: 65 } } })).message).toContain('receive.decodeWorkers = 65');
  });

  it('refuses unknown top-level fields by name', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { recieve: {} } }));
    expect(err.message).toContain('recieve');
  });

  it('reports unreadable and non-YAML files clearly', () => {
    expect(errorOf(() => loadConfig({ file: '/nonexistent/agenttail.yaml', env: {} })).message).toContain('cannot read');
    expect(errorOf(() => loadConfig({ file: yamlFile('receive: [1, 2'), env: {} })).message).toContain('not valid YAML');
  });

  it('refuses equal gRPC and HTTP ports', () => {
    const err = errorOf(() => loadConfig({ env: {}, overrides: { receive: { grpc: { port: 7000 }, http: { port: 7000 } } } }));
    expect(err.message).toContain('receive.http.port');
  });
});

describe('envOverrides', () => {
  it('maps AGENTTAIL_CFG__A__B_C to a.bC, parses scalars and remembers which variable set each path', () => {
    const env = envOverrides({ AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS: '2500', AGENTTAIL_CFG__RECEIVE__GRPC__ENABLED: 'false', AGENTTAIL_API_KEY: 'k', OTHER: 'x' });
    expect(env.values).toEqual({ sessions: { idleTimeoutMs: 2500 }, receive: { grpc: { enabled: false } } });
    expect(env.sources.get('sessions.idleTimeoutMs')).toBe('AGENTTAIL_CFG__SESSIONS__IDLE_TIMEOUT_MS');
  });
});
