/** A cost the client computed itself (OpenInference `llm.cost.*`, OpenLIT `gen_ai.usage.cost`, Langfuse `cost_details`). */
import type { Attributes } from '../otlp/types.js';
import { ALIASES } from './aliases.js';
import { readJsonObject, readNumber } from './read-attr.js';

/** The reported cost in USD, or null when the span reports none. */
export function readReportedCostUsd(attrs: Attributes): number | null {
  const total = readNumber(attrs, ALIASES.reportedCostUsd);
  if (total !== null) return total;
  let sum: number | null = null;
  for (const name of ALIASES.reportedCostPartsUsd) {
    const n = readNumber(attrs, [name]);
    if (n !== null) sum = (sum ?? 0) + n;
  }
  if (sum !== null) return sum;
  const details = readJsonObject(attrs, ALIASES.langfuseCostJson);
  if (details === null) return null;
  if (typeof details.total === 'number' && Number.isFinite(details.total)) return details.total;
  let parts: number | null = null;
  for (const v of Object.values(details)) if (typeof v === 'number' && Number.isFinite(v)) parts = (parts ?? 0) + v;
  return parts;
}
