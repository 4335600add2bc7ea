/** The sessions stage's own shapes over the log: decision records as it logs them, and the read-back of logged spans. */
import type { NormalizedSpan } from '../model/span.js';
import type { WalRecord } from '../durability/wal/record-codec.js';
import type { Decision } from '../model/decision.js';
import type { SessionSummary } from '../model/session.js';

/** A decision record of the log, as the buffer logs it (its Decision and SessionSummary). */
export type DecisionRecord = Extract<WalRecord<Decision, SessionSummary>, { type: 'decision' }>;

/** Reads the spans of logged trace requests back, decoded as on arrival (upgrades); the root builds it over the journal. */
export type SpanReadBack = (lsns: readonly number[]) => Promise<NormalizedSpan[]>;
