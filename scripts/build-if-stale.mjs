#!/usr/bin/env node
/**
 * `npm start`'s pre-step: compiles src/ to dist/ only when a source or build setting is newer than the last build,
 * so a restart with nothing changed starts at once (a full `tsc` build takes 20-40 s on a 2-core machine).
 * A fresh clone has no dist/ and builds. Plain JavaScript with no dependencies: it runs before anything is built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files whose change means dist/ must be rebuilt, besides everything under src/. */
const BUILD_INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'native', join('scripts', 'build-native.mjs')];
/** Written last by every build (after tsc succeeds): its time is the build's time. */
export const STAMP = join('dist', '.build-stamp');

/** The most recently changed file or folder at or under `path` (a folder's time moves when a file is added or removed). */
function newest(path, best) {
  const st = statSync(path);
  if (st.mtimeMs > best.mtimeMs) best = { path, mtimeMs: st.mtimeMs };
  if (st.isDirectory()) for (const name of readdirSync(path)) best = newest(join(path, name), best);
  return best;
}

/** Why `root`'s dist/ must be rebuilt (a sentence), or null when it is up to date. */
export function staleReason(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return 'no build yet';
  const builtMs = statSync(stamp).mtimeMs;
  let latest = newest(join(root, 'src'), { path: '', mtimeMs: 0 });
  for (const f of BUILD_INPUTS) if (existsSync(join(root, f))) latest = newest(join(root, f), latest);
  return latest.mtimeMs > builtMs ? `${relative(root, latest.path)} changed since the last build` : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), '..', '..');
  const reason = staleReason(root);
  if (reason === null) {
    process.stderr.write('dist/ is up to date\n');
  } else {
    process.stderr.write(`building dist/ (${reason})\n`);
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
