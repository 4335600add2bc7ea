/** A SpanSink that records everything it accepts, for tests. */
import type { EvalResult, NormalizedSpan } from '../../src/model/span.js';
import { ok, type Outcome } from '../../src/model/outcome.js';
import type { SpanSink } from '../../src/model/sinks.js';
import type { LogSink } from '../../src/logs/log-route.js';
import type { LogEntry } from '../../src/logs/types.js';
import type { MetricSink } from '../../src/metrics/metric-route.js';
import type { MetricRow } from '../../src/metrics/types.js';

export class RecordingSink implements SpanSink {
  readonly spans: NormalizedSpan[] = [];
  /** Log records the logs route handed on. */
  readonly logEntries: LogEntry[] = [];
  /** The LogSink side: records log entries, and answers nextOutcome when set. */
  readonly logSink: LogSink = {
    admit: () => this.nextOutcome ?? ok(),
    accept: async (entries) => {
      if (this.nextOutcome) return this.nextOutcome;
      this.logEntries.push(...entries);
      this.notify();
      return ok();
    },
  };
  /** Metric rows the metrics route handed on. */
  readonly metricRows: MetricRow[] = [];
  /** The MetricSink side: records metric rows, and answers nextOutcome when set. */
  readonly metricSink: MetricSink = {
    admit: () => this.nextOutcome ?? ok(),
    accept: async (rows) => {
      if (this.nextOutcome) return this.nextOutcome;
      this.metricRows.push(...rows);
      this.notify();
      return ok();
    },
  };
  readonly evals: { tenantId: string; evals: EvalResult[] }[] = [];
  /** When set, accept() answers this instead of recording (to test refusals). */
  nextOutcome: Outcome<void> | null = null;
  private waiters: (() => void)[] = [];

  async accept(spans: NormalizedSpan[]): Promise<Outcome<void>> {
    if (this.nextOutcome) return this.nextOutcome;
    this.spans.push(...spans);
    this.notify();
    return ok();
  }

  async acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>> {
    this.evals.push({ tenantId, evals });
    this.notify();
    return ok();
  }

  admit(): Outcome<void> {
    return this.nextOutcome ?? ok();
  }

  /** Resolves once at least n spans were recorded; rejects after timeoutMs. */
  async waitForSpans(n: number, timeoutMs = 10_000): Promise<NormalizedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spans.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${n} spans, have ${this.spans.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.spans;
  }

  /** Spans by name (first match), for field-by-field assertions. */
  byName(name: string | RegExp): NormalizedSpan[] {
    return this.spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
