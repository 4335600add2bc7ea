/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): the top functions by self time (function + file:line), and
 * the time per pipeline stage, where each sample is charged to the nearest frame on its stack that belongs
 * to a known stage (so JSON.stringify under row building counts as row building, Buffer work under
 * @grpc/grpc-js as grpc).
 * Run: npx tsx bench/cpuprofile-top.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Wall time minus idle: what the process spent on the CPU (sampled). */
  busyMs: number;
  top: { fn: string; where: string; selfMs: number; share: number }[];
  stages: { stage: string; ms: number; share: number }[];
}

/** Stage of one frame from its url, or null when the frame belongs to no known stage (native, node internals). */
export function stageOf(url: string, functionName: string): string | null {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (V8/native, no JS frame)';
    return null;
  }
  const own = /\/(?:dist|src)\/([a-z-]+)\/([a-z0-9-]+)\.[jt]s$/.exec(url);
  if (own && !url.includes('node_modules')) {
    const [, dir, file] = own;
    if (dir === 'otlp') return file === 'encode-response' || file === 'proto-writer' ? 'receive (answer)' : 'decode (otlp)';
    if (dir === 'conventions') return 'normalize (conventions)';
    if (dir === 'pricing') return 'price';
    if (dir === 'receive') return 'receive (handler, auth, quota)';
    if (dir === 'sessions') return 'buffer (sessions)';
    if (dir === 'sampling') return 'decide (sampling)';
    if (dir === 'store') return ['span-row', 'session-row', 'eval-row', 'lookup-rows', 'cell-format', 'usage-rollup'].includes(file!) ? 'row build (store)' : 'insert (store writer)';
    if (dir === 'api') return 'http api';
    return `src/${dir}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) {
    const name = pkg[1]!;
    if (name === '@grpc/grpc-js') return 'grpc (@grpc/grpc-js)';
    if (name === 'chdb') return 'insert (chdb binding)';
    return `lib ${name}`;
  }
  if (url.startsWith('node:internal/http2') || url.startsWith('node:http2')) return 'grpc (node http2)';
  return null;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const i = url.indexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const m = /\/((?:dist|src|bench|test)\/.*)$/.exec(url);
  return m ? m[1]! : url;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // Sample i lasts until sample i+1 (timeDeltas[i+1], microseconds).
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const stageCache = new Map<number, string>();
  const stageOfNode = (id: number): string => {
    const cached = stageCache.get(id);
    if (cached !== undefined) return cached;
    let stage: string | null = null;
    for (let cur: number | undefined = id; cur !== undefined && stage === null; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      stage = stageOf(f.url, f.functionName);
    }
    const s = stage ?? 'other (node internals, timers, native)';
    stageCache.set(id, s);
    return s;
  };

  const fnUs = new Map<string, { fn: string; where: string; us: number }>();
  const stageUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    totalUs += us;
    if (f.functionName === '(idle)') idleUs += us;
    const where = f.url === '' ? '(native)' : `${shortUrl(f.url)}:${f.lineNumber + 1}`;
    const key = `${f.functionName}@${where}`;
    const e = fnUs.get(key) ?? { fn: f.functionName || '(anonymous)', where, us: 0 };
    e.us += us;
    fnUs.set(key, e);
    const st = stageOfNode(id);
    stageUs.set(st, (stageUs.get(st) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number): number => (busyUs > 0 ? us / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    top: [...fnUs.values()]
      .filter((e) => e.fn !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, share: share(e.us) })),
    stages: [...stageUs.entries()]
      .filter(([s]) => s !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([stage, us]) => ({ stage, ms: us / 1000, share: share(us) })),
  };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** Both tables as text. */
export function formatSummary(s: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const stages = new Table({ head: ['stage (nearest known frame)', 'ms', 'share of busy'], style: { head: [], border: [] } });
  for (const r of s.stages) stages.push([r.stage, Math.round(r.ms), pct(r.share)]);
  const top = new Table({ head: ['function (self time)', 'where', 'ms', 'share of busy'], style: { head: [], border: [] } });
  for (const r of s.top) top.push([r.fn.slice(0, 40), r.where.slice(0, 60), Math.round(r.selfMs), pct(r.share)]);
  return `sampled ${Math.round(s.totalMs)} ms, busy (not idle) ${Math.round(s.busyMs)} ms\n${stages.toString()}\n${top.toString()}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: npx tsx bench/cpuprofile-top.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const summary = summarizeProfile(readProfile(file), Number(process.argv[3] ?? 25));
  console.log(formatSummary(summary));
  console.log(JSON.stringify({ bench: 'cpuprofile-top', file, ...summary }, null, 2));
}
