/** A SpanSink that only logs and counts what it receives: used with `--no-store` style runs and in tests. */
import type { EvalResult, NormalizedSpan } from './conventions/types.js';
import type { Logger } from './log.js';
import { ok, type Outcome } from './outcome.js';
import type { SpanSink } from './pipeline.js';

export class LoggingSink implements SpanSink {
  spans = 0;
  evals = 0;

  constructor(private readonly params: { log: Logger }) {}

  async accept(spans: NormalizedSpan[]): Promise<Outcome<void>> {
    this.spans += spans.length;
    const first = spans[0];
    this.params.log.info(
      { spans: spans.length, tenant: first?.tenantId, session: first?.sessionId, model: first?.genai.requestModel ?? first?.genai.responseModel },
      'accepted spans',
    );
    return ok();
  }

  async acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>> {
    this.evals += evals.length;
    this.params.log.info({ tenant: tenantId, evals: evals.length }, 'accepted evals');
    return ok();
  }

  admit(): Outcome<void> {
    return ok();
  }
}
