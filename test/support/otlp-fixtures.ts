/**
 * Builders of valid OTLP ExportTraceServiceRequests (protobuf bytes and OTLP/JSON) from simple span
 * descriptions, for any test that needs requests on the wire.
 */
import Long from 'long';
import type { AttrValue, Attributes, SpanKindNumber, StatusCodeNumber } from '../../src/model/otlp-values.js';
import { ExportTraceServiceRequestType } from './otlp-protobufjs.js';

/** A span description; everything but the ids has a default. */
export interface FixtureSpan {
  traceId: string; // 32 hex chars
  spanId: string; // 16 hex chars
  parentSpanId?: string;
  name?: string;
  kind?: SpanKindNumber;
  /** Defaults to now - 1 s. */
  startTimeUnixNano?: bigint;
  /** Defaults to start + 100 ms. */
  endTimeUnixNano?: bigint;
  attributes?: Attributes;
  /** Attributes sent as AnyValue.double_value even when integral (1e300; `attributes` sends integral numbers as int64). */
  doubleAttributes?: Record<string, number>;
  events?: { timeUnixNano?: bigint; name: string; attributes?: Attributes }[];
  links?: { traceId: string; spanId: string; attributes?: Attributes }[];
  status?: { code: StatusCodeNumber; message?: string };
  flags?: number;
  traceState?: string;
}

/** Optional request-level settings. */
export interface FixtureOptions {
  scopeName?: string;
  scopeVersion?: string;
  /** Clock used for default times. */
  nowMs?: number;
}



function times(s: FixtureSpan, nowMs: number): { start: bigint; end: bigint } {
  const start = s.startTimeUnixNano ?? BigInt(nowMs - 1000) * 1_000_000n;
  return { start, end: s.endTimeUnixNano ?? start + 100_000_000n };
}

function u64(v: bigint): unknown {
  return Long.fromString(v.toString(), true);
}

function pbAny(v: AttrValue): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(pbAny) } };
  return { kvlistValue: { values: pbAttrs(v) } };
}

function pbAttrs(a: Attributes | undefined): Record<string, unknown>[] {
  return Object.entries(a ?? {}).map(([key, value]) => ({ key, value: pbAny(value) }));
}

const idBytes = (h: string | undefined): Uint8Array => Buffer.from(h ?? '', 'hex');

/** Protobuf ExportTraceServiceRequest bytes with one ResourceSpans and one ScopeSpans holding `spans`. */
export function buildExportRequest(spans: FixtureSpan[], resourceAttrs: Attributes = {}, opts: FixtureOptions = {}): Uint8Array {
  const nowMs = opts.nowMs ?? Date.now();
  const msg = {
    resourceSpans: [
      {
        resource: { attributes: pbAttrs(resourceAttrs) },
        scopeSpans: [
          {
            scope: { name: opts.scopeName ?? 'agenttail-fixture', version: opts.scopeVersion ?? '1.0.0' },
            spans: spans.map((s) => {
              const t = times(s, nowMs);
              return {
                traceId: idBytes(s.traceId),
                spanId: idBytes(s.spanId),
                parentSpanId: idBytes(s.parentSpanId),
                traceState: s.traceState ?? '',
                flags: s.flags ?? 0,
                name: s.name ?? 'span',
                kind: s.kind ?? 1,
                startTimeUnixNano: u64(t.start),
                endTimeUnixNano: u64(t.end),
                attributes: [...pbAttrs(s.attributes), ...Object.entries(s.doubleAttributes ?? {}).map(([key, doubleValue]) => ({ key, value: { doubleValue } }))],
                events: (s.events ?? []).map((e) => ({ timeUnixNano: u64(e.timeUnixNano ?? t.start), name: e.name, attributes: pbAttrs(e.attributes) })),
                links: (s.links ?? []).map((l) => ({ traceId: idBytes(l.traceId), spanId: idBytes(l.spanId), attributes: pbAttrs(l.attributes) })),
                status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
              };
            }),
          },
        ],
      },
    ],
  };
  return ExportTraceServiceRequestType.encode(msg).finish();
}

function jsonAny(v: AttrValue): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(jsonAny) } };
  return { kvlistValue: { values: jsonAttrs(v) } };
}

function jsonAttrs(a: Attributes | undefined): Record<string, unknown>[] {
  return Object.entries(a ?? {}).map(([key, value]) => ({ key, value: jsonAny(value) }));
}

/** The OTLP/JSON object for the same request as buildExportRequest. */
export function buildExportRequestJsonObject(spans: FixtureSpan[], resourceAttrs: Attributes = {}, opts: FixtureOptions = {}): Record<string, unknown> {
  const nowMs = opts.nowMs ?? Date.now();
  return {
    resourceSpans: [
      {
        resource: { attributes: jsonAttrs(resourceAttrs) },
        scopeSpans: [
          {
            scope: { name: opts.scopeName ?? 'agenttail-fixture', version: opts.scopeVersion ?? '1.0.0' },
            spans: spans.map((s) => {
              const t = times(s, nowMs);
              return {
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                ...(s.traceState ? { traceState: s.traceState } : {}),
                ...(s.flags ? { flags: s.flags } : {}),
                name: s.name ?? 'span',
                kind: s.kind ?? 1,
                startTimeUnixNano: t.start.toString(),
                endTimeUnixNano: t.end.toString(),
                attributes: [...jsonAttrs(s.attributes), ...Object.entries(s.doubleAttributes ?? {}).map(([key, doubleValue]) => ({ key, value: { doubleValue } }))],
                events: (s.events ?? []).map((e) => ({ timeUnixNano: (e.timeUnixNano ?? t.start).toString(), name: e.name, attributes: jsonAttrs(e.attributes) })),
                links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: jsonAttrs(l.attributes) })),
                status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
              };
            }),
          },
        ],
      },
    ],
  };
}

/** The OTLP/JSON body (string) for the same request as buildExportRequest. */
export function buildExportRequestJson(spans: FixtureSpan[], resourceAttrs: Attributes = {}, opts: FixtureOptions = {}): string {
  return JSON.stringify(buildExportRequestJsonObject(spans, resourceAttrs, opts));
}

/** A deterministic hex id of `bytes` bytes derived from n (never all zero). */
export function fixtureId(n: number, bytes: 8 | 16): string {
  return (n + 1).toString(16).padStart(bytes * 2, '0').slice(-bytes * 2);
}
