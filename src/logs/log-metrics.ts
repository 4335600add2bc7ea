/** Metrics of the logs stage. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Where an accepted log record ended up. */
export type LogOutcome = 'kept' | 'dropped' | 'unsampled' | 'discarded' | 'duplicate';

export class LogMetrics {
  /** Records by outcome: stored with a kept session, not stored with a dropped one, stored outside any session, discarded by logs.untraced. */
  readonly records: Counter<'outcome'>;
  /** Records that waited past logs.holdMs for their trace or session and then followed the untraced rule. */
  readonly expired: Counter;
  readonly evals: Counter;
  /** Records of upgraded sessions read back from the write-ahead log and stored (they were counted as dropped). */
  readonly backfilled: Counter;

  constructor(registry: Registry, state: () => { heldRecords: number; heldBytes: number }) {
    const registers = [registry];
    this.records = new Counter({ name: 'agenttail_logs_records_total', help: 'Accepted log records by outcome: kept (stored, kept session), dropped (dropped session, not stored), unsampled (stored, no session), discarded (no session, logs.untraced=drop), duplicate (a re-delivery of a record already accepted: not stored or counted again)', labelNames: ['outcome'], registers });
    this.expired = new Counter({ name: 'agenttail_logs_hold_expired_total', help: 'Log records whose trace or session was not decided within logs.holdMs (then handled as untraced)', registers });
    this.evals = new Counter({ name: 'agenttail_logs_evals_total', help: 'gen_ai.evaluation.result log records routed to their session as evals', registers });
    this.backfilled = new Counter({ name: 'agenttail_logs_backfilled_total', help: 'Log records of dropped sessions stored after the session was upgraded, read back from the write-ahead log', registers });
    new Gauge({ name: 'agenttail_logs_held_records', help: 'Log records waiting for their session decision', registers, collect() { this.set(state().heldRecords); } });
    new Gauge({ name: 'agenttail_logs_held_bytes', help: 'Wire bytes of log records waiting for their session decision (limit logs.maxHeldBytes)', registers, collect() { this.set(state().heldBytes); } });
  }
}
