/**
 * Runs the load: forks `senders` generator processes (bench/e2e/generator.ts) against one target and
 * combines their reports into a per-second timeline and totals.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GeneratorParams, GeneratorReport } from './generator.js';

const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url));

export interface LoadOptions {
  target: string;
  poolFile: string;
  senders: number;
  durationMs: number;
  /** Total spans/s over all senders; 0 = as fast as accepted. */
  spansPerSecond: number;
  /** In-flight requests per sender. */
  concurrency: number;
  channels: number;
  /** Called once a second with the combined cumulative counts. */
  onTick?: (combined: GeneratorReport) => void;
}

export interface LoadResult {
  totals: GeneratorReport;
  /** Combined cumulative reports, about one a second. */
  ticks: GeneratorReport[];
  rttMs: { p50: number; p99: number } | null;
  /** CPU of all generator processes as a share of one core over the run. */
  generatorCpu: number;
}

/** Adds generator reports (cumulative counters) together. */
export function combine(reports: GeneratorReport[], type: GeneratorReport['type']): GeneratorReport {
  const out: GeneratorReport = { type, elapsedMs: 0, okRequests: 0, okSpans: 0, sentSpans: 0, codes: {}, behind: 0, cpuUserMs: 0, cpuSystemMs: 0 };
  for (const r of reports) {
    out.elapsedMs = Math.max(out.elapsedMs, r.elapsedMs);
    out.okRequests += r.okRequests;
    out.okSpans += r.okSpans;
    out.sentSpans += r.sentSpans;
    out.behind += r.behind;
    out.cpuUserMs += r.cpuUserMs;
    out.cpuSystemMs += r.cpuSystemMs;
    for (const [k, v] of Object.entries(r.codes)) out.codes[k] = (out.codes[k] ?? 0) + v;
  }
  return out;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latest: GeneratorReport[] = [];
  const finals: GeneratorReport[] = [];
  const ticks: GeneratorReport[] = [];
  const started = Date.now();
  const children = Array.from({ length: o.senders }, (_, i) => {
    const params: GeneratorParams = {
      target: o.target,
      poolFile: o.poolFile,
      senderIndex: i,
      durationMs: o.durationMs,
      spansPerSecond: o.spansPerSecond / o.senders,
      concurrency: o.concurrency,
      channels: o.channels,
    };
    const child = fork(GENERATOR, [JSON.stringify(params)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: GeneratorReport) => {
      if (m.type === 'done') finals[i] = m;
      else latest[i] = m;
    });
    return new Promise<void>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 && finals[i] !== undefined ? resolve() : reject(new Error(`generator ${i} exited with ${code}`)))),
    );
  });
  const ticker = setInterval(() => {
    if (latest.filter(Boolean).length < o.senders) return;
    const c = combine(latest, 'tick');
    ticks.push(c);
    o.onTick?.(c);
  }, 1000);
  try {
    await Promise.all(children);
  } finally {
    clearInterval(ticker);
  }
  const totals = combine(finals, 'done');
  const rtt = finals.flatMap((f) => f.rttMs ?? []).sort((a, b) => a - b);
  const wallMs = Date.now() - started;
  return {
    totals,
    ticks,
    rttMs: rtt.length > 0 ? { p50: percentile(rtt, 0.5), p99: percentile(rtt, 0.99) } : null,
    generatorCpu: (totals.cpuUserMs + totals.cpuSystemMs) / wallMs,
  };
}
