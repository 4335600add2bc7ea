/** The sessions stage in recovery and checkpoints (src/durability/replay.ts ReplayedSessions), over the session buffer. */
import type { NormalizedSpan } from '../model/span.js';
import type { Journal } from '../durability/journal.js';
import type { DecisionRecord as LoggedDecision, ReplayedSessions, RequestRecord } from '../durability/replay.js';
import type { Outcome } from '../model/outcome.js';
import type { SessionBuffer } from './session-buffer.js';
import type { DecisionRecord, SpanReadBack } from './types.js';

/** Decodes a logged request's spans as on arrival (the receivers' decoder, handed in by the root). */
export type DecodeLogged = (record: RequestRecord) => Outcome<NormalizedSpan[]>;

/** Reads logged trace requests back for upgrades, decoded as on arrival (records no longer in the log are left out). */
export function spanReadBack(journal: Journal, decode: DecodeLogged): SpanReadBack {
  return async (lsns) => {
    const out: NormalizedSpan[] = [];
    for (const { record } of await journal.readBack(lsns)) {
      if (record.type !== 'request') continue;
      const spans = decode(record);
      if (spans.status === 'ok') out.push(...spans.value);
    }
    return out;
  };
}

/** Replays logged requests, evals and decisions into the buffer, as they were placed before the crash. */
export function sessionsReplay(buffer: SessionBuffer, decode: DecodeLogged): ReplayedSessions {
  // Decision records come back as the buffer logged them: its Decision and SessionSummary.
  const typed = (r: LoggedDecision): DecisionRecord => r as DecisionRecord;
  return {
    beginReplay: (decisions) => buffer.beginReplay(decisions.map(({ lsn, record }) => ({ lsn, record: typed(record) }))),
    replayDecision: (lsn, record) => buffer.replayDecision(lsn, typed(record)),
    replayRequest(lsn, record): boolean {
      const spans = decode(record);
      if (spans.status !== 'ok') return false;
      buffer.replayRequest(lsn, spans.value, record.receivedAtMs);
      return true;
    },
    replayEvals: (lsn, tenantId, evals) => buffer.replayEvals(lsn, tenantId, evals),
    endReplay: () => buffer.endReplay(),
    openSessions: () => buffer.stats().openSessions,
    oldestPin: () => buffer.oldestPin(),
  };
}
