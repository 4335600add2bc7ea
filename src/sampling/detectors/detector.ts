/**
 * The detector role (STYLE.md 16): one interface, one file per detector, one list (detector-set.ts). A detector
 * reads a whole session's spans and reports a pattern: the engine turns a fired finding into a keep vote with the
 * detector's reason, its figures go on the session row and its culprits flag their spans.
 */
import type { SessionSpans } from './session-spans.js';

/** Every detector's reason, in the order they run and appear on decisions. */
export const DETECTOR_REASONS = ['tool_loop', 'retry_storm', 'duplicate_tool_call', 'budget_race', 'stalled', 'runaway', 'cache_collapse', 'cache_churn'] as const;
export type DetectorReason = (typeof DETECTOR_REASONS)[number];

/** What the detectors measured on a session (session row columns, schema/009_detectors.sql). */
export interface DetectorFigures {
  /** tool_loop: repeats of the looping call or cycle. */
  loopLength: number;
  /** Provider refusals seen (recorded from the first one, whether or not they make a storm). */
  refusals: number;
  /** The same, per provider of the refused model call. */
  refusalsByProvider: Record<string, number>;
  /** Seconds from the first refusal to the end of the first successful attempt after it (or of the last refusal). */
  backoffSeconds: number;
  /** duplicate_tool_call: the tool call ids executed more than once. */
  duplicateToolCallIds: string[];
  /** runaway: model and tool calls in the session, and the largest input of a call over the first call's. */
  modelCalls: number;
  toolCalls: number;
  contextGrowth: number;
  /** cache_collapse: input tokens that would have been read from the cache on the calls after the collapse. */
  cacheMissedTokens: number;
  /** cache_collapse: what those tokens cost above their cache-read price, at catalog prices (USD). */
  cacheCollapseExtraUsd: number;
  /** cache_churn: what the cache writes cost above plain input, at catalog prices (USD). */
  cacheChurnExtraUsd: number;
}

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
