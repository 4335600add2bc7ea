/** Where a data command's numbers came from, said in every output format (issue 25: `"source":"api"` did not say which). */
import { resolve } from 'node:path';

/** The collector API at a URL, or the embedded store at a path (and why the command did not ask a collector). */
export type DataSource = { kind: 'api'; url: string; urlOrigin: string } | { kind: 'embedded'; path: string; fallbackReason: string };

/** One line for people: `collector API at http://127.0.0.1:24318 (…)` or `embedded store at /…/clickhouse (…)`. */
export function describeSource(s: DataSource): string {
  return s.kind === 'api' ? `collector API at ${s.url} (address from ${s.urlOrigin})` : `embedded store at ${resolve(s.path)} (${s.fallbackReason})`;
}

/** The JSON output's fields: `source` ('api' | 'embedded') and `sourceUrl`, or `storePath` and `fallbackReason`. */
export function sourceFields(s: DataSource): Record<string, string> {
  return s.kind === 'api' ? { source: 'api', sourceUrl: s.url } : { source: 'embedded', storePath: resolve(s.path), fallbackReason: s.fallbackReason };
}

/**
 * Says the source for text formats: a `source:` footer under a table; for CSV a line on stderr (a comment line would
 * break CSV readers). JSON carries sourceFields instead.
 */
export function writeSourceNote(format: 'table' | 'csv' | 'json', s: DataSource, out: NodeJS.WritableStream, err: NodeJS.WritableStream): void {
  if (format === 'table') out.write(`source: ${describeSource(s)}\n`);
  else if (format === 'csv') err.write(`agenttail: source: ${describeSource(s)}\n`);
}
