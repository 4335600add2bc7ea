/** The logs stage in recovery and checkpoints (src/sessions/durability.ts ReplayedLogs): decode again, place again. */
import type { LogsRecord, ReplayedLogs } from '../sessions/durability.js';
import type { LogJoiner } from './log-joiner.js';
import type { LogRoute } from './log-route.js';

/** Replays logs requests through the route's decoding into the joiner, as on arrival. */
export function logsReplay(route: LogRoute, joiner: LogJoiner): ReplayedLogs {
  return {
    replayLogs(lsn: number, r: LogsRecord): boolean {
      const entries = route.entriesOfLogged(r);
      if (entries.status !== 'ok') return false;
      joiner.replay(lsn, entries.value, r.receivedAtMs);
      return true;
    },
    endReplay: () => joiner.sweep(),
    oldestPin: () => joiner.oldestPin(),
  };
}
