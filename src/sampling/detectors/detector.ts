/**
 * The detector role (STYLE.md 16): one interface, one file per detector, one list (detector-set.ts). A detector
 * reads a whole session's spans and reports a pattern: the engine turns a fired finding into a keep vote with the
 * detector's reason, its figures go on the session row and its culprits flag their spans.
 */
import type { SessionSpans } from './session-spans.js';
import type { DetectorFigures, DetectorReason } from '../../model/decision.js';


/** What one detector found. `fired` false: figures worth recording (a refusal under the threshold), no keep vote. */
export interface Finding {
  reason: DetectorReason;
  fired: boolean;
  /** Spans at fault (the repeated call, the refused request, the first call after a collapse). */
  culpritSpanIds: string[];
  figures: Partial<DetectorFigures>;
}

/** One session pattern. */
export interface Detector {
  readonly reason: DetectorReason;
  /** A finding when the pattern (or a figure worth recording) is present, else null. Pure: no state between sessions. */
  detect(session: SessionSpans): Finding | null;
}

/** A fired finding. */
export function fired(reason: DetectorReason, culpritSpanIds: string[], figures: Partial<DetectorFigures> = {}): Finding {
  return { reason, fired: true, culpritSpanIds, figures };
}
