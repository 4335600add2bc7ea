/** The metrics stage in recovery (src/durability/replay.ts ReplayedMetrics): logged requests written again as on arrival. */
import type { MetricsRecord, ReplayedMetrics } from '../durability/replay.js';
import type { MetricRoute } from './metric-route.js';
import type { MetricWriter } from './metric-writer.js';

/** Replays metrics requests through the route's decoding into the writer, under their logged LSNs. */
export function metricsReplay(route: MetricRoute, writer: MetricWriter): ReplayedMetrics {
  return {
    replayMetrics(lsn: number, r: MetricsRecord): boolean {
      const rows = route.rowsOfLogged(r);
      if (rows.status !== 'ok') return false;
      // A store refusal (queues full during recovery) is counted with the unreadable requests, which recovery logs.
      return writer.write(lsn, rows.value).status === 'ok';
    },
  };
}
