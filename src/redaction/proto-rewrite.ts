/**
 * Redaction of protobuf Export requests (traces and logs) on the wire bytes: the walk descends only into the fields
 * that carry attributes, status messages and log bodies, copies every other byte as it is, and re-encodes a message
 * only when something inside it changed. An unchanged request comes back as the same buffer.
 */
import { isUtf8 } from 'node:buffer';
import { AgtError } from '../model/errors.js';
import { readAnyValue } from '../otlp/proto-attributes.js';
import { ProtoReader } from '../otlp/proto-reader.js';
import { hashText } from './hash-text.js';
import type { KeyPlan } from './rule-set.js';
import type { RedactionPass } from './redaction-pass.js';
import { append, lenField, rope, type Rope } from './rope.js';

/** A message nested deeper than this is refused (the decoder's own limits are far lower). */
const MAX_DEPTH = 100;

/** What a visitor does with one length-delimited field: keep it (undefined), drop it (null) or replace its content. */
type FieldEdit = Rope | null | undefined;
type Visitor = (field: number, start: number, end: number) => FieldEdit;

/** One request's bytes and the redaction to apply. */
export class ProtoRewriter {
  private readonly buf: Buffer;
  private pos = 0;
  /** The decoder's reader over the same bytes, for its caches of attribute keys and short values (shared strings). */
  private readonly reader: ProtoReader;

  constructor(body: Uint8Array) {
    this.buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.reader = new ProtoReader(this.buf, Number.MAX_SAFE_INTEGER);
  }

  /** ExportTraceServiceRequest: resource_spans(1) → scope_spans(2) → spans(2). `passFor` picks a resource's tenant pass. */
  traces(passFor: (tenantClaim: string | null) => RedactionPass): Uint8Array | null {
    return this.envelope(passFor, (pass) => (f, s, e) => (f === 2 ? this.item(() => this.span(pass, s, e), SPAN_STUB) : undefined));
  }

  /** ExportLogsServiceRequest: resource_logs(1) → scope_logs(2) → log_records(2). */
  logs(passFor: (tenantClaim: string | null) => RedactionPass): Uint8Array | null {
    return this.envelope(passFor, (pass) => (f, s, e) => (f === 2 ? this.item(() => this.logRecord(pass, s, e), LOG_RECORD_STUB) : undefined));
  }

  /** ExportMetricsServiceRequest: resource_metrics(1) → scope_metrics(2) → metrics(2). */
  metrics(passFor: (tenantClaim: string | null) => RedactionPass): Uint8Array | null {
    return this.envelope(passFor, (pass) => (f, s, e) => (f === 2 ? this.item(() => this.metric(pass, s, e), METRIC_STUB) : undefined));
  }

  /**
   * One span or log record. One the walk cannot read (the decoder may have stopped before the damage, rejecting the
   * item for an earlier fault) is replaced by a stub the decoder rejects: the item stays refused, its other items
   * accepted, and none of its bytes are logged.
   */
  private item(walk: () => FieldEdit, stub: Uint8Array): FieldEdit {
    try {
      return walk();
    } catch (err) {
      if (!(err instanceof AgtError)) throw err;
      return rope(stub);
    }
  }

  /** The rewritten request, or null when nothing changed. */
  private envelope(passFor: (tenantClaim: string | null) => RedactionPass, items: (pass: RedactionPass) => Visitor): Uint8Array | null {
    const out = this.message(0, this.buf.length, (f, s, e) => {
      if (f !== 1) return undefined;
      const pass = passFor(this.tenantClaim(s, e));
      if (pass.rules.empty) return undefined;
      const visitScope = items(pass);
      return this.message(s, e, (f2, s2, e2) => (f2 === 2 ? this.message(s2, e2, visitScope) : undefined));
    });
    return out === undefined ? null : Buffer.concat(out.parts, out.length);
  }

  /** Span: attributes(9), events(11) → attributes(3), links(13) → attributes(5), status(15) → message(2). */
  private span(pass: RedactionPass, start: number, end: number): FieldEdit {
    return this.message(start, end, (f, s, e) => {
      if (f === 9) return this.keyValue(pass, s, e, null, 0);
      if (f === 11) return this.message(s, e, (f2, s2, e2) => (f2 === 3 ? this.keyValue(pass, s2, e2, null, 0) : undefined));
      if (f === 13) return this.message(s, e, (f2, s2, e2) => (f2 === 5 ? this.keyValue(pass, s2, e2, null, 0) : undefined));
      if (f === 15) return this.message(s, e, (f2, s2, e2) => (f2 === 2 ? this.text(pass, s2, e2, pass.rules.textPlan) : undefined));
      return undefined;
    });
  }

