/** Eval results carried by a span: semconv events, OpenInference attributes, evaluator spans with a link. */
import type { Attributes } from '../model/otlp-values.js';
import { shareEmpty, type OtlpSpan } from '../otlp/types.js';
import type { EvalResult } from '../model/span.js';
import { EVAL_OPERATIONS } from './aliases.js';
import { readNumber, readString } from './read-attr.js';

const EVAL_EVENT = 'gen_ai.evaluation.result';
const SEMCONV_KEYS = {
  name: ['gen_ai.evaluation.name'],
  score: ['gen_ai.evaluation.score.value'],
  label: ['gen_ai.evaluation.score.label'],
  explanation: ['gen_ai.evaluation.explanation'],
};
const OI_EVAL_PREFIX = 'evaluations.';
const OI_EVAL_RE = /^evaluations\.(\d+)\.evaluation\.(name|score|label|explanation)$/;

function hasEvalEvent(span: OtlpSpan): boolean {
  // Indexed: a for-of over the shared frozen empty list allocates an iterator on every call (V8 does not inline it).
  const events = span.events;
  for (let i = 0; i < events.length; i++) if (events[i]!.name === EVAL_EVENT) return true;
  return false;
}

/** Every eval result on the span; an evaluator span's results target the span it links to. */
export function extractEvals(span: OtlpSpan, operation: string | null, openinferenceKind: string | null): EvalResult[] {
  const evaluator = openinferenceKind?.toUpperCase() === 'EVALUATOR' || (operation !== null && EVAL_OPERATIONS.includes(operation));
  const link = span.links[0];
  const openInference = fromOpenInference(span.attributes);
  // Nearly every span carries none: answered without building a target or a list.
  if (openInference.length === 0 && !(evaluator && link !== undefined) && !hasEvalEvent(span)) return shareEmpty([]);
  const target =
    evaluator && link !== undefined
      ? { sessionId: null, traceId: link.traceId, spanId: link.spanId }
      : { sessionId: null, traceId: span.traceId, spanId: span.spanId };
  const out: EvalResult[] = [];

  for (const ev of span.events) {
    if (ev.name !== EVAL_EVENT) continue;
    const r = fromKeys(ev.attributes, SEMCONV_KEYS, null);
    if (r !== null) out.push({ ...r, target, source: 'event', timeUnixNano: ev.timeUnixNano });
  }
  const attrSource = evaluator && link !== undefined ? 'evaluator-span' : 'attribute';
  for (const r of openInference) out.push({ ...r, target, source: attrSource, timeUnixNano: span.endTimeUnixNano });
  if (evaluator && link !== undefined) {
    const r = fromKeys(span.attributes, SEMCONV_KEYS, span.name);
    if (r !== null) out.push({ ...r, target, source: 'evaluator-span', timeUnixNano: span.endTimeUnixNano });
  }
  return out;
}

/**
 * The eval a `gen_ai.evaluation.result` event emitted as a log record carries (semconv: events are log records
 * with the evaluated span's trace/span context), or null for any other record or one saying nothing usable.
 */
export function evalOfLogRecord(
  eventName: string,
  attrs: Attributes,
  target: EvalResult['target'],
  timeUnixNano: bigint,
): EvalResult | null {
  if (eventName !== EVAL_EVENT) return null;
  const r = fromKeys(attrs, SEMCONV_KEYS, null);
  return r === null ? null : { ...r, target, source: 'log', timeUnixNano };
}

type Core = Pick<EvalResult, 'name' | 'score' | 'label' | 'explanation'>;

function fromKeys(attrs: Attributes, keys: typeof SEMCONV_KEYS, fallbackName: string | null): Core | null {
  const name = readString(attrs, keys.name) ?? fallbackName;
  const score = readNumber(attrs, keys.score);
  const label = readString(attrs, keys.label);
  // An eval without a name, or with neither score nor label, says nothing usable.
  if (name === null || (score === null && label === null)) return null;
  return { name, score, label, explanation: readString(attrs, keys.explanation) };
}

function fromOpenInference(attrs: Attributes): Core[] {
  // Runs on every span: a prefix test before the regex, and no entries array or Map unless one matches.
  let byIndex: Map<string, Attributes> | null = null;
  for (const k in attrs) {
    if (!k.startsWith(OI_EVAL_PREFIX)) continue;
    const m = OI_EVAL_RE.exec(k);
    if (m === null) continue;
    byIndex ??= new Map();
    const idx = m[1] as string;
    const group = byIndex.get(idx) ?? {};
    group[m[2] as string] = attrs[k] as Attributes[string];
    byIndex.set(idx, group);
  }
  if (byIndex === null) return shareEmpty([]);
  const out: Core[] = [];
  const indexes = [...byIndex.keys()].sort((a, b) => Number(a) - Number(b));
  for (const idx of indexes) {
    const g = byIndex.get(idx) as Attributes;
    const r = fromKeys(g, { name: ['name'], score: ['score'], label: ['label'], explanation: ['explanation'] }, null);
    if (r !== null) out.push(r);
  }
  return out;
}
