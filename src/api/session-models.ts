/**
 * The session API's model names beside the catalog's: sessions store models as each call reported them
 * (`gpt-4o-2024-08-06`, `gpt-4o`) while costs folds them into the catalog's canonical model (`gpt-4o`); the session
 * answers carry both, so the two read alike (issue 25).
 */

/** Raw model name → the catalog's canonical name (Pricer.canonicalModel: unknown models keep their name). */
export type CanonicalModel = (rawModel: string) => string;

/** `canonicalModels` beside a session row's `models`: the same length and order, element i the canonical name of models[i]. */
export function withCanonicalModels<R extends Record<string, unknown>>(row: R, canonical: CanonicalModel): R & { canonicalModels: string[] } {
  const models = Array.isArray(row.models) ? (row.models as unknown[]).map(String) : [];
  return { ...row, canonicalModels: models.map(canonical) };
}

/** `canonicalModel` beside a span row's `model` ('' stays '': the span called no model). */
export function withCanonicalModel<R extends Record<string, unknown>>(row: R, canonical: CanonicalModel): R & { canonicalModel: string } {
  const model = typeof row.model === 'string' ? row.model : '';
  return { ...row, canonicalModel: model === '' ? '' : canonical(model) };
}
