/** The sampling report `agenttail simulate` prints: per label, sent vs kept; cost sent vs accounted. */
import { DETECTOR_LABELS } from './detector-scenarios.js';
import type { SimLabel, SimSession } from './scenario.js';

/** A session row as the collector's session API returns it (GET /api/v1/sessions). */
export interface SessionRow {
  sessionId: string;
  kept: boolean;
  reasons: string[];
  /** Exact decimal as text. */
  costUsd: string;
}

export interface LabelLine {
  label: SimLabel;
  sent: number;
  decided: number;
  kept: number;
  keptShare: number;
  /** Detector labels: decided sessions whose reasons name the label's own detector, and their share (the detector's recall). */
  detected?: number;
  recall?: number;
}

export interface SimReport {
  lines: LabelLine[];
  sessionsSent: number;
  sessionsDecided: number;
  costSentUsd: number;
  costAccountedUsd: number;
  /** Sessions the collector has no row for (not decided yet when the report was made). */
  missing: string[];
}

/** Joins what was sent with what the collector decided. */
export function buildReport(sent: SimSession[], rows: SessionRow[], costSentUsd: number): SimReport {
  const byId = new Map(rows.map((r) => [r.sessionId, r]));
  const lines = new Map<SimLabel, LabelLine>();
  const missing: string[] = [];
  let costAccountedUsd = 0;
  for (const s of sent) {
    const line = lines.get(s.label) ?? { label: s.label, sent: 0, decided: 0, kept: 0, keptShare: 0 };
    lines.set(s.label, line);
    line.sent++;
    const row = byId.get(s.sessionId);
    if (!row) {
      missing.push(s.sessionId);
      continue;
    }
    line.decided++;
    if (row.kept) line.kept++;
    if (isDetectorLabel(s.label) && row.reasons.includes(s.label)) line.detected = (line.detected ?? 0) + 1;
    costAccountedUsd += Number(row.costUsd);
  }
  for (const line of lines.values()) {
    line.keptShare = line.decided === 0 ? 0 : line.kept / line.decided;
    if (isDetectorLabel(line.label)) line.recall = line.decided === 0 ? 0 : (line.detected ?? 0) / line.decided;
  }
  const order: SimLabel[] = ['ordinary', 'near_miss', 'error', 'rare_path', 'cost_outlier', 'low_eval', 'late_low_eval', ...DETECTOR_LABELS];
  return {
    lines: order.map((l) => lines.get(l)).filter((l): l is LabelLine => l !== undefined),
    sessionsSent: sent.length,
    sessionsDecided: sent.length - missing.length,
    costSentUsd,
    costAccountedUsd,
    missing,
  };
}

function isDetectorLabel(label: SimLabel): boolean {
  return (DETECTOR_LABELS as readonly string[]).includes(label);
}
