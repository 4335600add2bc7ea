/**
 * The attribute filter of arrivals whose spans are held lean (src/sessions/span-detail.ts): a span builds only the
 * attributes something reads before its session is decided, which are the keys redaction protects for the same
 * reason (config/protected-keys.ts: the alias table, the keys read elsewhere, usage, cost and eval prefixes, custom
 * session aliases, rule keys) and the keys held on lean spans. Every other value (prompts, completions, tool
 * arguments, custom attributes) stays in the logged request's bytes and is read from there only if the session is
 * kept; a key left out still gives its conventions (the span's `conventions` list).
 */
import { conventionMarksOf } from '../conventions/span-keys.js';
import type { SpanSink } from '../model/sinks.js';
import type { AttrFilter } from '../otlp/proto-attributes.js';

/** Keys remembered (keys repeat across spans; custom names are open-ended, so the memory is bounded). */
const MAX_REMEMBERED_KEYS = 10_000;

export class SpanAttrFilter implements AttrFilter {
  private readonly memo = new Map<string, number>();

  /** `isRead`: keys normalization and decisions read; `held`: the keys a lean span keeps. */
  constructor(
    private readonly isRead: (key: string) => boolean,
    private readonly held: ReadonlySet<string>,
  ) {}

  marksIfLeftOut(key: string): number {
    let m = this.memo.get(key);
    if (m === undefined) {
      m = this.isRead(key) || this.held.has(key) ? -1 : conventionMarksOf(key);
      if (this.memo.size >= MAX_REMEMBERED_KEYS) this.memo.clear();
      this.memo.set(key, m);
    }
    return m;
  }
}

/**
 * The filter arrivals for `sink` are decoded with: one when the sink holds spans lean (it reads a kept session's
 * attributes back from the log), none when it holds them whole. `isRead`: config/protected-keys.ts `protectedKeys`.
 */
export function leanSpanFilter(sink: SpanSink, isRead: (key: string) => boolean): SpanAttrFilter | undefined {
  const held = sink.leanKeys?.() ?? null;
  return held === null ? undefined : new SpanAttrFilter(isRead, held);
}
