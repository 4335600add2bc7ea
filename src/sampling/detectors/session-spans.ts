/**
 * One session's spans as the detectors read them, indexed once per decision: model calls and tool calls in start
 * order, parents by span id (built on first use), and the prices cache figures are computed with.
 */
import type { NormalizedSpan, Usage } from '../../conventions/types.js';
import { byStart, isModelCall } from './model-call.js';

/** Prices a usage at catalog prices (Pricer.priceUsage): the cache detectors' extra cost. */
export type PriceUsage = (p: { model: string | null; provider: string | null; usage: Usage; atUnixMs: number }) => { costUsd: number | null };

/** The spans of one session, sorted and indexed for the detectors. */
export class SessionSpans {
  /** Model-call spans by start time. */
  readonly modelCalls: NormalizedSpan[] = [];
  /** execute_tool spans by start time. */
  readonly toolCalls: NormalizedSpan[] = [];
  /** Spans with an HTTP status (client requests), in arrival order. */
  readonly requests: NormalizedSpan[] = [];
  private byId: Map<string, NormalizedSpan> | null = null;

  constructor(
    readonly spans: readonly NormalizedSpan[],
    /** The session's agent names (summary order). */
    readonly agentNames: readonly string[],
    readonly priceUsage: PriceUsage,
  ) {
    for (const s of spans) {
      if (s.genai.operation === 'execute_tool') this.toolCalls.push(s);
      else if (isModelCall(s)) this.modelCalls.push(s);
      if (s.httpStatus !== undefined && s.httpStatus !== null) this.requests.push(s);
    }
    this.modelCalls.sort(byStart);
    this.toolCalls.sort(byStart);
  }

  /** The span's parent when it is in the session. */
  parentOf(span: NormalizedSpan): NormalizedSpan | undefined {
    if (span.parentSpanId === '') return undefined;
    if (this.byId === null) {
      this.byId = new Map();
      for (const s of this.spans) this.byId.set(s.spanId, s);
    }
    return this.byId.get(span.parentSpanId);
  }
}

/** The model a call is attributed to, with its provider: the key the cache detectors group calls by. */
export function modelKey(span: NormalizedSpan): string {
  return `${span.genai.provider ?? ''}\u0000${span.genai.requestModel ?? span.genai.responseModel ?? ''}`;
}

/** Nanoseconds → milliseconds since the epoch. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}
