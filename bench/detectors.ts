/**
 * The detectors (issue 15): what they cost and what they catch, on the labelled `simulate` workload (each detector
 * pattern at 1 % of sessions, near misses at 5 %, plus the usual errors, rare paths, outliers and low evals), run
 * through the real encoder, protobuf reader, normalizer and pricer, then decided in process.
 *
 * 1. Cost: main-thread µs per span of DetectorSet.detect() (the whole set, index included), and of decide() with the
 *    detectors on against off — the baseline in the same run, rounds alternating. Target ≤ 1 µs per span.
 * 2. Quality: the same sessions decided by an engine with detectors and one without. Recall per detector (its
 *    sessions kept with its own reason; target 100 %), and the kept share of ordinary and near-miss sessions with
 *    and without detectors (target: within ± 0.5 pt).
 * Run: npx tsx bench/detectors.ts [sessions] [rounds]
 */
import Table from 'cli-table3';
import { receiveSchema } from '../src/config/receive.js';
import { samplingSchema, type SamplingConfig } from '../src/config/sampling.js';
import { Normalizer } from '../src/conventions/normalize.js';
import type { NormalizedSpan } from '../src/model/span.js';
import { decodeExportRequest } from '../src/otlp/decode-protobuf.js';
import { Pricer } from '../src/pricing/pricer.js';
import { DetectorSet } from '../src/sampling/detectors/detector-set.js';
import { DecisionEngine } from '../src/sampling/engine.js';
import type { SessionView } from '../src/model/session-view.js';
import { emptySummary, extendSummary } from '../src/sessions/summary.js';
import { DETECTOR_LABELS } from '../src/simulate/detector-scenarios.js';
import { encodeTraces } from '../src/simulate/encode.js';
import { generateScenario, type SimLabel } from '../src/simulate/scenario.js';

const SESSIONS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SHARES = { error: 0.03, rarePath: 0.02, costOutlier: 0.02, lowEval: 0.02, lateLowEval: 0, detector: 0.01, nearMiss: 0.05 };

interface Labelled {
  label: SimLabel;
  view: SessionView;
}

/** The scenario's sessions as the collector would hand them to the engine. */
function buildViews(): Labelled[] {
  const nowMs = Date.now();
  const limits = receiveSchema.parse({}).limits;
  const normalizer = new Normalizer();
  const pricer = new Pricer();
  const sessions = generateScenario({ sessions: SESSIONS, seed: 7, runId: 'bench', shares: SHARES, nowMs });
  return sessions.map((s, i) => {
    const decoded = decodeExportRequest(encodeTraces(s.traces, { serviceName: `${s.agent}-svc` }), limits, nowMs);
    const spans: NormalizedSpan[] = decoded.spans.map((o) => {
      const n = normalizer.normalize(o, `tenant-${i % 5}`);
      n.cost = pricer.price(n);
      return n;
    });
    const summary = extendSummary(emptySummary({ tenantId: spans[0]!.tenantId, sessionId: s.sessionId, explicitSession: true, firstSeenMs: nowMs }), spans, []);
    return { label: s.label, view: { summary, spans } };
  });
}

function configWith(detectorsOn: boolean): SamplingConfig {
  const off = Object.fromEntries(['toolLoop', 'retryStorm', 'duplicateToolCall', 'budgetRace', 'stalled', 'runaway', 'cacheCollapse', 'cacheChurn'].map((d) => [d, { enabled: false }]));
  return samplingSchema.parse({ budget: { enabled: false }, policies: detectorsOn ? {} : { detectors: off } });
}

function busyUs(run: () => void): number {
  const t0 = process.cpuUsage();
  run();
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}

const views = buildViews();
const spanCount = views.reduce((n, v) => n + v.view.spans.length, 0);
const pricer = new Pricer();
const set = new DetectorSet({ config: configWith(true).policies.detectors, priceUsage: (p) => pricer.priceUsage(p) });

