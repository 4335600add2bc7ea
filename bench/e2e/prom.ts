/** Reads the collector's /metrics (Prometheus text format): sums by name and labels, histogram quantiles. */

/** One scrape: every sample as name, labels and value. */
export interface Scrape {
  atMs: number;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string, atMs: number): Scrape {
  const samples: Scrape['samples'] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { atMs, samples };
}

/** Sum of the samples named `name` whose labels include every `where` pair (0 when none). */
export function sum(s: Scrape, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const x of s.samples) {
    if (x.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => x.labels[k] === v)) total += x.value;
  }
  return total;
}

/** Values of one label seen on samples named `name`. */
export function labelValues(s: Scrape, name: string, label: string): string[] {
  return [...new Set(s.samples.filter((x) => x.name === name && x.labels[label] !== undefined).map((x) => x.labels[label]!))];
}

/**
 * The q-quantile of a histogram's observations between two scrapes (`before` may be null: since start),
 * interpolated linearly inside the bucket as Prometheus' histogram_quantile does. null without observations.
 */
export function histogramQuantile(after: Scrape, before: Scrape | null, name: string, q: number, where: Record<string, string> = {}): number | null {
  const bounds = new Map<number, number>();
  const add = (s: Scrape, sign: number): void => {
    for (const x of s.samples) {
      if (x.name !== `${name}_bucket`) continue;
      const { le, ...rest } = x.labels;
      if (le === undefined || !Object.entries(where).every(([k, v]) => rest[k] === v)) continue;
      const b = le === '+Inf' ? Infinity : Number(le);
      bounds.set(b, (bounds.get(b) ?? 0) + sign * x.value);
    }
  };
  add(after, 1);
  if (before) add(before, -1);
  const buckets = [...bounds.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound; // past the last finite bucket: its bound is all we know
      const inBucket = count - prevCount;
      return inBucket <= 0 ? bound : prevBound + ((bound - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** GET /metrics of the collector. */
export async function scrape(httpUrl: string): Promise<Scrape> {
  const res = await fetch(`${httpUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${httpUrl}/metrics answered ${res.status}`);
  return parseMetrics(await res.text(), Date.now());
}
