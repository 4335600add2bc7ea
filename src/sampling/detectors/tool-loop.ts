/**
 * `tool_loop`: within one turn (trace), the same tool called with the same arguments `repeatCount` times in a row
 * (`nameOnlyRepeatCount` when the client sent no arguments), or a cycle of 2..maxCycleLength tools repeated
 * `cycleRepeatCount` times. Model calls between the repeats did not change the plan (they asked for the same call
 * again); a different tool call does, and ends the run. A new trace is a new turn: a user message changes the plan.
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';

type ToolLoopConfig = DetectorsConfig['toolLoop'];

/** Equal when both calls name the same tool and carry equal (or both no) arguments. */
function sameCall(a: NormalizedSpan, b: NormalizedSpan): boolean {
  return a.genai.toolName === b.genai.toolName && (a.toolArgsHash ?? null) === (b.toolArgsHash ?? null);
}

export class ToolLoopDetector implements Detector {
  readonly reason = 'tool_loop' as const;
  constructor(private readonly config: ToolLoopConfig) {}

  detect(session: SessionSpans): Finding | null {
    const tools = session.toolCalls;
    const c = this.config;
    if (tools.length < Math.min(c.repeatCount, c.nameOnlyRepeatCount, 2 * c.cycleRepeatCount)) return null;
    let best: { length: number; culprit: string } | null = null;
    // Tool calls are in start order; a turn's calls are those of one trace.
    let turnStart = 0;
    for (let i = 1; i <= tools.length; i++) {
      if (i < tools.length && tools[i]!.traceId === tools[turnStart]!.traceId) continue;
      const found = this.inTurn(tools, turnStart, i);
      if (found !== null && (best === null || found.length > best.length)) best = found;
      turnStart = i;
    }
    return best === null ? null : fired(this.reason, [best.culprit], { loopLength: best.length });
  }

  /** The longest loop among tools[from, to) (one turn), as repeats and the call that completed it. */
  private inTurn(tools: readonly NormalizedSpan[], from: number, to: number): { length: number; culprit: string } | null {
    const c = this.config;
    let best: { length: number; culprit: string } | null = null;
    // Period 1: runs of one call.
    let run = 1;
    for (let i = from + 1; i < to; i++) {
      run = sameCall(tools[i]!, tools[i - 1]!) ? run + 1 : 1;
      const needed = tools[i]!.toolArgsHash == null ? c.nameOnlyRepeatCount : c.repeatCount;
      if (run >= needed && (best === null || run > best.length)) best = { length: run, culprit: tools[i - run + needed]!.spanId };
    }
    // Periods 2..maxCycleLength: positions equal to the one a period before; `matched` of them in a row make
    // 1 + matched / period repeats of the cycle (a cycle of one tool is a run above, not a cycle).
    for (let p = 2; p <= c.maxCycleLength; p++) {
      let matched = 0;
      // The run of one call ending at i: when it covers the whole window, the "cycle" is a run (counted above).
      let single = 1;
      for (let i = from + 1; i < from + p && i < to; i++) single = sameCall(tools[i]!, tools[i - 1]!) ? single + 1 : 1;
      for (let i = from + p; i < to; i++) {
        matched = sameCall(tools[i]!, tools[i - p]!) ? matched + 1 : 0;
        single = sameCall(tools[i]!, tools[i - 1]!) ? single + 1 : 1;
        const repeats = 1 + Math.floor(matched / p);
        if (repeats < c.cycleRepeatCount || single >= matched + p) continue;
        if (best === null || repeats > best.length) best = { length: repeats, culprit: tools[i]!.spanId };
      }
    }
    return best;
  }
}
