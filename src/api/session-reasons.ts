/**
 * The reasons a session row can carry (src/model/decision.ts `Decision.reasons`), so `GET /api/v1/sessions?reason=`
 * refuses a name no decision ever writes (`reason=errors` answered an empty list) instead of matching nothing.
 */
import { DETECTOR_REASONS } from '../model/decision.js';

/** Keep policies' reasons (src/sampling/policies/), then the detectors'. */
export const POLICY_REASONS: readonly string[] = ['error', 'rare_path', 'cost_outlier', 'low_eval', 'latency', 'residency', 'baseline', ...DETECTOR_REASONS];

/** Markers written beside the policies' reasons. */
export const MARKER_REASONS: readonly string[] = ['early:memory', 'budget:thinned', 'shared'];

/** Prefixes followed by a configured rule's name (`rule:vip`, `drop:health-checks`). */
const RULE_PREFIXES = ['rule:', 'drop:'];

/** True when some decision can carry `reason`: a policy or marker, `upgrade:<policy|shared>`, or `rule:`/`drop:` + a name. */
export function isKnownReason(reason: string): boolean {
  if (POLICY_REASONS.includes(reason) || MARKER_REASONS.includes(reason)) return true;
  if (reason.startsWith('upgrade:')) {
    const what = reason.slice('upgrade:'.length);
    return POLICY_REASONS.includes(what) || what === 'shared';
  }
  return RULE_PREFIXES.some((p) => reason.startsWith(p) && reason.length > p.length);
}

/** The valid values as a person reads them in an error message. */
export function describeReasons(): string {
  return [...POLICY_REASONS, ...MARKER_REASONS, 'upgrade:<policy>', 'upgrade:shared', 'rule:<name>', 'drop:<name>'].join(', ');
}
