/** The logs stage in recovery and checkpoints (src/durability/replay.ts ReplayedLogs), and its read-back of logged requests. */
import type { LogsRecord, ReplayedLogs } from '../durability/replay.js';
import type { Journal } from '../durability/journal.js';
import type { LogReadBack } from './dropped-logs.js';
import type { LogJoiner } from './log-joiner.js';
import type { LogDecoder } from './log-route.js';

/** Replays logs requests through the arrivals' decoding into the joiner, as on arrival. */
export function logsReplay(decoder: LogDecoder, joiner: LogJoiner): ReplayedLogs {
  return {
    replayLogs(lsn: number, r: LogsRecord): boolean {
      const entries = decoder.entriesOfLogged(r);
      if (entries.status !== 'ok') return false;
      joiner.replay(lsn, entries.value, r.receivedAtMs);
      return true;
    },
    rememberLogs(lsn: number, r: LogsRecord): void {
      const entries = decoder.entriesOfLogged(r);
      if (entries.status === 'ok') joiner.remember(lsn, entries.value);
    },
    endReplay: async () => {
      joiner.sweep();
      // Backfills started by upgrades during replay must reach the store before it ends its replay (their keys).
      await joiner.settled();
    },
    oldestPin: () => joiner.oldestPin(),
  };
}

/** Reads logs records back from the log and decodes them as on arrival (upgrades of dropped sessions). */
export function logsReadBack(journal: Journal, decoder: LogDecoder): LogReadBack {
  return async (lsns) => {
    const out: Awaited<ReturnType<LogReadBack>> = [];
    for (const { lsn, record } of await journal.readBack(lsns)) {
      if (record.type !== 'logs') continue;
      const entries = decoder.entriesOfLogged(record);
      if (entries.status === 'ok') out.push({ lsn, entries: entries.value });
    }
    return out;
  };
}
