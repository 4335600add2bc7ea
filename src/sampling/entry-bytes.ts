/**
 * Estimated heap bytes of what the decision cache holds, so it can be bounded by bytes (lru-cache `sizeCalculation`).
 * Calibrated field by field on heap measured after full collections: ~1.4 KB per decided session with two trace
 * links, between the sizing traffic's 1.1 KB (bench/sizing.ts; its trace id strings are also held by the counted
 * spans, so clearing the cache does not free them) and 1.6 KB for sessions whose trace ids only the cache holds
 * (test/unit/sampling-entry-bytes.test.ts checks ±50 % on those). Names and lists the cache shares between entries
 * (compact-entry.ts) cost an entry nothing; strings are counted one byte a character.
 */
import type { EvalResult } from '../model/span.js';
import type { DetectorReport } from '../model/decision.js';
import type { CachedSession } from './decision-cache.js';

/** A string's header (V8, pointer compression). */
const STRING = 16;
/** An entry's own objects: the entry, decision, summary and usage with their numbers and bigints, its short lists. */
const SESSION_FIXED = 560;
/** lru-cache's slot (key, value, links, size, TTL and start, grown by half when full) and its Map entry. */
const LRU_SLOT = 150;
/** An element of a list the entry holds alone (a pointer, or a boxed number). */
const SLOT = 8;
const EVAL_FIXED = 120;

function str(s: string | null): number {
  return s === null ? 0 : STRING + s.length;
}

/** A cache key (`tenant NUL id`, a concatenation): the cons string and the flat copy hashing makes of it. */
function keyBytes(key: string): number {
  return 20 + str(key);
}

function evalBytes(e: EvalResult): number {
  return EVAL_FIXED + str(e.name) + str(e.label) + str(e.explanation) + str(e.target.sessionId) + str(e.target.traceId) + str(e.target.spanId);
}

function detectorBytes(d: DetectorReport): number {
  const ids = d.figures.duplicateToolCallIds?.reduce((n, id) => n + SLOT + str(id), 0) ?? 0;
  return 160 + 8 * d.fired.length + 16 * Object.keys(d.figures).length + ids + d.culprits.reduce((n, c) => n + 24 + str(c.spanId), 0);
}

/** Heap bytes of a cached session held under `key` (its trace links are counted by `traceLinkBytes`). */
export function sessionEntryBytes(e: CachedSession, key: string): number {
  const s = e.summary;
  let n = SESSION_FIXED + LRU_SLOT + keyBytes(key) + str(s.sessionId);
  // Trace ids are the session's own; the strings are shared with its trace links' keys, counted there.
  n += SLOT * (s.traceIds.length + (e.requestLsns?.length ?? 0));
  // Lists longer than the interner shares (compact-entry.ts) are held per entry.
  for (const list of [s.toolPath, s.serviceNames, s.agentNames, s.models, s.providers]) if (list.length > 64) n += SLOT * list.length;
  // Indexed: a for-of over the shared frozen empty list allocates an iterator per call.
  for (let i = 0; i < s.evals.length; i++) n += SLOT + evalBytes(s.evals[i]!);
  if (e.decision.detectors !== undefined) n += detectorBytes(e.decision.detectors);
  return Math.ceil(n);
}

/**
 * Heap bytes of a trace → session link held under `key`, the trace id's string included (about the key's length; the
 * session id is the session's own string).
 */
export function traceLinkBytes(key: string): number {
  return LRU_SLOT + keyBytes(key) + str(key);
}
