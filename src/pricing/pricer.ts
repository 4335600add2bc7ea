/** Cost per span: the client's reported cost, else catalog (or config override) price × usage of model calls. */
import type { NormalizedSpan, SpanCost, Usage } from '../model/span.js';
import type { PricingConfig } from '../config/pricing.js';
import { AgtError } from '../model/errors.js';
import type { ModelPrice, Price, PriceCatalog } from './catalog-schema.js';
import { parseCatalog } from './catalog-schema.js';
import { cacheUnreportedTokens, costOf, overstatedUnitsOf } from './cost.js';
import { usageIncompleteOf } from '../conventions/usage.js';
import type { TokenPrices } from './cost.js';
import { PricingMetrics } from './metrics.js';
import { matchesPattern, modelCandidates } from './model-name.js';
import type { Registry } from 'prom-client';
import shippedCatalog from './catalog.json' with { type: 'json' };

type Override = PricingConfig['overrides'][number];
interface Resolved {
  prices: TokenPrices;
  version: string;
}

/** Distinct (model, provider, UTC day) resolutions kept; every model-call span asks for one. */
const MAX_CACHED_RESOLUTIONS = 10_000;
const DAY_MS = 86_400_000;

/** The shipped catalog, validated (a broken shipped file is a bug, hence a throw). */
export function loadShippedCatalog(): PriceCatalog {
  const r = parseCatalog(shippedCatalog);
  if (r.status !== 'ok') throw r.error;
  return r.value;
}

/** Prices spans and stored usage. Overrides from config win over the catalog. */
export class Pricer {
  /** Catalog version id, e.g. '2026-11-01'. */
  readonly version: string;
  private readonly exact = new Map<string, ModelPrice>();
  private readonly patterns: { pattern: string; entry: ModelPrice }[] = [];
  private readonly overrides: readonly Override[];
  /** resolve() results by model, provider and UTC day number (the day string and the name candidates cost ~1 µs per call). */
  private readonly resolutions = new Map<string, Resolved | null>();
  /** The last look-up of resolve() and its answer (the prices of a model, provider and UTC day never change here). */
  private lastResolved: { model: string; provider: string | null; day: number; resolved: Resolved | null } | null = null;
  /** canonicalModel() results by the name as reported. */
  private readonly canonical = new Map<string, string>();
  private readonly metrics: PricingMetrics | null;

  /** `registry`: where to create the pricing metrics (none when omitted, e.g. in `reprice` or tests). */
  constructor(params: { catalog?: PriceCatalog; overrides?: PricingConfig['overrides']; registry?: Registry } = {}) {
    const catalog = params.catalog ?? loadShippedCatalog();
    this.metrics = params.registry === undefined ? null : new PricingMetrics(params.registry);
    this.version = catalog.version;
    this.overrides = params.overrides ?? [];
    for (const m of catalog.models) {
      this.exact.set(m.model.toLowerCase(), m);
      for (const pattern of m.patterns) this.patterns.push({ pattern, entry: m });
    }
    // The longest (most specific) pattern wins: gpt-4o-mini* before gpt-4o*.
    this.patterns.sort((a, b) => b.pattern.length - a.pattern.length);
  }

  /** The version a re-pricing run records: the catalog's, with '+overrides' when config overrides are in force. */
  get catalogLabel(): string {
    return this.overrides.length > 0 ? `${this.version}+overrides` : this.version;
  }

  /** Counts a priced span in the pricing metrics: price() counts its own; a decode worker's are counted here. */
  count(cost: SpanCost): void {
    if (this.metrics === null) return;
    this.metrics.countPriced(cost.source);
    if (cost.usageIncomplete !== undefined) this.metrics.countIncomplete(cost.usageIncomplete);
  }

