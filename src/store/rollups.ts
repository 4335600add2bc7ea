/** The rollup tables: rows the store sums itself per batch from session writes (not one row per write). */
import type { SessionWrite } from '../model/session.js';
import { ProviderRollup } from './provider-rollup.js';
import { UsageRollup } from './usage-rollup.js';

/** What the store needs of a rollup: add writes, count distinct rows, hand out rows in a stable order. */
export interface SessionRollup {
  readonly size: number;
  add(w: SessionWrite): number;
  rows(): Record<string, unknown>[];
}

const FACTORIES: Record<string, () => SessionRollup> = {
  usage_hourly: () => new UsageRollup(),
  provider_minutely: () => new ProviderRollup(),
};

/** A fresh rollup for a rollup table; null for a table of plain rows. */
export function newRollup(table: string): SessionRollup | null {
  return FACTORIES[table]?.() ?? null;
}
