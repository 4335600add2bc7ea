/**
 * `budget_race`: the agent gave up on a tool call that was still running. Either a second execution of the same call
 * (same id, or same tool and arguments when both sent them) starts before the first one ends; or a tool call ends
 * more than `toleranceMs` after its parent span (its caller ended first — a timeout error on the caller or not).
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import type { NormalizedSpan } from '../../model/span.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';
import { startsBeforeEnd } from './span-clock.js';

type BudgetRaceConfig = DetectorsConfig['budgetRace'];

/** Overlapping later calls compared with each call (parallel fan-outs wider than this are not searched for repeats). */
const MAX_OVERLAPS = 64;

/** Same call for a race: the same id (and tool), or the same tool with equal, present arguments. */
function sameRacedCall(a: NormalizedSpan, b: NormalizedSpan): boolean {
  if (a.genai.toolName !== b.genai.toolName) return false;
  if (a.genai.toolCallId !== null && a.genai.toolCallId === b.genai.toolCallId) return true;
  const ha = a.toolArgsHash ?? null;
  return ha !== null && ha === (b.toolArgsHash ?? null);
}

export class BudgetRaceDetector implements Detector {
  readonly reason = 'budget_race' as const;
  private readonly toleranceNs: bigint;

  constructor(config: BudgetRaceConfig) {
    this.toleranceNs = BigInt(config.toleranceMs) * 1_000_000n;
  }

  detect(session: SessionSpans): Finding | null {
    const tools = session.toolCalls;
    const culprits: string[] = [];
    for (let i = 0; i < tools.length; i++) {
      const t = tools[i]!;
      const parent = session.parentOf(t);
      if (parent !== undefined && t.endTimeUnixNano > parent.endTimeUnixNano + this.toleranceNs) {
        culprits.push(t.spanId);
        continue;
      }
      // Tools are in start order: a later call overlapping this one starts before it ends (clearly: a call started
      // in the millisecond this one ended came after it, span-clock.ts). Looking at the next MAX_OVERLAPS of them
      // bounds the work on a session of thousands of parallel calls.
      for (let j = i + 1; j < tools.length && j <= i + MAX_OVERLAPS && startsBeforeEnd(tools[j]!.startTimeUnixNano, t.endTimeUnixNano); j++) {
        const u = tools[j]!;
        if (u.parentSpanId !== t.spanId && sameRacedCall(t, u)) {
          culprits.push(u.spanId);
          break;
        }
      }
    }
    return culprits.length === 0 ? null : fired(this.reason, [...new Set(culprits)]);
  }
}