  /**
   * Reported cost wins; else catalog × usage for `call` spans; unknown model → {costUsd:null, source:'unknown'};
   * no usage → source 'none'. `aggregate` spans are never costed (not even a reported cost): counted once.
   */
  price(span: NormalizedSpan): SpanCost {
    const cost = this.computeSpanCost(span);
    this.count(cost);
    if (span.usageRole !== 'call') return cost;
    const model = span.genai.responseModel ?? span.genai.requestModel;
    return model === null ? cost : costOfShape(cost, this.canonicalModel(model));
  }

  /**
   * The catalog's name for a model as reported (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`, the same look-up as
   * pricing: exact name, provider path and dated suffixes stripped, then patterns). A model the catalog does not
   * know keeps its name as reported (trimmed): dated names of unknown models are not merged by guesswork.
   */
  canonicalModel(model: string): string {
    let name = this.canonical.get(model);
    if (name === undefined) {
      name = this.findEntry(modelCandidates(model))?.model ?? model.trim();
      if (this.canonical.size >= MAX_CACHED_RESOLUTIONS) this.canonical.clear();
      this.canonical.set(model, name);
    }
    return name;
  }

  private computeSpanCost(span: NormalizedSpan): SpanCost {
    // A wrapper's usage is a sum of its calls, so a cost it reports is too: counting it would count twice.
    if (span.usageRole === 'aggregate') return { costUsd: null, source: 'none', priceVersion: '' };
    if (span.cost.source === 'reported' && span.cost.costUsd !== null) return span.cost;
    if (span.usageRole !== 'call' || span.usage === null) return { costUsd: null, source: 'none', priceVersion: '' };
    const atUnixMs = Number(span.startTimeUnixNano / 1_000_000n);
    // The response model first, then the request model.
    const { responseModel, requestModel, provider } = span.genai;
    const r = (responseModel === null ? null : this.resolve(responseModel, provider, atUnixMs)) ?? (requestModel === null ? null : this.resolve(requestModel, provider, atUnixMs));
    if (r !== null) return withIncompleteness({ costUsd: costOf(span.usage, r.prices), source: 'catalog', priceVersion: r.version }, span, r.prices);
    return { costUsd: null, source: 'unknown', priceVersion: this.version };
  }

  /** Same computation from bare usage (simulate totals what it sent with it; `reprice` uses `resolve` + exact `costUnitsOf`). */
  priceUsage(p: { model: string | null; provider: string | null; usage: Usage; atUnixMs: number }): { costUsd: number | null; priceVersion: string } {
    const r = p.model === null ? null : this.resolve(p.model, p.provider, p.atUnixMs);
    return r === null ? { costUsd: null, priceVersion: this.version } : { costUsd: costOf(p.usage, r.prices), priceVersion: r.version };
  }

  /** The prices that apply to `model` at `atUnixMs`, or null when the model is unknown (or not yet priced then). */
  resolve(model: string, provider: string | null, atUnixMs: number): Resolved | null {
    if (!Number.isFinite(atUnixMs)) throw new AgtError('AGT_ERR_INTERNAL', `price look-up at a non-finite time (${atUnixMs})`);
    // Prices change by UTC day, so the day number (what toISOString's date part names) is the time part of the key.
    const day = Math.floor(atUnixMs / DAY_MS);
    // Calls of a session mostly repeat the model before: the last look-up answers before a key is built.
    const last = this.lastResolved;
    if (last !== null && last.day === day && last.model === model && last.provider === provider) return last.resolved;
    const key = `${model}\u0000${provider ?? '\u0001'}\u0000${day}`;
    let resolved = this.resolutions.get(key);
    if (resolved === undefined) {
      resolved = this.resolveAt(model, provider, new Date(atUnixMs).toISOString().slice(0, 10));
      if (this.resolutions.size >= MAX_CACHED_RESOLUTIONS) this.resolutions.clear();
      this.resolutions.set(key, resolved);
    }
    this.lastResolved = { model, provider, day, resolved };
    return resolved;
  }

