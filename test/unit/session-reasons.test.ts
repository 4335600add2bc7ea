import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKnownReason } from '../../src/api/session-reasons.js';

const POLICIES = join(import.meta.dirname, '..', '..', 'src', 'sampling', 'policies');

describe('session-reasons', () => {
  describe('isKnownReason', () => {
    it('knows every reason a keep policy votes with, so ?reason= never refuses a real one', () => {
      const found: string[] = [];
      for (const f of readdirSync(POLICIES)) {
        for (const m of readFileSync(join(POLICIES, f), 'utf8').matchAll(/reason: '([a-z_]+)'/g)) found.push(m[1]!);
      }
      expect(found.length).toBeGreaterThanOrEqual(7);
      expect(found.filter((r) => !isKnownReason(r))).toEqual([]);
    });

    it('refuses near misses of real reasons', () => {
      for (const r of ['errors', 'Error', 'tool-loop', 'upgrade:', 'rule:', 'budget', '']) expect(isKnownReason(r), r).toBe(false);
    });
  });
});
