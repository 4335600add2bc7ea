/** Times of the read API: the default finance period, and ISO-8601 UTC (`Z`) for every timestamp it answers with. */

/** `from` = 00:00 UTC on the 1st of the month holding `nowMs`; `to` = `nowMs`: this month so far, in UTC. */
export function monthSoFarUtc(nowMs: number): { fromMs: number; toMs: number } {
  const d = new Date(nowMs);
  return { fromMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), toMs: nowMs };
}

/** Epoch ms → ISO-8601 in UTC with a `Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
