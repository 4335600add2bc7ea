/** What a buffered span may be held without until its session is kept: read back from the logged request. */
import type { NormalizedSpan } from './span.js';

/** The parts of a span that only its stored row needs. */
export type SpanDetail = Pick<NormalizedSpan, 'attributes' | 'events' | 'links'>;
