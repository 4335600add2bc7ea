/**
 * package.json's Node versions are true for the dependency tree, and package-lock.json is as npm writes it (so
 * `npm install` leaves it unchanged) with the other platforms' optional packages still in it (so `npm ci` works there).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// semver comes with fastify (a production dependency); npm uses the same library to check engines.
const semver = createRequire(import.meta.url)('semver') as { minVersion(r: string): { version: string }; satisfies(v: string, r: string): boolean };
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
type LockEntry = { dev?: boolean; devOptional?: boolean; optional?: boolean; engines?: { node?: string } };
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockEntry> };
const installed = Object.entries(lock.packages).filter(([path]) => path !== '');

/**
 * Production packages that declare a newer Node than the collector needs but are never loaded by it: fastify requires
 * light-my-request (and its cookie) only inside `app.inject()`, which tests use and the collector does not.
 */
const LOADED_ONLY_BY_INJECT = new Set(['node_modules/cookie']);

/** Packages whose engines.node the given Node version does not satisfy. */
function refusing(entries: [string, LockEntry][], version: string): string[] {
  return entries.filter(([, e]) => e.engines?.node !== undefined && !semver.satisfies(version, e.engines.node)).map(([p]) => p);
}

describe('package.json engines', () => {
  it('engines.node (for users) is accepted by every production package the collector loads', () => {
    const floor = semver.minVersion(pkg.engines.node).version;
    expect(floor).toBe('20.19.0');
    const production = installed.filter(([p, e]) => !e.dev && !e.devOptional && !LOADED_ONLY_BY_INJECT.has(p));
    expect(refusing(production, floor)).toEqual([]);
  });

  it('the dev dependencies that declare a newer Node are exactly the ones the README names (npm warns EBADENGINE for them)', () => {
    const floor = semver.minVersion(pkg.engines.node).version;
    const newer = refusing(installed, floor).map((p) => p.replace(/^node_modules\//, ''));
    // Vercel AI SDK 7, openai 7 and the Google Cloud exporter of @traceloop/node-server-sdk (client tests only), and
    // cookie (see LOADED_ONLY_BY_INJECT). The whole suite runs on Node 20.19+ regardless.
    expect(newer.sort()).toEqual(['@ai-sdk/gateway', '@ai-sdk/otel', '@ai-sdk/provider', '@ai-sdk/provider-utils', 'ai', 'cookie', 'gaxios', 'gcp-metadata', 'google-logging-utils', 'openai']);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of ['`ai` 7', '`openai` 7', '`@traceloop/node-server-sdk`', '`cookie`']) expect(readme, name).toContain(name);
  });
});

describe('package-lock.json', () => {
  it("writes the flags npm adds (dev, optional, devOptional) where npm writes them, so npm install does not rewrite it", () => {
    const KEYS = new Set(['version', 'resolved', 'integrity', 'dev', 'devOptional', 'optional', 'license', 'peer']);
    const seen = new Set<string>();
    const contradictions: string[] = [];
    for (const [path, entry] of installed) {
      const keys = Object.keys(entry).filter((k) => KEYS.has(k));
      for (let i = 0; i < keys.length; i++) {
        for (let j = i + 1; j < keys.length; j++) {
          if (seen.has(`${keys[j]}<${keys[i]}`)) contradictions.push(`${path}: ${keys[i]} before ${keys[j]}`);
          seen.add(`${keys[i]}<${keys[j]}`);
        }
      }
    }
    expect(contradictions).toEqual([]);
  });

  it("keeps the other platforms' optional native packages", () => {
    for (const p of ['@chdb/lib-darwin-arm64', '@chdb/lib-darwin-x64', '@chdb/lib-linux-arm64-gnu', '@chdb/lib-linux-x64-gnu']) expect(lock.packages).toHaveProperty(`node_modules/${p}`);
  });
});
