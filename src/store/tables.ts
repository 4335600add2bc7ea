/** The tables the store writes, named in one place (STYLE.md 12). */
import { METRIC_TABLES } from './metric-rows.js';

/** The tables the store writes. */
export const STORE_TABLES = ['spans', 'sessions', 'usage_hourly', 'provider_minutely', 'evals', 'session_ts', 'trace_ts', 'logs', ...Object.values(METRIC_TABLES)] as const;
/** One of the tables the store writes. */
export type StoreTable = (typeof STORE_TABLES)[number];
