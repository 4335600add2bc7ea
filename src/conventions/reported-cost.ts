/** A cost the client computed itself (OpenInference `llm.cost.*`, OpenLIT `gen_ai.usage.cost`, Langfuse `cost_details`). */
import type { Attributes } from '../model/otlp-values.js';
import { ALIASES } from './aliases.js';
import { readJsonObject } from './read-attr.js';
import { checkCostUsd, readCostUsd } from './value-checks.js';

/** Each part's name as a list of one, built once (an array literal in the loop built one per part per span). */
const COST_PARTS: readonly (readonly [string])[] = ALIASES.reportedCostPartsUsd.map((name) => [name] as const);

/** The reported cost in USD, or null when the span reports none. Every present figure is checked (throws SpanRejectError). */
export function readReportedCostUsd(attrs: Attributes): number | null {
  const total = readCostUsd(attrs, ALIASES.reportedCostUsd);
  if (total !== null) return total;
  let sum: number | null = null;
  for (const name of COST_PARTS) {
    const n = readCostUsd(attrs, name);
    if (n !== null) sum = (sum ?? 0) + n;
  }
  if (sum !== null) return checkCostUsd(ALIASES.reportedCostPartsUsd.join('+'), sum, sum);
  const details = readJsonObject(attrs, ALIASES.langfuseCostJson);
  if (details === null) return null;
  const where = ALIASES.langfuseCostJson[0]!;
  // Numbers only (as before): other values in the details object are labels, not amounts.
  if (typeof details.total === 'number') return checkCostUsd(`${where}.total`, details.total, details.total);
  let parts: number | null = null;
  for (const [k, v] of Object.entries(details)) if (typeof v === 'number') parts = (parts ?? 0) + checkCostUsd(`${where}.${k}`, v, v);
  return parts === null ? null : checkCostUsd(`${where} (sum)`, parts, parts);
}
