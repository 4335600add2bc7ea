/** The detectors' report on a decision: which fired, their figures, their culprit spans (session row and span flags). */
import type { DetectorReport } from '../../model/decision.js';
import type { Finding } from './detector.js';


/** Culprit spans and duplicated call ids kept per detector: the report rides on the logged decision and the row. */
export const MAX_LISTED = 100;

/** Folds findings into one report (lists cut at MAX_LISTED; the counts in the figures stay whole). */
export function reportOf(findings: readonly Finding[]): DetectorReport {
  const report: DetectorReport = { fired: [], figures: {}, culprits: [] };
  for (const f of findings) {
    if (f.fired) report.fired.push(f.reason);
    Object.assign(report.figures, f.figures);
    for (const spanId of f.culpritSpanIds.slice(0, MAX_LISTED)) report.culprits.push({ spanId, reason: f.reason });
  }
  const ids = report.figures.duplicateToolCallIds;
  if (ids !== undefined && ids.length > MAX_LISTED) report.figures.duplicateToolCallIds = ids.slice(0, MAX_LISTED);
  return report;
}

