/**
 * Expands a Grafana ClickHouse panel query the way grafana-clickhouse-datasource does, so dashboard SQL can run on
 * the embedded engine in tests. Three passes, in the plugin's order:
 *
 * 1. `$__conditionalAll(condition, $var)` (frontend, CHDatasource.applyConditionalAll): the condition, or `1=1`
 *    when the variable is All (`$__all`) or empty.
 * 2. Template variables (Grafana's templateSrv with the datasource's format function): `$var`, `${var}`,
 *    `${var:format}`. Without a format a multi value becomes `'a','b'` and a single value is inserted raw;
 *    `singlequote` quotes every value (`'` escaped as `\'`), `raw`/`csv` join with commas. All = every option's
 *    value (or `allValue` when set). Grafana's built-ins `$__from`/`$__to` (epoch ms) are replaced here too.
 * 3. Backend macros (pkg/macros/macros.go): `$__timeFilter(col)`, `$__timeFilter_ms(col)`, `$__dateFilter(col)`,
 *    `$__fromTime`, `$__toTime`, `$__fromTime_ms`, `$__toTime_ms`, `$__interval_s`, `$__timeInterval(col)`,
 *    `$__timeInterval_ms(col)`. Unknown `$__` names are an error here (the plugin leaves them, and ClickHouse then
 *    fails with a less helpful message).
 */

/** A template variable's current selection and the options All stands for. */
export interface TemplateVariable {
  /** A single value, several values, or `'$__all'` / `['$__all']` for All. */
  current: string | string[];
  /** Every option's value (what All expands to when no allValue is set). */
  options?: string[];
  /** Custom All value (the variable's `allValue`), inserted raw. */
  allValue?: string;
}

/** The query context: time range, interval and variables. */
export interface MacroContext {
  fromMs: number;
  toMs: number;
  /** The panel's interval ($__interval), in ms. */
  intervalMs: number;
  variables: Record<string, TemplateVariable>;
}

const ALL = '$__all';

/** Runs the three passes and returns SQL ready for ClickHouse. */
export function expandPanelSql(sql: string, ctx: MacroContext): string {
  return expandMacros(replaceVariables(applyConditionalAll(sql, ctx.variables), ctx), ctx);
}

/** Pass 1: `$__conditionalAll(cond, $var)`, innermost-last like the plugin (it scans from the last occurrence). */
export function applyConditionalAll(sql: string, variables: Record<string, TemplateVariable>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const open = at + macro.length - 1;
    const { args, end } = macroArgs(out, open, '$__conditionalAll');
    if (args.length !== 2) throw new Error(`$__conditionalAll takes 2 arguments, got ${args.length}: ${out.slice(at, end + 1)}`);
    const ref = /\$\{(\w+)\}|\$(\w+)/.exec(args[1]!.trim());
    if (!ref) throw new Error(`$__conditionalAll: second argument must be a variable reference, got ${args[1]}`);
    const name = (ref[1] ?? ref[2])!;
    const v = variables[name];
    if (!v) throw new Error(`$__conditionalAll: variable ${name} is not defined`);
    const value = Array.isArray(v.current) ? v.current.join(',') : v.current;
    const phrase = value === '' || value === ALL ? '1=1' : args[0]!;
    out = out.slice(0, at) + phrase + out.slice(end + 1);
    at = out.lastIndexOf(macro);
  }
  return out;
}

// Grafana's variable syntax: $name, [[name:format]], ${name}, ${name.path}, ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Pass 2: template variables and the `$__from`/`$__to` built-ins; unknown names are left for pass 3. */
export function replaceVariables(sql: string, ctx: MacroContext): string {
  return sql.replace(VARIABLE, (match, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, path?: string, bracedFmt?: string) => {
    const name = (plain ?? bracket ?? braced)!;
    const format = bracketFmt ?? bracedFmt;
    if (name === '__from') return String(ctx.fromMs);
    if (name === '__to') return String(ctx.toMs);
    const v = ctx.variables[name];
    if (!v) return match;
    if (path !== undefined) throw new Error(`\${${name}.${path}}: field paths are not supported for query variables`);
    return formatValue(resolve(v), format, name);
  });
}

