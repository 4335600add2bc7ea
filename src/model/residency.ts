/** Residency vocabulary shared by the policy (src/sampling/), the report query (src/store/read/) and the API. */

/** A call's standing against its tenant's residency policy. */
export type ResidencyStatus = 'ok' | 'violation' | 'unknown' | 'no_policy';

/** Judges a tenant's call region against its residency policy (src/sampling/basis/residency-check.ts ResidencyRules). */
export interface ResidencyJudge {
  status(tenantId: string, region: string): ResidencyStatus;
}