  private resolveAt(model: string, provider: string | null, day: string): Resolved | null {
    const names = modelCandidates(model);
    const override = this.findOverride(names, provider, day);
    if (override !== null) return { prices: override, version: `${this.version}+overrides` };
    const entry = this.findEntry(names);
    const price = entry === null ? null : latestAt(entry.prices, day);
    return price === null ? null : { prices: price, version: this.version };
  }

  /** Exact name first, then the longest matching pattern (resolve's cache spares repeating this per span). */
  private findEntry(names: readonly string[]): ModelPrice | null {
    let found: ModelPrice | null = null;
    for (const n of names) {
      found = this.exact.get(n) ?? null;
      if (found !== null) break;
    }
    if (found === null) {
      outer: for (const n of names) {
        for (const p of this.patterns) {
          if (matchesPattern(n, p.pattern)) {
            found = p.entry;
            break outer;
          }
        }
      }
    }
    return found;
  }

  private findOverride(names: readonly string[], provider: string | null, day: string): Override | null {
    let best: Override | null = null;
    for (const o of this.overrides) {
      if (o.effectiveFrom > day) continue;
      if (o.provider !== undefined && (provider === null || !provider.toLowerCase().startsWith(o.provider.toLowerCase()))) continue;
      if (!names.some((n) => matchesPattern(n, o.model))) continue;
      // The latest effective override wins; on a tie, the one listed last.
      if (best === null || o.effectiveFrom >= best.effectiveFrom) best = o;
    }
    return best;
  }
}

/**
 * Flags a catalog-priced call that did not report a cache part its price has (`usageIncomplete`), with the bound
 * of how much its cost may be overstated (docs/clients.md, "Incomplete usage"). A reported cost is never flagged.
 */
function withIncompleteness(cost: SpanCost, span: NormalizedSpan, prices: TokenPrices): SpanCost {
  if (span.usageMissing.length === 0 || span.usage === null) return cost;
  const priced = { cacheRead: prices.cacheReadPerMTok !== undefined, cacheWrite: prices.cacheWritePerMTok !== undefined };
  const kind = usageIncompleteOf(span.usageMissing, priced);
  if (kind === null) return cost;
  const tokens = kind === 'cache_write' ? 0 : cacheUnreportedTokens(span.usage);
  // Exact units of 1e-12 USD carried as a float: < 2^53 units (9,007 USD) per call, so the rollup's costUnits() gets them back.
  const overstatedUpToUsd = Number(overstatedUnitsOf(BigInt(tokens), prices)) / 1e12;
  return costOfShape({ ...cost, usageIncomplete: kind, overstatedUpToUsd, cacheUnreportedInputTokens: tokens }, cost.catalogModel);
}

/**
 * A SpanCost built as one literal, its fields always added in the same order. Built by spreading (`{ ...cost, x }`),
 * every cost object got a hidden class of its own in V8 (58,192 maps for 58,192 buffered call spans in a heap
 * snapshot of bench/buffered-rss.ts): ~90 bytes more per priced span, and every read of a cost field megamorphic.
 */
function costOfShape(c: SpanCost, catalogModel: string | undefined): SpanCost {
  const out: SpanCost = { costUsd: c.costUsd, source: c.source, priceVersion: c.priceVersion };
  if (catalogModel !== undefined) out.catalogModel = catalogModel;
  if (c.usageIncomplete !== undefined) out.usageIncomplete = c.usageIncomplete;
  if (c.overstatedUpToUsd !== undefined) out.overstatedUpToUsd = c.overstatedUpToUsd;
  if (c.cacheUnreportedInputTokens !== undefined) out.cacheUnreportedInputTokens = c.cacheUnreportedInputTokens;
  return out;
}

function latestAt(prices: readonly Price[], day: string): Price | null {
  let best: Price | null = null;
  for (const p of prices) if (p.effectiveFrom <= day && (best === null || p.effectiveFrom > best.effectiveFrom)) best = p;
  return best;
}
