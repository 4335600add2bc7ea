/** Policy `rule:<name>`: keep or drop sessions on attribute conditions. */
import type { SamplingRule } from '../../config/sampling.js';
import type { NormalizedSpan } from '../../model/span.js';
import type { SessionView } from '../../model/session-view.js';
import { compileCondition, spanField, summaryField, type CompiledCondition, type LookupValue } from './rule-condition.js';
import type { DropRule, KeepPolicy } from './policy.js';
import type { Vote } from '../basis/vote.js';

interface CompiledRule {
  name: string;
  action: 'keep' | 'drop';
  match: 'any' | 'all';
  summaryConditions: Array<{ key: string; cond: CompiledCondition }>;
  spanConditions: Array<{ key: string; cond: CompiledCondition }>;
}

function spanValue(span: NormalizedSpan, source: CompiledCondition['source'], key: string): LookupValue {
  if (source === 'attribute') return span.attributes[key];
  if (source === 'resource') return span.resourceAttributes[key];
  return spanField(span, key);
}

/**
 * A rule matches when all its summary conditions hold and its span conditions (attribute, resource, span)
 * all hold on `any` one span (default) or on `all` spans (and the session has spans). Both roles in one class: the
 * engine holds the drop rules apart (they run first and end the decision), the keep rules sit in the policy list.
 */
export class AttributeRules implements KeepPolicy, DropRule {
  readonly name = 'rules';
  private readonly rules: CompiledRule[];

  constructor(params: { rules: readonly SamplingRule[] }) {
    this.rules = params.rules
      .filter((r) => r.enabled)
      .map((r) => {
        const conds = r.conditions.map((c) => ({ key: c.key, cond: compileCondition(c) }));
        return {
          name: r.name,
          action: r.action,
          match: r.match,
          summaryConditions: conds.filter((c) => c.cond.source === 'summary'),
          spanConditions: conds.filter((c) => c.cond.source !== 'summary'),
        };
      });
  }

  /** The name of the first drop rule that matches, or null. */
  dropRule(view: SessionView): string | null {
    for (const r of this.rules) if (r.action === 'drop' && matches(r, view)) return r.name;
    return null;
  }

  /** A certain keep vote (`rule:<name>`) for every keep rule that matches. */
  votes(view: SessionView): Vote[] {
    const out: Vote[] = [];
    for (const r of this.rules) {
      if (r.action === 'keep' && matches(r, view)) out.push({ reason: `rule:${r.name}`, policyClass: 'rule', probability: 1 });
    }
    return out;
  }
}

function matches(rule: CompiledRule, view: SessionView): boolean {
  for (const { key, cond } of rule.summaryConditions) if (!cond.test(summaryField(view.summary, key))) return false;
  const conds = rule.spanConditions;
  if (conds.length === 0) return true;
  if (rule.match === 'all' && view.spans.length === 0) return false;
  // Plain loops: this runs for every rule × span of every session.
  for (const span of view.spans) {
    let ok = true;
    for (let i = 0; i < conds.length; i++) {
      const c = conds[i]!;
      if (!c.cond.test(spanValue(span, c.cond.source, c.key))) {
        ok = false;
        break;
      }
    }
    if (rule.match === 'any' && ok) return true;
    if (rule.match === 'all' && !ok) return false;
  }
  return rule.match === 'all';
}
