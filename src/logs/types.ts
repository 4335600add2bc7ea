/** What the logs stage works with: a decoded log record resolved to its tenant, session hint and eval. */
import type { EvalResult } from '../model/span.js';
import type { OtlpLogRecord } from '../otlp/log-types.js';

/** One accepted log record. */
export interface LogEntry {
  tenantId: string;
  record: OtlpLogRecord;
  /** A session alias on the record or its resource (null when none): joins that session without a trace id. */
  sessionId: string | null;
  /** The `gen_ai.evaluation.result` the record carries (null for other records). */
  evalResult: EvalResult | null;
}