  /**
   * Metric: metadata(12), and the data points of gauge(5), sum(7), histogram(9), exponential_histogram(10) and
   * summary(11) — each a message whose data_points are field 1 — with their attributes and their exemplars'
   * filtered_attributes(7). Names, descriptions, units and numbers are left as sent.
   */
  private metric(pass: RedactionPass, start: number, end: number): FieldEdit {
    return this.message(start, end, (f, s, e) => {
      if (f === 12) return this.keyValue(pass, s, e, null, 0);
      const point = POINT_FIELDS[f];
      if (point === undefined) return undefined;
      return this.message(s, e, (f2, s2, e2) =>
        f2 === 1
          ? this.message(s2, e2, (f3, s3, e3) => {
              if (f3 === point.attributes) return this.keyValue(pass, s3, e3, null, 0);
              if (f3 === point.exemplars) return this.message(s3, e3, (f4, s4, e4) => (f4 === 7 ? this.keyValue(pass, s4, e4, null, 0) : undefined));
              return undefined;
            })
          : undefined,
      );
    });
  }

  /** LogRecord: body(5) is an AnyValue, attributes(6). */
  private logRecord(pass: RedactionPass, start: number, end: number): FieldEdit {
    return this.message(start, end, (f, s, e) => {
      if (f === 5) return this.anyValue(pass, s, e, pass.rules.textPlan, 1);
      if (f === 6) return this.keyValue(pass, s, e, null, 0);
      return undefined;
    });
  }

  /** KeyValue { key(1), value(2) }; `parent` is the plan of the value it is nested in (null: an attribute). */
  private keyValue(pass: RedactionPass, start: number, end: number, parent: KeyPlan | null, depth: number): FieldEdit {
    let ks = -1;
    let ke = -1;
    let vs = -1;
    let ve = -1;
    this.pos = start;
    while (this.pos < end) {
      const tag = this.varint(end);
      if ((tag & 7) !== 2) {
        this.skip(tag & 7, end);
        continue;
      }
      const len = this.varint(end);
      const e = this.pos + len;
      if (e > end) throw malformed('a length-delimited field runs past its message');
      if (tag === 0x0a) [ks, ke] = [this.pos, e];
      else if (tag === 0x12) [vs, ve] = [this.pos, e];
      this.pos = e;
    }
    // Without keyed rules a value no pattern can match needs no key: most attributes are numbers or short names.
    if (vs < 0 || (!pass.rules.keyed && this.scalarOrShort(vs, ve, pass.rules.minTextLength))) return undefined;
    const key = ks < 0 ? '' : this.string(ks, ke, true);
    const plan = parent === null ? pass.rules.plan(key) : pass.rules.fieldPlan(parent, key);
    if (plan.skip) return undefined;
    if (plan.drop !== null) {
      pass.count(plan.drop);
      return null;
    }
    if (plan.hash !== null) {
      const token = pass.token(this.valueText(vs, ve), plan.hash);
      return this.message(start, end, (f) => (f === 2 ? lenField(1, rope(Buffer.from(token, 'utf8'))) : undefined));
    }
    const value = this.anyValue(pass, vs, ve, plan, depth + 1);
    if (value === undefined) return undefined;
    return this.message(start, end, (f) => (f === 2 ? value : undefined));
  }

  /** True when the AnyValue [start, end) is a bool / int / double, or one string shorter than `minLength` bytes. */
  private scalarOrShort(start: number, end: number, minLength: number): boolean {
    if (start === end) return true;
    const tag = this.buf[start]!;
    const wire = tag & 7;
    if (tag === 0x0a) {
      const len = this.buf[start + 1]!;
      // One string field of a one-byte length that fills the AnyValue.
      return len < 0x80 && len < minLength && start + 2 + len === end;
    }
    // One bool / int / double field that fills the AnyValue (a later string field would win in the decoder).
    if (tag >>> 3 < 2 || tag >>> 3 > 4) return false;
    if (wire === 1) return start + 9 === end;
    if (wire === 5) return start + 5 === end;
    if (wire !== 0) return false;
    let i = start + 1;
    while (i < end && this.buf[i]! >= 0x80) i++;
    return i + 1 === end;
  }

