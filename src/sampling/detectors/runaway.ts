/**
 * `runaway`: a session past its turn budget — more model calls or tool calls than allowed (per agent overrides) —
 * or a context filling up: a model call whose input tokens pass `contextGrowthFactor` × the first call's (and
 * `minGrowthInputTokens`).
 */
import type { DetectorsConfig } from '../../config/detectors.js';
import { fired, type Detector, type Finding } from './detector.js';
import type { SessionSpans } from './session-spans.js';

type RunawayConfig = DetectorsConfig['runaway'];
type Limit = 'maxModelCalls' | 'maxToolCalls';

export class RunawayDetector implements Detector {
  readonly reason = 'runaway' as const;
  constructor(private readonly config: RunawayConfig) {}

  /** The limit for a session: the largest among its agents' overrides, else the default (null: none). */
  limitOf(agentNames: readonly string[], limit: Limit): number | null {
    let best: number | undefined;
    for (const a of agentNames) {
      const v = this.config.agents[a]?.[limit];
      if (v === undefined) continue;
      // An agent without a limit makes the largest limit none at all.
      if (v === null) return null;
      best = best === undefined ? v : Math.max(best, v);
    }
    return best ?? this.config[limit];
  }

  detect(session: SessionSpans): Finding | null {
    const calls = session.modelCalls;
    const tools = session.toolCalls;
    const maxCalls = this.limitOf(session.agentNames, 'maxModelCalls');
    const maxTools = this.limitOf(session.agentNames, 'maxToolCalls');
    const figures = { modelCalls: calls.length, toolCalls: tools.length };
    if (maxCalls !== null && calls.length > maxCalls) return fired(this.reason, [calls[maxCalls]!.spanId], figures);
    if (maxTools !== null && tools.length > maxTools) return fired(this.reason, [tools[maxTools]!.spanId], figures);

    const factor = this.config.contextGrowthFactor;
    const firstInput = calls.find((c) => c.usage !== null && c.usage.inputTokens > 0)?.usage?.inputTokens;
    if (factor === null || firstInput === undefined) return null;
    const floor = Math.max(this.config.minGrowthInputTokens, factor * firstInput);
    for (const c of calls) {
      const input = c.usage?.inputTokens ?? 0;
      if (input > floor) return fired(this.reason, [c.spanId], { ...figures, contextGrowth: input / firstInput });
    }
    return null;
  }
}
