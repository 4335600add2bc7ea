import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

describe('configSchema', () => {
  describe('store.path', () => {
    it('puts the embedded store under dataDir by default (regression: it stayed in ./data/clickhouse of the working directory)', () => {
      expect(configSchema.parse({ dataDir: '/srv/agenttail' }).store.path).toBe('/srv/agenttail/clickhouse');
      expect(configSchema.parse({}).store.path).toBe(join('./data', 'clickhouse'));
    });

    it('resolves a relative path under dataDir and keeps an absolute one', () => {
      expect(configSchema.parse({ dataDir: '/srv/a', store: { path: 'ch' } }).store.path).toBe('/srv/a/ch');
      expect(configSchema.parse({ dataDir: '/srv/a', store: { path: '/mnt/ch' } }).store.path).toBe('/mnt/ch');
    });
  });
});