function resolve(v: TemplateVariable): string | string[] {
  const isAll = v.current === ALL || (Array.isArray(v.current) && v.current.length === 1 && v.current[0] === ALL);
  if (!isAll) return v.current;
  if (v.allValue !== undefined) return v.allValue;
  return v.options ?? [];
}

function formatValue(value: string | string[], format: string | undefined, name: string): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
      // The datasource's format function: arrays quoted and joined, a single value as is.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return values.map((s) => `'${s.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((s) => `"${s.replace(/"/g, '\\"')}"`).join(',');
    case 'raw':
    case 'csv':
      return values.join(',');
    case 'sqlstring':
      return values.map((s) => `'${s.replace(/'/g, "''")}'`).join(',');
    default:
      throw new Error(`\${${name}:${format}}: format ${format} is not supported by this expander`);
  }
}

const MACRO = /\$__(\w+)/g;

/** Pass 3: the backend's `$__` macros. */
export function expandMacros(sql: string, ctx: MacroContext): string {
  let out = '';
  let last = 0;
  MACRO.lastIndex = 0;
  for (let m = MACRO.exec(sql); m !== null; m = MACRO.exec(sql)) {
    const name = m[1]!;
    let end = m.index + m[0].length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const r = macroArgs(sql, end, `$__${name}`);
      args = r.args.map((a) => a.trim());
      end = r.end + 1;
    }
    out += sql.slice(last, m.index) + expandOne(name, args, ctx);
    last = end;
    MACRO.lastIndex = end;
  }
  return out + sql.slice(last);
}

function expandOne(name: string, args: string[], ctx: MacroContext): string {
  const want = (n: number): void => {
    if (args.length !== n) throw new Error(`$__${name} expected ${n} argument(s), received ${args.length}`);
  };
  const from = Math.floor(ctx.fromMs / 1000);
  const to = Math.floor(ctx.toMs / 1000);
  const seconds = Math.max(Math.floor(ctx.intervalMs / 1000), 1);
  switch (name) {
    case 'timeFilter':
      want(1);
      return `${args[0]} >= toDateTime(${from}) AND ${args[0]} <= toDateTime(${to})`;
    case 'timeFilter_ms':
      want(1);
      return `${args[0]} >= fromUnixTimestamp64Milli(${ctx.fromMs}) AND ${args[0]} <= fromUnixTimestamp64Milli(${ctx.toMs})`;
    case 'dateFilter':
      want(1);
      return `${args[0]} >= toDate('${isoDate(ctx.fromMs)}') AND ${args[0]} <= toDate('${isoDate(ctx.toMs)}')`;
    case 'fromTime':
      return `toDateTime(${from})`;
    case 'toTime':
      return `toDateTime(${to})`;
    case 'fromTime_ms':
      return `fromUnixTimestamp64Milli(${ctx.fromMs})`;
    case 'toTime_ms':
      return `fromUnixTimestamp64Milli(${ctx.toMs})`;
    case 'interval_s':
      return String(seconds);
    case 'timeInterval':
      want(1);
      return `toStartOfInterval(toDateTime(${args[0]}), INTERVAL ${seconds} second)`;
    case 'timeInterval_ms':
      want(1);
      return `toStartOfInterval(toDateTime64(${args[0]}, 3), INTERVAL ${Math.max(ctx.intervalMs, 1)} millisecond)`;
    default:
      throw new Error(`unknown macro $__${name}`);
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The arguments of the macro whose `(` is at `open`: split at top-level commas; parentheses inside single-quoted
 * strings do not count. `end` is the index of the closing `)`.
 */
function macroArgs(sql: string, open: number, macro: string): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quoted = false;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
      continue;
    }
    if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i };
      }
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`${macro}: no closing parenthesis`);
}