  /** AnyValue: string(1), array(5) → values(1), kvlist(6) → values(1). */
  private anyValue(pass: RedactionPass, start: number, end: number, plan: KeyPlan, depth: number): FieldEdit {
    if (depth > MAX_DEPTH) throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `AnyValue nested deeper than ${MAX_DEPTH}`);
    return this.message(start, end, (f, s, e) => {
      if (f === 1) return this.text(pass, s, e, plan);
      if (f === 5) return this.message(s, e, (f2, s2, e2) => (f2 === 1 ? this.anyValue(pass, s2, e2, plan, depth + 1) : undefined));
      if (f === 6) return this.message(s, e, (f2, s2, e2) => (f2 === 1 ? this.keyValue(pass, s2, e2, plan, depth + 1) : undefined));
      return undefined;
    });
  }

  private text(pass: RedactionPass, start: number, end: number, plan: KeyPlan): FieldEdit {
    if (plan.maskers.length === 0 && !pass.rules.keyed) return undefined;
    // UTF-8 has at least as many bytes as the text has characters.
    if (end - start < pass.rules.minTextLength) return undefined;
    const value = this.string(start, end, false);
    const out = pass.text(value, plan);
    if (out === value) return undefined;
    const bytes = Buffer.from(out, 'utf8');
    // Invalid UTF-8 makes the decoder reject the span: keep it invalid (the replacement characters of the lenient
    // read become a lone 0xFF again), so redaction masks what it holds but does not change the answer.
    return rope(isUtf8(this.buf.subarray(start, end)) ? bytes : Buffer.from(bytes.toString('latin1').replaceAll('\xef\xbf\xbd', '\xff'), 'latin1'));
  }

  /**
   * The string [start, end): keys and short values through the decoder's caches (the same string object for the same
   * bytes, so the key's plan and a value already found clean are one hash lookup), the rest sliced.
   */
  private string(start: number, end: number, key: boolean): string {
    const len = end - start;
    if (len < 0x80 && len <= 48) {
      try {
        this.reader.pos = start - 1; // the one-byte length before the bytes
        return key ? this.reader.key(end) : this.reader.value(end);
      } catch {
        // Not UTF-8: the decoder rejects the span; redact what a lenient decoding shows.
      }
    }
    return (this.buf as NativeSlices).utf8Slice(start, end);
  }

  /** The text a hash rule hashes (hashText of the value as the decoder reads it). */
  private valueText(start: number, end: number): string {
    try {
      this.reader.pos = start;
      return hashText(readAnyValue(this.reader, end, { maxAttributesPerSpan: Number.MAX_SAFE_INTEGER, maxAnyValueDepth: MAX_DEPTH }, 1));
    } catch {
      // Unreadable (the decoder rejects the span): hash the bytes.
      return this.buf.toString('hex', start, end);
    }
  }

  /** A resource's `tenant.id` (ResourceSpans.resource(1) → attributes(1)), for trusted gateways that name tenants. */
  private tenantClaim(start: number, end: number): string | null {
    try {
      return this.readTenantClaim(start, end);
    } catch (err) {
      // A resource the decoder cannot read either: it rejects the items under it; redact them under the principal.
      if (err instanceof AgtError) return null;
      throw err;
    }
  }

  private readTenantClaim(start: number, end: number): string | null {
    let claim: string | null = null;
    this.fields(start, end, (f, s, e) => {
      if (f !== 1) return;
      this.fields(s, e, (f2, s2, e2) => {
        if (f2 !== 1) return;
        let key = '';
        let value: string | null = null;
        this.fields(s2, e2, (f3, s3, e3) => {
          if (f3 === 1) key = this.buf.toString('utf8', s3, e3);
          else if (f3 === 2) this.fields(s3, e3, (f4, s4, e4) => (f4 === 1 ? (value = this.buf.toString('utf8', s4, e4)) : undefined));
        });
        if (key === 'tenant.id' && value !== null) claim = value;
      });
    });
    return claim;
  }

  /** Calls `visit` for each length-delimited field of the message [start, end); skips the others. */
  private fields(start: number, end: number, visit: (field: number, start: number, end: number) => unknown): void {
    this.pos = start;
    while (this.pos < end) {
      const tag = this.varint(end);
      const wire = tag & 7;
      if (wire === 2) {
        const len = this.varint(end);
        const s = this.pos;
        const e = s + len;
        if (e > end) throw malformed('a length-delimited field runs past its message');
        visit(tag >>> 3, s, e);
        this.pos = e;
      } else this.skip(wire, end);
    }
  }

  /**
   * Walks the message [start, end) and returns its new content when a visitor changed a field (null: unchanged).
   * Edited fields are re-encoded; every other byte is copied.
   */
  private message(start: number, end: number, visit: Visitor): Rope | undefined {
    let edits: { start: number; end: number; field: number; content: Rope | null }[] | null = null;
    this.pos = start;
    while (this.pos < end) {
      const fieldStart = this.pos;
      const tag = this.varint(end);
      const wire = tag & 7;
      if (wire !== 2) {
        this.skip(wire, end);
        continue;
      }
      const len = this.varint(end);
      const s = this.pos;
      const e = s + len;
      if (e > end) throw malformed('a length-delimited field runs past its message');
      const edit = visit(tag >>> 3, s, e);
      this.pos = e;
      if (edit !== undefined) (edits ??= []).push({ start: fieldStart, end: e, field: tag >>> 3, content: edit });
    }
    if (edits === null) return undefined;
    const out: Rope = { parts: [], length: 0 };
    let at = start;
    for (const ed of edits) {
      append(out, this.buf.subarray(at, ed.start));
      if (ed.content !== null) {
        const field = lenField(ed.field, ed.content);
        out.parts.push(...field.parts);
        out.length += field.length;
      }
      at = ed.end;
    }
    append(out, this.buf.subarray(at, end));
    return out;
  }

  private varint(end: number): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw malformed('truncated varint');
      const b = this.buf[this.pos++]!;
      if (mul < 2 ** 53) result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw malformed('varint longer than 10 bytes');
  }

  private skip(wire: number, end: number, groupDepth = 0): void {
    if (wire === 0) this.varint(end);
    else if (wire === 3) {
      // A (deprecated) group: skip fields up to its end-group tag.
      if (groupDepth >= 32) throw malformed('groups nested too deep');
      for (;;) {
        const tag = this.varint(end);
        if ((tag & 7) === 4) break;
        if ((tag & 7) === 2) this.pos += this.varint(end);
        else this.skip(tag & 7, end, groupDepth + 1);
      }
    }
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw malformed(`unsupported wire type ${wire}`);
    if (this.pos > end) throw malformed('a fixed-size field runs past its message');
  }
}

