/** Metrics of the session buffer, created on the registry passed in (never the global default). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TalliedCounter, type TallySlot } from '../metric-tally.js';
import type { DecisionTrigger } from '../model/decision.js';

/** The buffer's current counts, read at scrape time for the gauges (not set on every request). */
export interface BufferGaugeState {
  openSessions: number;
  bufferedBytes: number;
  bufferedSpans: number;
}

/** Fine around the idle timeouts people set (1–10 s), coarse beyond: the goal is p99 ≤ idle timeout + 1 s. */
const DECISION_DELAY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 5.5, 6, 7, 8, 10, 12, 15, 20, 30, 60, 120, 300, 600];

/** The `agenttail_sessions_*` metrics. */
export class SessionMetrics {
  readonly open: Gauge;
  readonly bytes: Gauge;
  readonly limitBytes: Gauge;
  readonly softLimitBytes: Gauge;
  readonly spans: Gauge;
  /** Counted per decision, so tallied (see metric-tally.ts): use countDecided. */
  readonly decided: TalliedCounter<'trigger' | 'outcome'>;
  readonly decisionDelay: Histogram<'trigger'>;
  readonly early: Counter;
  readonly refusals: Counter<'reason'>;
  readonly lateSpans: Counter<'decision'>;
  readonly upgrades: Counter;
  readonly moved: Counter;
  readonly duplicates: Counter;
  readonly aggregateMismatches: Counter;
  readonly storeRefusals: Counter<'kind'>;
  readonly evals: Counter<'routed'>;
  readonly backfilledSpans: Counter;
  readonly detailLost: Counter;

  private readonly decidedSlots: { kept: (trigger: DecisionTrigger) => TallySlot; dropped: (trigger: DecisionTrigger) => TallySlot };

  constructor(p: { registry: Registry; state: () => BufferGaugeState }) {
    const registers = [p.registry];
    const state = p.state;
    this.open = new Gauge({ name: 'agenttail_sessions_open_sessions', help: 'Sessions buffered, not yet decided.', registers, collect() { this.set(state().openSessions); } });
    this.bytes = new Gauge({ name: 'agenttail_sessions_buffered_bytes', help: 'Accounted bytes of buffered spans.', registers, collect() { this.set(state().bufferedBytes); } });
    this.limitBytes = new Gauge({ name: 'agenttail_sessions_buffer_limit_bytes', help: 'sessions.maxBufferBytes: buffered bytes past which requests are refused (retryable).', registers });
    this.softLimitBytes = new Gauge({ name: 'agenttail_sessions_buffer_soft_limit_bytes', help: 'maxBufferBytes × softLimitRatio: buffered bytes past which the oldest sessions are decided early.', registers });
    this.spans = new Gauge({ name: 'agenttail_sessions_buffered_spans', help: 'Spans buffered in open sessions.', registers, collect() { this.set(state().bufferedSpans); } });
    this.decided = new TalliedCounter({ name: 'agenttail_sessions_decided_total', help: 'Sessions decided, by trigger and outcome.', labelNames: ['trigger', 'outcome'], registers });
    this.decidedSlots = { kept: this.decided.keyed((trigger) => ({ trigger, outcome: 'kept' })), dropped: this.decided.keyed((trigger) => ({ trigger, outcome: 'dropped' })) };
    this.decisionDelay = new Histogram({
      name: 'agenttail_sessions_decision_delay_seconds',
      help: "Seconds from a session's last span arriving to its decision, by trigger (idle decisions wait at least the idle timeout).",
      labelNames: ['trigger'],
      buckets: DECISION_DELAY_BUCKETS,
      registers,
    });
    this.early = new Counter({ name: 'agenttail_sessions_early_decisions_total', help: 'Sessions decided early because the buffer passed its soft memory limit or the process its memory cap (receive.overload.maxRssBytes).', registers });
    this.refusals = new Counter({ name: 'agenttail_sessions_refusals_total', help: 'Requests refused retryably (buffer full, writer full).', labelNames: ['reason'], registers });
    this.lateSpans = new Counter({ name: 'agenttail_sessions_late_spans_total', help: 'Spans that arrived after their session was decided, by that decision.', labelNames: ['decision'], registers });
    this.upgrades = new Counter({ name: 'agenttail_sessions_upgrades_total', help: 'Dropped sessions upgraded to kept by late spans or evals.', registers });
    this.moved = new Counter({ name: 'agenttail_sessions_moved_spans_total', help: 'Spans moved from a bare-trace session into the session named later in the trace.', registers });
    this.duplicates = new Counter({ name: 'agenttail_sessions_duplicate_spans_total', help: 'Spans seen twice (same trace and span id), counted once.', registers });
    this.aggregateMismatches = new Counter({ name: 'agenttail_sessions_aggregate_mismatches_total', help: 'Wrapper spans whose usage differs from the sum of their calls.', registers });
    this.storeRefusals = new Counter({ name: 'agenttail_sessions_store_refusals_total', help: 'Store writes refused (queue full) and held for retry.', labelNames: ['kind'], registers });
    this.detailLost = new Counter({ name: 'agenttail_sessions_span_detail_lost_total', help: 'Spans of kept sessions held lean whose attributes, events and links were not found in the write-ahead log: their span rows are not written.', registers });
    this.backfilledSpans = new Counter({ name: 'agenttail_sessions_backfilled_spans_total', help: 'Earlier spans of upgraded sessions read back from the write-ahead log and written as kept.', registers });
    this.evals = new Counter({ name: 'agenttail_sessions_evals_total', help: 'Evals received, by where they were routed.', labelNames: ['routed'], registers });
  }

  /** Counts one session decision by trigger and outcome. */
  countDecided(trigger: DecisionTrigger, kept: boolean): void {
    (kept ? this.decidedSlots.kept : this.decidedSlots.dropped)(trigger).n += 1;
  }
}
