import { describe, expect, it } from 'vitest';
import { applyConditionalAll, expandMacros, expandPanelSql, replaceVariables, type MacroContext } from '../support/grafana-macros.js';

// The plugin's documented examples (docs/sources/query-editor.md, pkg/macros/macros_test.go) use
// from = 2014-11-12T11:45:26.123Z and to = 2015-11-12T11:45:26.456Z with a 20 s interval.
const FROM = Date.parse('2014-11-12T11:45:26.123Z');
const TO = Date.parse('2015-11-12T11:45:26.456Z');

function ctx(variables: MacroContext['variables'] = {}, intervalMs = 20_000): MacroContext {
  return { fromMs: FROM, toMs: TO, intervalMs, variables };
}

describe('backend macros (pkg/macros/macros.go)', () => {
  it('expands the time filters to seconds and milliseconds as documented', () => {
    expect(expandMacros('$__timeFilter(time)', ctx())).toBe('time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)');
    expect(expandMacros('$__timeFilter_ms(time)', ctx())).toBe(
      'time >= fromUnixTimestamp64Milli(1415792726123) AND time <= fromUnixTimestamp64Milli(1447328726456)',
    );
    expect(expandMacros('$__fromTime', ctx())).toBe('toDateTime(1415792726)');
    expect(expandMacros('$__toTime', ctx())).toBe('toDateTime(1447328726)');
    expect(expandMacros('$__fromTime_ms', ctx())).toBe('fromUnixTimestamp64Milli(1415792726123)');
    expect(expandMacros('$__toTime_ms', ctx())).toBe('fromUnixTimestamp64Milli(1447328726456)');
    expect(expandMacros('$__dateFilter(date)', ctx())).toBe("date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')");
  });

  it('expands the interval macros with a floor of 1', () => {
    expect(expandMacros('$__interval_s', ctx())).toBe('20');
    expect(expandMacros('$__timeInterval(column)', ctx())).toBe('toStartOfInterval(toDateTime(column), INTERVAL 20 second)');
    expect(expandMacros('$__timeInterval_ms(column)', ctx({}, 20))).toBe('toStartOfInterval(toDateTime64(column, 3), INTERVAL 20 millisecond)');
    expect(expandMacros('$__interval_s', ctx({}, 300))).toBe('1');
  });

  it('tells $__timeFilter_ms from $__timeFilter and keeps the rest of the query', () => {
    expect(expandMacros('SELECT 1 WHERE $__timeFilter_ms(a) AND $__timeFilter(b) GROUP BY x', ctx())).toBe(
      'SELECT 1 WHERE a >= fromUnixTimestamp64Milli(1415792726123) AND a <= fromUnixTimestamp64Milli(1447328726456) AND b >= toDateTime(1415792726) AND b <= toDateTime(1447328726) GROUP BY x',
    );
  });

  it('takes nested expressions as arguments', () => {
    expect(expandMacros('$__timeInterval(toDateTime(Hour))', ctx())).toBe('toStartOfInterval(toDateTime(toDateTime(Hour)), INTERVAL 20 second)');
  });

  it('refuses a wrong argument count and unknown macros', () => {
    expect(() => expandMacros('$__timeFilter(a, b)', ctx())).toThrow(/expected 1 argument/);
    expect(() => expandMacros('$__timeFilter', ctx())).toThrow(/expected 1 argument/);
    expect(() => expandMacros('$__nope(x)', ctx())).toThrow(/unknown macro \$__nope/);
    expect(() => expandMacros('$__timeFilter(a', ctx())).toThrow(/no closing parenthesis/);
  });
});