function malformed(message: string): AgtError {
  return new AgtError('AGT_ERR_MALFORMED_REQUEST', `request could not be read for redaction: ${message}`);
}

/**
 * Field numbers of a data point's attributes and exemplars, by the Metric field holding its kind: NumberDataPoint
 * (gauge, sum) 7 and 5, HistogramDataPoint 9 and 8, ExponentialHistogramDataPoint 1 and 11, SummaryDataPoint 7 and
 * none (opentelemetry-proto metrics/v1).
 */
const POINT_FIELDS: Readonly<Record<number, { attributes: number; exemplars: number }>> = {
  5: { attributes: 7, exemplars: 5 },
  7: { attributes: 7, exemplars: 5 },
  9: { attributes: 9, exemplars: 8 },
  10: { attributes: 1, exemplars: 11 },
  11: { attributes: 7, exemplars: -1 },
};
/** A metric with only a one-byte description (field 2) and no name: rejected by the decoder. */
const METRIC_STUB = Uint8Array.from([0x12, 0x01, 0x00]);
/** A span with a one-byte trace id (field 1): rejected by the decoder as `trace_id`. */
const SPAN_STUB = Uint8Array.from([0x0a, 0x01, 0x00]);
/** A log record with a one-byte trace id (field 9): rejected by the decoder as `trace_id`. */
const LOG_RECORD_STUB = Uint8Array.from([0x4a, 0x01, 0x00]);

/** Buffer's native UTF-8 slicer, called directly (toString's argument checks cost more than a short slice). */
type NativeSlices = Buffer & { utf8Slice(start: number, end: number): string };
