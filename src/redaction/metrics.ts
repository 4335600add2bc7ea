/** Metrics of the redaction stage (registered whether redaction is on or off, so /metrics always lists them). */
import { Counter, type Registry } from 'prom-client';

export class RedactionMetrics {
  /** Values redacted, by rule (built-in pattern name or configured rule name), tenant and signal. */
  readonly redactions: Counter<'rule' | 'tenant' | 'signal'>;

  constructor(registry: Registry) {
    this.redactions = new Counter({
      name: 'agenttail_redactions_total',
      help: 'Values redacted before the write-ahead log, by rule (built-in pattern or configured rule), tenant and signal',
      labelNames: ['rule', 'tenant', 'signal'],
      registers: [registry],
    });
  }
}
