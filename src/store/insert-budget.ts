/**
 * The embedded engine's memory per insert, budgeted so the process memory cap (`receive.overload.maxRssBytes`) is a
 * bound: Export requests are refused from 80 % of the cap (src/receive/overload.ts), and the share above that line is
 * what chDB may take for the one insert it runs at a time (`max_memory_usage` on the INSERT; chDB enforces it, code 241
 * MEMORY_LIMIT_EXCEEDED, retryable). Without a budget, a burst of decisions made chDB's insert memory lift RSS past the
 * cap (611 MB against 600 MB at 2× overload, issue #12). A server's memory is not ours: no budget there.
 */
import type { StoreConfig } from '../config/store.js';

/** Share of the RSS cap given to one embedded insert under `auto`: a tenth of it, inside the 20 % above the refusal line. */
export const INSERT_BUDGET_SHARE_OF_CAP = 0.1;
/** Floor of the `auto` budget: an 8 MiB batch of span rows needs ~8 MiB tracked (measured); a quarter batch far less. */
export const MIN_INSERT_BUDGET_BYTES = 32 * 1024 * 1024; // 32 MiB
/**
 * A batch refused this many times for the budget is sent once without it (logged): the data must get in, and a batch
 * can outgrow any budget (rows that piled up behind a slow insert are taken whole).
 */
export const BUDGET_FAILURES_BEFORE_LIFT = 3;

/** ClickHouse's MEMORY_LIMIT_EXCEEDED. */
export const MEMORY_LIMIT_EXCEEDED = '241';

/** The budget in bytes (0 = none): explicit, or under `auto` a share of the resolved RSS cap for the embedded engine. */
export function insertBudgetBytes(store: Pick<StoreConfig, 'kind' | 'insertMaxMemoryBytes'>, rssCapBytes: number): number {
  if (store.kind !== 'embedded') return 0;
  if (store.insertMaxMemoryBytes !== 'auto') return store.insertMaxMemoryBytes;
  if (rssCapBytes <= 0) return 0;
  return Math.max(MIN_INSERT_BUDGET_BYTES, Math.floor(rssCapBytes * INSERT_BUDGET_SHARE_OF_CAP));
}

/** The settings one insert attempt carries: the budget, unless there is none or the batch was refused for it too often. */
export function budgetSettings(budgetBytes: number, budgetFailures: number): { max_memory_usage?: string } {
  if (budgetBytes <= 0 || budgetFailures >= BUDGET_FAILURES_BEFORE_LIFT) return {};
  return { max_memory_usage: String(budgetBytes) };
}
