/**
 * One tenant's rules compiled for the hot path: per attribute key, what happens to it (a KeyPlan, cached), and the
 * maskers that run over text. Built once per configured tenant at start.
 */
import type { RedactionRule } from '../config/redaction.js';
import { PATTERNS, type PatternSpec } from './patterns.js';
import { type BuiltinPattern } from '../config/redaction.js';

/** Matches keys exactly or, for `prefix.*` entries, by prefix. */
class KeyMatcher {
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];

  constructor(keys: readonly string[]) {
    this.exact = new Set(keys.filter((k) => !k.endsWith('*')));
    this.prefixes = keys.filter((k) => k.endsWith('*')).map((k) => k.slice(0, -1));
  }

  matches(key: string): boolean {
    return this.exact.has(key) || this.prefixes.some((p) => key.startsWith(p));
  }
}

/** A pattern run over text: masked (`[REDACTED:<label>]`) or hashed (`[HMAC:…]`) match by match. */
export interface Masker extends PatternSpec {
  /** Rule name (the metric label): the built-in pattern's name, or the configured rule's. */
  readonly rule: string;
  /** What a mask says it replaced. */
  readonly label: string;
  readonly action: 'mask' | 'hash';
  /** Only values under these keys (null: every value). */
  readonly keys: KeyMatcher | null;
}

/** What happens to one key's value. */
export interface KeyPlan {
  /** A protected key: left exactly as received. */
  readonly skip: boolean;
  /** The drop rule that removes it, or null. */
  readonly drop: string | null;
  /** The hash rule that replaces its whole value, or null. */
  readonly hash: string | null;
  /** Maskers for its text (and everything nested in it). */
  readonly maskers: readonly Masker[];
}

/** Cached key plans per rule set; past this many distinct keys the cache starts over (keys come from clients). */
const MAX_CACHED_KEYS = 10_000;

/** Compiled rules of one tenant. */
export class RuleSet {
  /** Plan for text with no key (status messages, string log bodies): the unkeyed maskers. */
  readonly textPlan: KeyPlan;
  /** True when some rule hashes: the tenant needs a secret. */
  readonly hashes: boolean;
  /** True when some rule names keys: nested fields must be looked at, not only text. */
  readonly keyed: boolean;
  /** True when nothing can ever change (no builtins, no rules). */
  readonly empty: boolean;
  /** Shorter text cannot match: 6 (the shortest e-mail) with built-in patterns only, 1 with a custom regex or keyed rules. */
  readonly minTextLength: number;
  private readonly unkeyed: readonly Masker[];
  private readonly keyedMaskers: readonly Masker[];
  private readonly drops: readonly { rule: string; keys: KeyMatcher }[];
  private readonly hashKeys: readonly { rule: string; keys: KeyMatcher }[];
  private readonly plans = new Map<string, KeyPlan>();
  private readonly clean = new Map<readonly Masker[], Set<string>>();
  private readonly fields = new Map<string, KeyPlan>();

  constructor(p: { builtins: readonly BuiltinPattern[]; rules: readonly RedactionRule[]; isProtected: (key: string) => boolean }) {
    this.isProtected = p.isProtected;
    const maskers: Masker[] = p.builtins.map((name) => ({ ...PATTERNS[name], rule: name, label: name, action: 'mask', keys: null }));
    const drops: { rule: string; keys: KeyMatcher }[] = [];
    const hashKeys: { rule: string; keys: KeyMatcher }[] = [];
    for (const r of p.rules) {
      const keys = r.keys === undefined ? null : new KeyMatcher(r.keys);
      if (r.action === 'drop' && keys !== null) drops.push({ rule: r.name, keys });
      else if (r.action === 'hash' && r.patterns === undefined && r.regex === undefined && keys !== null) hashKeys.push({ rule: r.name, keys });
      else {
        const action = r.action === 'hash' ? 'hash' : 'mask';
        for (const name of r.patterns ?? []) maskers.push({ ...PATTERNS[name], rule: r.name, label: name, action, keys });
        if (r.regex !== undefined) maskers.push({ re: new RegExp(r.regex, 'g'), rule: r.name, label: r.name, action, keys });
      }
    }
    this.unkeyed = maskers.filter((m) => m.keys === null);
    this.keyedMaskers = maskers.filter((m) => m.keys !== null);
    this.drops = drops;
    this.hashKeys = hashKeys;
    this.hashes = hashKeys.length > 0 || maskers.some((m) => m.action === 'hash');
    this.keyed = drops.length > 0 || hashKeys.length > 0 || this.keyedMaskers.length > 0;
    this.empty = maskers.length === 0 && !this.keyed;
    this.minTextLength = this.keyed || p.rules.some((r) => r.regex !== undefined) ? 1 : 6;
    this.textPlan = { skip: false, drop: null, hash: null, maskers: this.unkeyed };
  }

  private readonly isProtected: (key: string) => boolean;

  /** The plan of an attribute (span, event, link or log record attribute). */
  plan(key: string): KeyPlan {
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = this.isProtected(key) ? { skip: true, drop: null, hash: null, maskers: [] } : this.build(key, this.unkeyed);
      if (this.plans.size >= MAX_CACHED_KEYS) this.plans.clear();
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** The plan of a field nested in a value planned by `parent` (kvlist entries, JSON object members). */
  fieldPlan(parent: KeyPlan, field: string): KeyPlan {
    if (!this.keyed) return parent;
    // Most nested values inherit the unkeyed maskers: cache those; a keyed parent's fields are built each time.
    if (parent.maskers !== this.unkeyed) return this.build(field, parent.maskers);
    let plan = this.fields.get(field);
    if (plan === undefined) {
      plan = this.build(field, this.unkeyed);
      if (this.fields.size >= MAX_CACHED_KEYS) this.fields.clear();
      this.fields.set(field, plan);
    }
    return plan;
  }

  /** Short values found unchanged by `maskers` (bounded: starts over past MAX_CACHED_KEYS). */
  cleanValues(maskers: readonly Masker[]): Set<string> {
    let set = this.clean.get(maskers);
    if (set === undefined) {
      if (this.clean.size >= 64) this.clean.clear();
      this.clean.set(maskers, (set = new Set()));
    } else if (set.size >= MAX_CACHED_KEYS) set.clear();
    return set;
  }

  private build(key: string, inherited: readonly Masker[]): KeyPlan {
    const drop = this.drops.find((d) => d.keys.matches(key))?.rule ?? null;
    const hash = this.hashKeys.find((h) => h.keys.matches(key))?.rule ?? null;
    const extra = this.keyedMaskers.filter((m) => m.keys?.matches(key) === true && !inherited.includes(m));
    return { skip: false, drop, hash, maskers: extra.length === 0 ? inherited : [...inherited, ...extra] };
  }
}
