/**
 * The list of detectors (STYLE.md 16): built once from config, run over each decided session. Adding a detector is
 * one file and one line here.
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import type { Vote } from '../basis/vote.js';
import { BudgetRaceDetector } from './budget-race.js';
import { CacheChurnDetector } from './cache-churn.js';
import { CacheCollapseDetector } from './cache-collapse.js';
import type { Detector, Finding } from './detector.js';
import { DuplicateToolCallDetector } from './duplicate-tool-call.js';
import { reportOf } from './report.js';
import { type DetectorReport } from '../../model/decision.js';
import { RetryStormDetector } from './retry-storm.js';
import { RunawayDetector } from './runaway.js';
import { SessionSpans, type PriceUsage } from './session-spans.js';
import { StalledDetector } from './stalled.js';
import { ToolLoopDetector } from './tool-loop.js';

/** The enabled detectors, in reason order. */
export function buildDetectors(config: DetectorsConfig): Detector[] {
  const all: [boolean, () => Detector][] = [
    [config.toolLoop.enabled, () => new ToolLoopDetector(config.toolLoop)],
    [config.retryStorm.enabled, () => new RetryStormDetector(config.retryStorm)],
    [config.duplicateToolCall.enabled, () => new DuplicateToolCallDetector()],
    [config.budgetRace.enabled, () => new BudgetRaceDetector(config.budgetRace)],
    [config.stalled.enabled, () => new StalledDetector()],
    [config.runaway.enabled, () => new RunawayDetector(config.runaway)],
    [config.cacheCollapse.enabled, () => new CacheCollapseDetector(config.cacheCollapse)],
    [config.cacheChurn.enabled, () => new CacheChurnDetector(config.cacheChurn)],
  ];
  return all.filter(([on]) => on).map(([, make]) => make());
}

/** What the detectors said about one session: keep votes for the fired ones, and the report for the row (null: nothing). */
export interface Detection {
  votes: Vote[];
  report: DetectorReport | null;
}

const NOTHING: Detection = { votes: [], report: null };

/** Runs every detector over a session. */
export class DetectorSet {
  private readonly detectors: readonly Detector[];
  private readonly priceUsage: PriceUsage;

  constructor(params: { config: DetectorsConfig; priceUsage: PriceUsage }) {
    this.detectors = buildDetectors(params.config);
    this.priceUsage = params.priceUsage;
  }

  /** Detects over the session's spans; a fired finding votes keep with certainty (class `detector`). */
  detect(spans: readonly NormalizedSpan[], agentNames: readonly string[]): Detection {
    if (this.detectors.length === 0 || spans.length === 0) return NOTHING;
    const session = new SessionSpans(spans, agentNames, this.priceUsage);
    let findings: Finding[] | null = null;
    for (const d of this.detectors) {
      const f = d.detect(session);
      if (f !== null) (findings ??= []).push(f);
    }
    if (findings === null) return NOTHING;
    const votes: Vote[] = findings.filter((f) => f.fired).map((f) => ({ reason: f.reason, policyClass: 'detector', probability: 1 }));
    return { votes, report: reportOf(findings) };
  }
}