// 1. Cost, alternating rounds; the first round warms the JIT and is left out.
const detectUs: number[] = [];
const decideOnUs: number[] = [];
const decideOffUs: number[] = [];
for (let r = 0; r <= ROUNDS; r++) {
  const d = busyUs(() => {
    for (const v of views) set.detect(v.view.spans, v.view.summary.agentNames);
  });
  const on = new DecisionEngine({ config: configWith(true) });
  const off = new DecisionEngine({ config: configWith(false) });
  const tOff = busyUs(() => {
    for (const v of views) off.decide(v.view, 'idle');
  });
  const tOn = busyUs(() => {
    for (const v of views) on.decide(v.view, 'idle');
  });
  if (r === 0) continue;
  detectUs.push(d / spanCount);
  decideOnUs.push(tOn / spanCount);
  decideOffUs.push(tOff / spanCount);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 2. Quality.
const withD = new DecisionEngine({ config: configWith(true) });
const without = new DecisionEngine({ config: configWith(false) });
const lines = new Map<SimLabel, { sent: number; keptOn: number; keptOff: number; own: number; firedAny: number; keptBy: Record<string, number> }>();
for (const v of views) {
  const a = withD.decide(v.view, 'idle');
  const b = without.decide(v.view, 'idle');
  const l = lines.get(v.label) ?? { sent: 0, keptOn: 0, keptOff: 0, own: 0, firedAny: 0, keptBy: {} };
  lines.set(v.label, l);
  l.sent++;
  if (a.kept) l.keptOn++;
  // Which policies keep a label's sessions (with detectors): near misses should be kept by what keeps ordinary ones.
  if (a.kept) for (const r of a.reasons) l.keptBy[r] = (l.keptBy[r] ?? 0) + 1;
  if (b.kept) l.keptOff++;
  if (a.reasons.includes(v.label)) l.own++;
  if ((a.detectors?.fired.length ?? 0) > 0) l.firedAny++;
}

const pct = (n: number, d: number): string => (d === 0 ? '' : ((100 * n) / d).toFixed(2));
const quality = new Table({ head: ['label', 'sessions', 'kept % (detectors)', 'kept % (none)', 'Δ pt', 'recall %', 'any detector fired %'] });
const out: Record<string, unknown> = {};
for (const [label, l] of [...lines].sort((x, y) => x[0].localeCompare(y[0]))) {
  const isDetector = (DETECTOR_LABELS as readonly string[]).includes(label);
  const delta = (100 * (l.keptOn - l.keptOff)) / l.sent;
  quality.push([label, l.sent, pct(l.keptOn, l.sent), pct(l.keptOff, l.sent), delta.toFixed(2), isDetector ? pct(l.own, l.sent) : '', pct(l.firedAny, l.sent)]);
  out[label] = { ...l, deltaPt: delta, ...(isDetector ? { recall: l.own / l.sent } : {}) };
}
const cost = new Table({ head: ['per span (main thread, median of rounds)', 'µs'] });
cost.push(['DetectorSet.detect (all eight)', median(detectUs).toFixed(3)]);
cost.push(['decide(), detectors on', median(decideOnUs).toFixed(3)]);
cost.push(['decide(), detectors off (baseline)', median(decideOffUs).toFixed(3)]);
cost.push(['decide() on − off', (median(decideOnUs) - median(decideOffUs)).toFixed(3)]);
console.log(`${views.length} sessions, ${spanCount} spans (${(spanCount / views.length).toFixed(1)} per session), ${ROUNDS} rounds; baselineRate ${configWith(true).baselineRate}`);
console.log(cost.toString());
console.log(quality.toString());
for (const label of ['ordinary', 'near_miss'] as const) console.log(`${label} kept by: ${JSON.stringify(lines.get(label)?.keptBy ?? {})}`);
console.log(
  JSON.stringify({
    sessions: views.length,
    spans: spanCount,
    detectUsPerSpan: detectUs,
    decideOnUsPerSpan: decideOnUs,
    decideOffUsPerSpan: decideOffUs,
    labels: out,
  }),
);
