/**
 * The cached-token savings of the finance dashboard: cache-read tokens × (input price − cache-read price), at the
 * shipped catalog's latest list price per model. Prices live in src/pricing/catalog.json, not in ClickHouse, so the
 * dashboard carries them as a `multiIf` generated from the catalog; regenerating the dashboards (write.ts) picks up
 * a new catalog and the shape test fails when the committed JSON is stale. Config overrides (pricing.overrides) are
 * not reflected; models the catalog does not know count 0.
 */
import catalog from '../../src/pricing/catalog.json' with { type: 'json' };

interface CatalogPrice {
  effectiveFrom: string;
  inputPerMTok: number;
  cacheReadPerMTok?: number;
}

/** Catalog version the savings prices come from (shown in the panel description). */
export const CATALOG_VERSION: string = catalog.version;

/** USD saved per cache-read token for one model: latest input price − latest cache-read price. */
export function savingsPerToken(prices: CatalogPrice[]): number {
  const latest = [...prices].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)).at(-1)!;
  if (latest.cacheReadPerMTok === undefined) return 0;
  return Math.max(0, latest.inputPerMTok - latest.cacheReadPerMTok) / 1e6;
}

function quote(s: string): string {
  return `'${s.toLowerCase().replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A ClickHouse expression giving the USD saved per cache-read token of `modelColumn`: the catalog model whose
 * name or `*` pattern matches (longest name first, so gpt-4o-mini is tried before gpt-4o), else 0.
 */
export function savingsPerTokenSql(modelColumn: string): string {
  const models = catalog.models
    .map((m) => ({ name: m.model, patterns: m.patterns, perToken: savingsPerToken(m.prices as CatalogPrice[]) }))
    .filter((m) => m.perToken > 0)
    .sort((a, b) => b.name.length - a.name.length || a.name.localeCompare(b.name));
  const col = `lower(${modelColumn})`;
  const arms = models.map((m) => {
    const tests = [`${col} = ${quote(m.name)}`, ...m.patterns.map((p) => `${col} LIKE ${quote(p.replace(/\*/g, '%'))}`)];
    return `${tests.join(' OR ')}, ${m.perToken.toPrecision(6)}`;
  });
  return `multiIf(\n      ${arms.join(',\n      ')},\n      0)`;
}
