#!/usr/bin/env node
/**
 * Builds the one native part, native/malloc-trim.c (glibc's malloc_trim for Node: src/main/malloc-trim.ts), into
 * dist/native/malloc-trim.node with the C compiler and the headers of the Node.js running this script. Nothing is
 * downloaded. Where there is no compiler, no headers or no glibc (a slim container image, macOS, musl), it says why and
 * builds nothing: the collector then runs without trimming (`agenttail_process_malloc_trim_available` 0).
 * Run by `npm run build`. Plain JavaScript with no dependencies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'malloc-trim.c');
// AGENTTAIL_NATIVE_OUT: somewhere else (test/unit/build-native.test.ts builds into a temporary directory).
const out = process.env.AGENTTAIL_NATIVE_OUT ?? join(root, 'dist', 'native', 'malloc-trim.node');

function skip(reason) {
  rmSync(out, { force: true });
  process.stderr.write(`native/malloc-trim.c not built (${reason}): the collector runs without malloc_trim\n`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`${process.platform}: malloc_trim is glibc's`);
const glibc = process.report?.getReport().header.glibcVersionRuntime;
if (glibc === undefined) skip('no glibc');
// The headers of this very Node.js: <prefix>/include/node (official builds and distribution packages alike).
const headers = [join(dirname(process.execPath), '..', 'include', 'node'), join(process.config.variables.node_prefix ?? '/usr', 'include', 'node')].find((d) => existsSync(join(d, 'node_api.h')));
if (headers === undefined) skip('no Node.js headers (node_api.h) beside this node');
const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
if (cc === undefined) skip('no C compiler (cc, gcc or clang)');
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-Wall', '-Werror', `-I${headers}`, source, '-o', out], { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) skip(`${cc} failed`);
process.stderr.write(`built ${out} (${cc}, glibc ${glibc})\n`);
