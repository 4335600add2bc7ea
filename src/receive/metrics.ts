/** Metrics of the receive stage. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SignalName } from './signal-route.js';

/** The per-signal item counters of the Export path. */
export interface ItemCounters {
  received: Counter<'transport'>;
  accepted: Counter<'transport'>;
  rejected: Counter<'reason'>;
  refused: Counter<'reason'>;
}

/** Metric name stem and help noun of each signal's items. */
const ITEMS: Record<SignalName, { stem: string; noun: string }> = {
  traces: { stem: 'spans', noun: 'Spans' },
  logs: { stem: 'log_records', noun: 'Log records' },
  metrics: { stem: 'metric_points', noun: 'Metric data points' },
};

export class ReceiveMetrics {
  readonly requests: Counter<'transport' | 'code'>;
  readonly spansReceived: Counter<'transport'>;
  readonly spansAccepted: Counter<'transport'>;
  readonly spansRejected: Counter<'reason'>;
  readonly spansRefused: Counter<'reason'>;
  readonly bytesReceived: Counter<'transport'>;
  readonly truncatedStrings: Counter;
  readonly unknownFieldRequests: Counter<'signal'>;
  readonly rssLimitBytes: Gauge;
  readonly forcedGcs: Counter;
  readonly rssPeakBytes: Gauge;
  private readonly items = new Map<SignalName, ItemCounters>();

  /** Where the peak RSS gauge reads from: the memory guard, once it is built (`readPeakRssFrom`); 0 until then. */
  private peakRss: { readonly peakRssBytes: number } = { peakRssBytes: 0 };

  /** `peakRssBytes`: the highest RSS the memory guard sampled (every 100 ms while a cap is on). */
  constructor(
    private readonly registry: Registry,
    peakRssBytes?: () => number,
  ) {
    const peak = peakRssBytes ?? (() => this.peakRss.peakRssBytes);
    const registers = [registry];
    this.requests = new Counter({ name: 'agenttail_receive_requests_total', help: 'Export requests (every signal) by transport and outcome code (ok or AGT_ERR_*)', labelNames: ['transport', 'code'], registers });
    const spans = this.itemCounters('traces');
    this.spansReceived = spans.received;
    this.spansAccepted = spans.accepted;
    this.spansRejected = spans.rejected;
    this.spansRefused = spans.refused;
    this.bytesReceived = new Counter({ name: 'agenttail_receive_bytes_total', help: 'Request bytes received (decompressed)', labelNames: ['transport'], registers });
    this.truncatedStrings = new Counter({ name: 'agenttail_receive_truncated_strings_total', help: 'String values cut to receive.limits.maxStringBytes', registers });
    this.unknownFieldRequests = new Counter({ name: 'agenttail_receive_unknown_field_requests_total', help: 'OTLP/JSON requests holding only unknown top-level fields (a typo such as resourceSpan): accepted with nothing in them, said in partial_success', labelNames: ['signal'], registers });
    this.forcedGcs = new Counter({ name: 'agenttail_process_forced_gc_total', help: 'Full garbage collections forced while RSS was at the memory limit (receive.overload.maxRssBytes)', registers });
    this.rssPeakBytes = new Gauge({ name: 'agenttail_process_rss_peak_bytes', help: 'Highest RSS sampled by the memory guard since start (every 100 ms while receive.overload.maxRssBytes is on; 0 = off): what the cap bounds', registers, collect() { this.set(peak()); } });
    this.rssLimitBytes = new Gauge({ name: 'agenttail_process_rss_limit_bytes', help: 'receive.overload.maxRssBytes as resolved at start: RSS at which Export requests are refused (retryable); 0 = off', registers });
  }

  /** The guard whose sampled peak RSS the gauge reports (it is built after these metrics: it counts forced GCs here). */
  readPeakRssFrom(guard: { readonly peakRssBytes: number }): void {
    this.peakRss = guard;
  }

  /** The item counters of one signal, made on first use (`agenttail_receive_<items>_{received,accepted,rejected,refused}_total`). */
  itemCounters(signal: SignalName): ItemCounters {
    const have = this.items.get(signal);
    if (have !== undefined) return have;
    const { stem, noun } = ITEMS[signal];
    const registers = [this.registry];
    const made: ItemCounters = {
      received: new Counter({ name: `agenttail_receive_${stem}_received_total`, help: `${noun} decoded from requests`, labelNames: ['transport'], registers }),
      accepted: new Counter({ name: `agenttail_receive_${stem}_accepted_total`, help: `${noun} accepted into the pipeline`, labelNames: ['transport'], registers }),
      rejected: new Counter({ name: `agenttail_receive_${stem}_rejected_total`, help: `${noun} rejected as invalid (partial_success)`, labelNames: ['reason'], registers }),
      refused: new Counter({ name: `agenttail_receive_${stem}_refused_total`, help: `${noun} refused with a retryable or fatal answer, by error code`, labelNames: ['reason'], registers }),
    };
    this.items.set(signal, made);
    return made;
  }
}
