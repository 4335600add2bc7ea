/** Config section: data-residency policy per tenant (src/sampling/policies/residency.ts, docs/providers.md). */
import { z } from 'zod';

/** A region name or a pattern with `*` wildcards (`eu-*`, `europe-*`), compared case-insensitively. */
const regionPattern = z.string().regex(/^[A-Za-z0-9*_.-]+$/, 'letters, digits, - _ . and * only').max(64);

/** One tenant's policy. */
export const tenantResidencySchema = z
  .object({
    /** Regions the tenant's model calls may run in (names from the region table, or `*` patterns). */
    allowedRegions: z.array(regionPattern).min(1),
    /**
     * A call no source located (region `unknown`): `allow` it, `flag` it (counted and reported, the session is not
     * kept for it), or `keep` its session like a violation.
     */
    unknownRegion: z.enum(['allow', 'flag', 'keep']).default('flag'),
  })
  .strict();
export type TenantResidency = z.infer<typeof tenantResidencySchema>;

export const residencySchema = z
  .object({
    /** Switch the residency keep policy off (the report still applies the policies below). */
    enabled: z.boolean().default(true),
    /** Policies by tenant id. */
    tenants: z.record(z.string().min(1), tenantResidencySchema).default({}),
    /** Policy of tenants not listed in `tenants` (null: no policy, their calls are never violations). */
    default: tenantResidencySchema.nullable().default(null),
  })
  .strict();
export type ResidencyConfig = z.infer<typeof residencySchema>;
