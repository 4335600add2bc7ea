/**
 * The list of keep policies (policy.ts): built once from config, asked in order for every decided session. Adding a
 * policy is one class and one line here; a policy that is off is left out, so the engine never asks whether it is on.
 */
import type { Registry } from 'prom-client';
import type { ResidencyConfig } from '../../config/residency.js';
import type { SamplingConfig } from '../../config/sampling.js';
import { buildDetectors } from '../detectors/detector-set.js';
import type { PriceUsage } from '../detectors/session-spans.js';
import { AttributeRules } from './attribute-rules.js';
import { BaselinePolicy } from './baseline.js';
import { CostOutlierPolicy } from './cost-outlier.js';
import { DetectorPolicy } from './detectors.js';
import { ErrorPolicy } from './error.js';
import { LatencyPolicy } from './latency.js';
import { LowEvalPolicy } from './low-eval.js';
import { isUpgrader, type DropRule, type KeepPolicy, type Upgrader } from './policy.js';
import { RarePathPolicy } from './rare-path.js';
import { ResidencyPolicy } from './residency.js';

/**
 * The keep policies that are on, in vote order: the order of the reasons on a decision (observable on session rows,
 * so a new policy goes where its reason should appear, not where it is convenient). The learners learn in this order
 * too. `residency` absent or disabled leaves the residency policy (and its counter) out.
 */
export function buildPolicies(config: SamplingConfig, residency: ResidencyConfig | undefined, registry: Registry, priceUsage: PriceUsage): KeepPolicy[] {
  const p = config.policies;
  const keepRules = config.rules.filter((r) => r.action === 'keep');
  const all: [boolean, () => KeepPolicy][] = [
    [keepRules.some((r) => r.enabled), () => new AttributeRules({ rules: keepRules })],
    [p.error.enabled, () => new ErrorPolicy()],
    [residency?.enabled === true, () => new ResidencyPolicy({ config: residency!, registry })],
    [p.lowEval.enabled, () => new LowEvalPolicy({ config: p.lowEval })],
    [buildDetectors(p.detectors).length > 0, () => new DetectorPolicy({ config: p.detectors, priceUsage })],
    [p.costOutlier.enabled, () => new CostOutlierPolicy({ config: p.costOutlier })],
    [p.latency.enabled, () => new LatencyPolicy({ config: p.latency })],
    [p.rarePath.enabled, () => new RarePathPolicy({ config: p.rarePath })],
    [p.baseline.enabled && config.baselineRate > 0, () => new BaselinePolicy({ rate: config.baselineRate })],
  ];
  return all.filter(([on]) => on).map(([, make]) => make());
}

/** The drop rules (the `drop` half of the attribute rules): apart from the list, because they run first and end the decision. */
export function buildDropRules(config: SamplingConfig): DropRule {
  return new AttributeRules({ rules: config.rules.filter((r) => r.action === 'drop') });
}

/**
 * Upgrade reasons follow their own older order (`upgrade:error`, `upgrade:low_eval`, `upgrade:residency`: residency
 * came last), not the vote order, so upgraded decisions read as they always did.
 */
const UPGRADE_ORDER: readonly string[] = ['error', 'low_eval', 'residency'];

/** The policies of the list that can upgrade a dropped session, in upgrade-reason order (any other after those, in list order). */
export function upgradersOf(policies: readonly KeepPolicy[]): (KeepPolicy & Upgrader)[] {
  const rank = (u: KeepPolicy): number => {
    const i = UPGRADE_ORDER.indexOf(u.name);
    return i < 0 ? UPGRADE_ORDER.length : i;
  };
  return policies.filter(isUpgrader).sort((a, b) => rank(a) - rank(b));
}
