/** Where a call's region stands against its tenant's residency policy (one rule, used by the policy and the report). */
import type { ResidencyConfig, TenantResidency } from '../../config/residency.js';
import { UNKNOWN_REGION } from '../../conventions/region-table.js';
import type { ResidencyJudge, ResidencyStatus } from '../../model/residency.js';

/** ok: allowed; violation: outside the allowed regions; unknown: not located; no_policy: the tenant has none. */

/** Compiled residency policies: tenant → allowed-region matcher. */
export class ResidencyRules implements ResidencyJudge {
  private readonly compiled = new Map<string, { policy: TenantResidency; allowed: RegExp }>();
  private readonly fallback: { policy: TenantResidency; allowed: RegExp } | null;

  constructor(config: ResidencyConfig) {
    for (const [tenant, policy] of Object.entries(config.tenants)) this.compiled.set(tenant, { policy, allowed: matcher(policy.allowedRegions) });
    this.fallback = config.default === null ? null : { policy: config.default, allowed: matcher(config.default.allowedRegions) };
  }

  /** The tenant's policy, or null when it has none. */
  policyOf(tenant: string): TenantResidency | null {
    return (this.compiled.get(tenant) ?? this.fallback)?.policy ?? null;
  }

  /** The status of one call of `tenant` that ran in `region` ('' or 'unknown' = not located). */
  status(tenant: string, region: string): ResidencyStatus {
    const c = this.compiled.get(tenant) ?? this.fallback;
    if (c === null) return 'no_policy';
    if (region === '' || region === UNKNOWN_REGION) return 'unknown';
    return c.allowed.test(region) ? 'ok' : 'violation';
  }
}

function matcher(patterns: readonly string[]): RegExp {
  const alts = patterns.map((p) => p.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*'));
  return new RegExp(`^(?:${alts.join('|')})$`, 'i');
}
