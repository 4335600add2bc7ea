/**
 * What a span's attribute keys say, read once per span: which conventions they belong to (by name prefix) and which
 * alias lists they are in. Each key is worked out once and remembered (keys repeat across spans; bounded, as custom
 * names are open-ended); a span ORs its keys.
 *
 * The alias lists a span carries no name of are then answered without looking their names up: each lookup of an
 * absent name costs as much as a present one (a megamorphic keyed load over the many shapes attribute maps have), and
 * most of a span's ~30 lists are absent. Normalizer.normalize opens the gate with the span's attributes and its
 * resource's, and closes it when done; while it is open, reads of those maps through a list of ALIASES skip the lists
 * none of whose names is present (read-attr.ts, value-checks.ts). Other maps and lists are looked up as always.
 */
import type { Attributes } from '../model/otlp-values.js';
import { ALIASES, CONVENTION_PREFIXES } from './aliases.js';

/** One bit per list of ALIASES (28 of the 31 a mask can hold). */
const LIST_BITS: ReadonlyMap<readonly string[], number> = new Map(Object.values(ALIASES).map((list: readonly string[], i) => [list, 1 << i]));
if (LIST_BITS.size > 31) throw new Error('span-keys: more than 31 alias lists; give the mask a second word');

/** What one attribute key is: the alias lists it is in, and the conventions its name marks (bit i: CONVENTION_PREFIXES[i]). */
interface KeyFacts {
  lists: number;
  conventions: number;
}

const keyFacts = new Map<string, KeyFacts>();
const MAX_REMEMBERED_KEYS = 10_000;

/**
 * The facts of a key, remembered. The work for a new key is its own function: a closure here (capturing `key`)
 * made V8 allocate a context on every call, found or not (~660 B per span; bench/alloc-profile.ts).
 */
function factsOf(key: string): KeyFacts {
  return keyFacts.get(key) ?? learnFacts(key);
}

function learnFacts(key: string): KeyFacts {
  const f: KeyFacts = { lists: 0, conventions: 0 };
  for (const [list, bit] of LIST_BITS) if (list.includes(key)) f.lists |= bit;
  CONVENTION_PREFIXES.forEach(({ prefixes }, i) => {
    if (prefixes.some((p) => key.startsWith(p))) f.conventions |= 1 << i;
  });
  if (keyFacts.size >= MAX_REMEMBERED_KEYS) keyFacts.clear();
  keyFacts.set(key, f);
  return f;
}

/** The conventions (bit i: CONVENTION_PREFIXES[i]) one attribute key's name marks: what a decode keeps of a key it leaves out. */
export function conventionMarksOf(key: string): number {
  return factsOf(key).conventions;
}

/** The alias lists with a name among the keys of `attrs`. */
function listsOf(attrs: Attributes): number {
  let mask = 0;
  for (const k in attrs) mask |= factsOf(k).lists;
  return mask;
}

let spanAttrs: Attributes | null = null;
let spanLists = 0;
let spanConventions = 0;
let resourceAttrs: Attributes | null = null;
let resourceLists = 0;

/**
 * Opens the gate for a span's attributes and its resource's. Both masks are worked out on every open (a resource's
 * map is shared by its spans, but nothing here may assume a map is unchanged since an earlier span).
 */
export function openAliasGate(attrs: Attributes, resource: Attributes): void {
  let lists = 0;
  let conventions = 0;
  for (const k in attrs) {
    const f = factsOf(k);
    lists |= f.lists;
    conventions |= f.conventions;
  }
  spanAttrs = attrs;
  spanLists = lists;
  spanConventions = conventions;
  resourceAttrs = resource;
  resourceLists = listsOf(resource);
}

/** Closes the gate: every read looks its names up again. */
export function closeAliasGate(): void {
  spanAttrs = null;
  resourceAttrs = null;
}

/** True when `attrs` are the open gate's span or resource attributes and `names` is a list of ALIASES none of whose names is among their keys. */
export function noneOnSpan(attrs: Attributes, names: readonly string[]): boolean {
  const mask = attrs === spanAttrs ? spanLists : attrs === resourceAttrs && resourceAttrs !== null ? resourceLists : -1;
  if (mask === -1) return false;
  const bit = LIST_BITS.get(names);
  return bit !== undefined && (mask & bit) === 0;
}

/** The conventions (bit i: CONVENTION_PREFIXES[i]) of the keys of `attrs`: from the open gate when they are its span's. */
export function conventionMask(attrs: Attributes): number {
  if (attrs === spanAttrs) return spanConventions;
  // Outside a span's normalization (no caller today): the same answer, worked out.
  let mask = 0;
  for (const k in attrs) mask |= factsOf(k).conventions;
  return mask;
}
