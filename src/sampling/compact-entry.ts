/**
 * The form a decided session is held in by the decision cache: the same values, fewer bytes. Measured field by field
 * on the sizing traffic (bench/sizing.ts), a cached session cost ~2.4 KB, most of it copies of the same few strings
 * (service, agent, model, provider and tool names: each session held its own, as decoded from its requests) and
 * arrays grown by `push` (a 2-element array keeps room for 17). Here equal strings and equal string lists are shared
 * between entries, and every other list is copied to its exact length. Nothing is dropped: a late write rewrites the
 * whole session row from the cached summary and decision (its detector findings included), so every field stays.
 */
import type { SessionSummary } from '../model/session.js';
import type { Decision } from '../model/decision.js';

/** The one empty list every entry shares. */
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];

/** Strings longer than this are not shared (a long one is rarely repeated, and the table would hold it). */
const MAX_SHARED_CHARS = 256;
/** Lists longer than this are copied, not shared. */
const MAX_SHARED_LIST = 64;

/**
 * Shares equal strings and equal string lists. Bounded: a full table starts over (what it handed out stays valid,
 * later equal values share a new copy), so a stream of distinct values costs at most `maxEntries` of each.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();
  private readonly values = new Map<string, object>();

  constructor(private readonly maxEntries = 16_384) {}

  /** The shared copy of `s`. */
  string(s: string): string {
    if (s.length > MAX_SHARED_CHARS) return s;
    const held = this.strings.get(s);
    if (held !== undefined) return held;
    if (this.strings.size >= this.maxEntries) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  /**
   * The value first handed in under `key`, frozen: equal values (the caller's key says when) share one object. `value`
   * itself is frozen and remembered when the key is new.
   */
  value<T extends object>(key: string, value: T): T {
    const held = this.values.get(key);
    if (held !== undefined) return held as T;
    if (this.values.size >= this.maxEntries) this.values.clear();
    const shared = Object.isFrozen(value) ? value : Object.freeze(value);
    this.values.set(key, shared);
    return shared;
  }

  /** Values held by `value` (for tests and bounds). */
  get sharedValues(): number {
    return this.values.size;
  }

  /** A frozen list equal to `list`, shared with equal lists handed out before (its strings shared too). */
  list(list: readonly string[]): string[] {
    if (list.length === 0) return NO_STRINGS;
    if (list.length > MAX_SHARED_LIST) return this.sharedStrings(list);
    // Each string after its length: no two different lists give the same key, whatever their strings hold (a
    // separator alone does not: ['a\0', 'b'] and ['a', '\0b'] joined by NUL are the same text).
    let key = '';
    // Indexed: the list is often a frozen one (shared), and a for-of over a frozen list allocates an iterator.
    for (let i = 0; i < list.length; i++) key += `${list[i]!.length}:${list[i]!}`;
    if (key.length > MAX_SHARED_LIST * 16) return this.sharedStrings(list);
    const held = this.lists.get(key);
    if (held !== undefined) return held as string[];
    if (this.lists.size >= this.maxEntries) this.lists.clear();
    const shared = Object.freeze(this.sharedStrings(list));
    this.lists.set(key, shared);
    return shared as string[];
  }

  /**
   * A copy of `list` with its strings shared. A loop, not `list.map((s) => this.string(s))`: an arrow taking `this`
   * made V8 allocate a context on every call of list(), found or not.
   */
  private sharedStrings(list: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < list.length; i++) out.push(this.string(list[i]!));
    return out;
  }
}

/** `summary` with its names shared and its lists at their exact length (equal in every field). */
export function compactSummary(s: SessionSummary, intern: Interner): SessionSummary {
  const out: SessionSummary = {
    ...s,
    tenantId: intern.string(s.tenantId),
    serviceNames: intern.list(s.serviceNames),
    agentNames: intern.list(s.agentNames),
    models: intern.list(s.models),
    providers: intern.list(s.providers),
    userId: s.userId === null ? null : intern.string(s.userId),
    traceIds: s.traceIds.slice(),
    toolPath: intern.list(s.toolPath),
    usage: { ...s.usage },
    evals: s.evals.slice(),
  };
  if (s.callModels !== undefined) out.callModels = intern.list(s.callModels);
  return out;
}

/** `decision` with its reasons shared (its detector report, rare and read by late writes, as it is). */
export function compactDecision(d: Decision, intern: Interner): Decision {
  return { ...d, reasons: intern.list(d.reasons) };
}
