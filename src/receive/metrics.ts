/** Metrics of the receive stage. */
import { Counter, Gauge, type Registry } from 'prom-client';

export class ReceiveMetrics {
  readonly requests: Counter<'transport' | 'code'>;
  readonly spansReceived: Counter<'transport'>;
  readonly spansAccepted: Counter<'transport'>;
  readonly spansRejected: Counter<'reason'>;
  readonly spansRefused: Counter<'reason'>;
  readonly bytesReceived: Counter<'transport'>;
  readonly truncatedStrings: Counter;
  readonly rssLimitBytes: Gauge;
  readonly forcedGcs: Counter;
  readonly rssPeakBytes: Gauge;

  /** `peakRssBytes`: the highest RSS the memory guard sampled (every 100 ms while a cap is on). */
  constructor(registry: Registry, peakRssBytes: () => number = () => 0) {
    const registers = [registry];
    this.requests = new Counter({ name: 'agenttail_receive_requests_total', help: 'Export requests by transport and outcome code (ok or AGT_ERR_*)', labelNames: ['transport', 'code'], registers });
    this.spansReceived = new Counter({ name: 'agenttail_receive_spans_received_total', help: 'Spans decoded from requests', labelNames: ['transport'], registers });
    this.spansAccepted = new Counter({ name: 'agenttail_receive_spans_accepted_total', help: 'Spans accepted into the pipeline', labelNames: ['transport'], registers });
    this.spansRejected = new Counter({ name: 'agenttail_receive_spans_rejected_total', help: 'Spans rejected as invalid (partial_success)', labelNames: ['reason'], registers });
    this.spansRefused = new Counter({ name: 'agenttail_receive_spans_refused_total', help: 'Spans refused with a retryable or fatal answer, by error code', labelNames: ['reason'], registers });
    this.bytesReceived = new Counter({ name: 'agenttail_receive_bytes_total', help: 'Request bytes received (decompressed)', labelNames: ['transport'], registers });
    this.truncatedStrings = new Counter({ name: 'agenttail_receive_truncated_strings_total', help: 'String values cut to receive.limits.maxStringBytes', registers });
    this.forcedGcs = new Counter({ name: 'agenttail_process_forced_gc_total', help: 'Full garbage collections forced while RSS was at the memory limit (receive.overload.maxRssBytes)', registers });
    this.rssPeakBytes = new Gauge({ name: 'agenttail_process_rss_peak_bytes', help: 'Highest RSS sampled by the memory guard since start (every 100 ms while receive.overload.maxRssBytes is on; 0 = off): what the cap bounds', registers, collect() { this.set(peakRssBytes()); } });
    this.rssLimitBytes = new Gauge({ name: 'agenttail_process_rss_limit_bytes', help: 'receive.overload.maxRssBytes as resolved at start: RSS at which Export requests are refused (retryable); 0 = off', registers });
  }
}
