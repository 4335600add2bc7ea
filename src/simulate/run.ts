/** `agenttail simulate`: sends realistic agent sessions to a running collector and reports what it kept. */
import { Pricer } from '../pricing/pricer.js';
import { buildReport, type SessionRow, type SimReport } from './report.js';
import { encodeTraces } from './encode.js';
import { generateScenario, type ScenarioOptions, type SimSession } from './scenario.js';
import { CliError } from '../commands/cli-error.js';
import { expectListening } from './preflight.js';
import { OtlpGrpcSender } from './sender.js';

export interface SimulateOptions {
  grpcTarget: string; // host:port
  httpUrl: string; // http://host:port (session API and /v1/evals)
  apiKey?: string;
  sessions: number;
  seed: number;
  runId?: string;
  shares: ScenarioOptions['shares'];
  /** Share of model calls throttled once before they succeed (scenario default when absent). */
  throttleShare?: number;
  concurrency: number;
  /** How long to wait for the collector's decisions (idle timeout + margin). */
  decisionWaitMs: number;
  serviceName?: string;
  /** Progress callback: sent so far, total. */
  onProgress?: (sent: number, total: number) => void;
  /** Called on each poll while waiting for decisions: sessions decided so far, total, ms waited, ms allowed. */
  onWait?: (decided: number, total: number, waitedMs: number, timeoutMs: number) => void;
  fetchImpl?: typeof fetch;
}

export interface SimulateResult {
  runId: string;
  report: SimReport;
  sendStats: { requests: number; refusals: number; failures: number };
}

/** Σ catalog cost of every model call the run sends (what the collector should account). */
export function costSent(sessions: SimSession[], pricer: Pricer): number {
  let total = 0;
  for (const s of sessions) {
    for (const t of s.traces) {
      for (const span of t.spans) {
        if (!span.usage) continue;
        const { costUsd } = pricer.priceUsage({ model: span.model ?? null, provider: span.provider ?? null, usage: span.usage, atUnixMs: span.startMs });
        total += costUsd ?? 0;
      }
    }
  }
  return total;
}

export async function runSimulation(opts: SimulateOptions): Promise<SimulateResult> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  // Fail in milliseconds when no collector runs, rather than after the sender's retries (a minute and more).
  await expectListening(opts.grpcTarget, 'the collector\'s OTLP/gRPC port');
  if (opts.fetchImpl === undefined) await expectListening(opts.httpUrl, 'the collector\'s HTTP port: session API and /v1/evals');
  const runId = opts.runId ?? `sim${Date.now().toString(36)}`;
  const sessions = generateScenario({ sessions: opts.sessions, seed: opts.seed, runId, shares: opts.shares, nowMs: Date.now(), ...(opts.throttleShare !== undefined ? { throttleShare: opts.throttleShare } : {}) });
  const sender = new OtlpGrpcSender({ target: opts.grpcTarget, apiKey: opts.apiKey });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  try {
    // Each turn (trace) of a session is its own Export, as an agent exporting per request would send it.
    let next = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (next < sessions.length) {
        const s = sessions[next++]!;
        for (const trace of s.traces) {
          await sender.send(encodeTraces([trace], { serviceName: opts.serviceName ?? `${s.agent}-svc` })).catch((err: unknown) => {
            const e = err as { code?: number; details?: string; message?: string };
            throw new CliError(`sending to ${opts.grpcTarget} failed after ${sender.stats.requests} request(s): ${e.details ?? e.message ?? String(err)}`, 1, { cause: err });
          });
        }
        sent++;
        opts.onProgress?.(sent, sessions.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, () => worker()));

    const late = sessions.filter((s) => s.lateEval);
    const startedMs = Date.now();
    await waitUntil(opts.decisionWaitMs, async () => {
      const decided = (await fetchRows(fetchImpl, opts.httpUrl, headers, runId)).length;
      opts.onWait?.(decided, sessions.length, Date.now() - startedMs, opts.decisionWaitMs);
      return decided >= sessions.length;
    });
    if (late.length > 0) {
      const body = { evals: late.map((s) => ({ sessionId: s.sessionId, ...s.lateEval })) };
      const res = await fetchImpl(`${opts.httpUrl}/v1/evals`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST /v1/evals answered ${res.status}: ${await res.text()}`);
      await waitUntil(opts.decisionWaitMs, async () => {
        const rows = await fetchRows(fetchImpl, opts.httpUrl, headers, runId);
        const byId = new Map(rows.map((r) => [r.sessionId, r]));
        return late.every((s) => byId.get(s.sessionId)?.kept === true);
      });
    }
    const rows = await fetchRows(fetchImpl, opts.httpUrl, headers, runId);
    const report = buildReport(sessions, rows, costSent(sessions, new Pricer()));
    return { runId, report, sendStats: { ...sender.stats } };
  } finally {
    sender.close();
  }
}

async function fetchRows(fetchImpl: typeof fetch, httpUrl: string, headers: Record<string, string>, runId: string): Promise<SessionRow[]> {
  const rows: SessionRow[] = [];
  // The list answers a page at a time; `next` is the link to the following page (null after the last).
  let path: string | null = `/api/v1/sessions?sessionPrefix=${encodeURIComponent(runId + '-')}&limit=1000`;
  while (path !== null) {
    const res = await fetchImpl(`${httpUrl}${path}`, { headers });
    if (!res.ok) throw new Error(`GET /api/v1/sessions answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { sessions: SessionRow[]; next: string | null };
    rows.push(...body.sessions);
    path = body.next;
  }
  return rows;
}

async function waitUntil(timeoutMs: number, done: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