describe('$__conditionalAll (CHDatasource.applyConditionalAll)', () => {
  const sql = 'WHERE $__conditionalAll(database IN (${database:singlequote}), $database)';

  it('becomes 1=1 when All or nothing is selected', () => {
    expect(applyConditionalAll(sql, { database: { current: '$__all' } })).toBe('WHERE 1=1');
    expect(applyConditionalAll(sql, { database: { current: ['$__all'] } })).toBe('WHERE 1=1');
    expect(applyConditionalAll(sql, { database: { current: [] } })).toBe('WHERE 1=1');
    expect(applyConditionalAll(sql, { database: { current: '' } })).toBe('WHERE 1=1');
  });

  it('keeps the condition when values are selected; ${var} works as the reference too', () => {
    expect(applyConditionalAll(sql, { database: { current: ['db1', 'db2'] } })).toBe('WHERE database IN (${database:singlequote})');
    expect(applyConditionalAll('$__conditionalAll(x = 1, ${v})', { v: { current: 'a' } })).toBe('x = 1');
  });

  it('handles several macros and commas inside the condition', () => {
    const two = '$__conditionalAll(hasAny(a, [$x]), $x) AND $__conditionalAll(b IN (1, 2), $y)';
    expect(applyConditionalAll(two, { x: { current: ['p'] }, y: { current: '$__all' } })).toBe('hasAny(a, [$x]) AND 1=1');
  });

  it('refuses an undefined variable or a missing reference', () => {
    expect(() => applyConditionalAll('$__conditionalAll(a = 1, $nope)', {})).toThrow(/nope is not defined/);
    expect(() => applyConditionalAll('$__conditionalAll(a = 1)', {})).toThrow(/takes 2 arguments/);
  });
});

describe('template variables (templateSrv with the datasource format)', () => {
  const vars: MacroContext['variables'] = {
    single: { current: 'acme' },
    multi: { current: ['a', 'b'] },
    all: { current: ['$__all'], options: ['x', "o'b"] },
    allCustom: { current: '$__all', allValue: '.*' },
  };

  it('inserts a single value raw and quotes multi values (the plugin format function)', () => {
    expect(replaceVariables('$single ${single} [[single]]', ctx(vars))).toBe('acme acme acme');
    expect(replaceVariables('IN ($multi)', ctx(vars))).toBe("IN ('a','b')");
  });

  it('applies explicit formats', () => {
    expect(replaceVariables('${single:singlequote}', ctx(vars))).toBe("'acme'");
    expect(replaceVariables('${multi:singlequote}', ctx(vars))).toBe("'a','b'");
    expect(replaceVariables('${multi:raw}', ctx(vars))).toBe('a,b');
    expect(replaceVariables('${all:singlequote}', ctx(vars))).toBe("'x','o\\'b'");
    expect(replaceVariables('${all:sqlstring}', ctx(vars))).toBe("'x','o''b'");
    expect(() => replaceVariables('${multi:glob}', ctx(vars))).toThrow(/format glob/);
  });

  it('expands All to every option, or to allValue', () => {
    expect(replaceVariables('$all', ctx(vars))).toBe("'x','o'b'");
    expect(replaceVariables('$allCustom', ctx(vars))).toBe('.*');
  });

  it('replaces $__from/$__to with epoch ms and leaves macros and unknown names alone', () => {
    expect(replaceVariables('$__from $__to $__timeFilter(t) $__interval_s $other', ctx(vars))).toBe(`${FROM} ${TO} $__timeFilter(t) $__interval_s $other`);
  });
});

describe('expandPanelSql: the three passes in the plugin order', () => {
  it('turns a dashboard query into plain SQL', () => {
    const sql =
      'SELECT $__timeInterval(T) AS time, count() FROM t WHERE $__timeFilter(T) AND $__conditionalAll(Tenant IN (${tenant:singlequote}), $tenant) AND $__conditionalAll(Model IN (${model:singlequote}), $model) GROUP BY time';
    const out = expandPanelSql(sql, ctx({ tenant: { current: ['acme'] }, model: { current: '$__all', options: ['m1'] } }));
    expect(out).toBe(
      "SELECT toStartOfInterval(toDateTime(T), INTERVAL 20 second) AS time, count() FROM t WHERE T >= toDateTime(1415792726) AND T <= toDateTime(1447328726) AND Tenant IN ('acme') AND 1=1 GROUP BY time",
    );
  });
});
