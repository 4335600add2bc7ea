/** Turns zod issues into lines a person can act on: full path, bad value, the variable that set it, the nearest valid name. */
import type { z } from 'zod';
import { envNameFor, variablesUnder } from './env.js';

/** Where a value came from, for naming the environment variable behind a bad field. */
export interface IssueContext {
  /** The merged input that was validated. */
  raw: unknown;
  /** The schema it was validated against (to list the valid field names at a path). */
  schema: z.ZodType;
  /** Dotted path → environment variable that set it. */
  envSources: ReadonlyMap<string, string>;
}

/** One line per issue (unknown fields one line per field). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], ctx: IssueContext): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownField(issue.path, key, ctx));
    const path = dotted(issue.path);
    const value = valueAt(ctx.raw, issue.path);
    // Secrets (redaction.hashSecret, store.server.password) are named, never shown.
    const shown = value === undefined ? '(missing)' : /secret|password/i.test(String(issue.path[issue.path.length - 1] ?? '')) ? '(hidden)' : JSON.stringify(value);
    let message = issue.message;
    if (issue.code === 'invalid_value') message = `${message} (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
    return [`  ${path} = ${shown}${fromEnv(ctx.envSources, issue.path)}: ${message}`];
  });
}

function unknownField(parent: readonly PropertyKey[], key: string, ctx: IssueContext): string {
  const path = [...parent, key];
  const where = parent.length === 0 ? 'at the top level' : `in ${dotted(parent)}`;
  const valid = fieldsAt(ctx.schema, parent);
  const near = nearest(key, valid);
  const vars = variablesUnder(ctx.envSources, path);
  let hint: string;
  if (near !== undefined) hint = `did you mean "${near}"${vars.length > 0 ? ` (${envNameFor([...parent, near])})` : ''}?`;
  else hint = `valid fields: ${valid.join(', ')}`;
  return `  ${dotted(path)}${vars.length > 0 ? ` (from ${vars.join(', ')})` : ''}: unknown field "${key}" ${where}; ${hint}`;
}

function fromEnv(sources: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string {
  const name = sources.get(path.map(String).join('.'));
  return name === undefined ? '' : ` (from ${name})`;
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[] };

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (default, optional, pipe …) down to the object, record, array or scalar inside. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let cur = schema;
  for (;;) {
    const def = defOf(cur);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) return cur;
    cur = inner;
  }
}

/** The object schema reached by following `path` (record keys and array indexes pass through); null if none. */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[]): Def | null {
  let def = defOf(unwrap(schema));
  for (const key of path) {
    const next =
      def.type === 'object' ? def.shape?.[String(key)] : def.type === 'record' ? def.valueType : def.type === 'array' ? def.element : undefined;
    if (next === undefined) return null;
    def = defOf(unwrap(next));
  }
  return def.type === 'object' ? def : null;
}

/** The field names an object at `path` accepts. */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return Object.keys(objectAt(schema, path)?.shape ?? {});
}

/** The candidate closest to `name` (case-insensitive optimal-string-alignment distance), if close enough to be a typo. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  // A third of the name (at least 2 edits): `kidn` → `kind`, `idleTimeout` → `idleTimeoutMs`, not `foo` → `path`.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance where swapping two neighbours counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
