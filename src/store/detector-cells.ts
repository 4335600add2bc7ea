/** The detector columns of a `sessions` row (schema/009_detectors.sql), from the decision's detector report. */
import type { Decision } from '../model/decision.js';
import { costCell } from './cell-format.js';

/** Detector columns as JSON cells; zeros and empties when no detector reported anything. */
export function detectorCells(d: Decision): Record<string, unknown> {
  const f = d.detectors?.figures ?? {};
  return {
    Detectors: d.detectors?.fired ?? [],
    LoopLength: f.loopLength ?? 0,
    Refusals: f.refusals ?? 0,
    RefusalsByProvider: f.refusalsByProvider ?? {},
    BackoffSeconds: f.backoffSeconds ?? 0,
    DuplicateToolCallIds: f.duplicateToolCallIds ?? [],
    RunawayModelCalls: f.modelCalls ?? 0,
    RunawayToolCalls: f.toolCalls ?? 0,
    ContextGrowth: f.contextGrowth ?? 0,
    CacheMissedTokens: f.cacheMissedTokens ?? 0,
    CacheCollapseExtraUsd: costCell(f.cacheCollapseExtraUsd ?? 0),
    CacheChurnExtraUsd: costCell(f.cacheChurnExtraUsd ?? 0),
    ExcusedErrors: d.excusedErrors ?? 0,
  };
}
