/**
 * Turns an Export request body into normalized, priced spans: decode (protobuf or JSON) → tenant per resource →
 * normalize → price. Shared by the receivers and by recovery, which re-reads logged requests the same way.
 */
import type { Normalizer } from '../conventions/normalize.js';
import type { NormalizedSpan } from '../model/span.js';
import type { SpanDetail } from '../model/span-detail.js';
import { decodeExportRequestJson } from '../otlp/decode-json.js';
import { decodeExportRequest } from '../otlp/decode-protobuf.js';
import { ProtoReader } from '../otlp/proto-reader.js';
import { readSpan } from '../otlp/proto-span.js';
import { timeWindowNs } from '../otlp/span-checks.js';
import { SpanRejectError } from '../otlp/span-checks.js';
import type { DecodedExport, DecodeLimits } from '../otlp/types.js';
import type { AttrFilter } from '../otlp/proto-attributes.js';
import { failed, ok, type Outcome } from '../model/outcome.js';
import { AgtError } from '../model/errors.js';
import type { RequestSource } from '../model/sinks.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Authenticator, TenantAuth } from './auth.js';
import { resourceTenants } from './resource-tenant.js';
import { decodeOutcome, loggedPrincipal } from './signal-route.js';

/** Decodes and normalizes Export requests. */
export class RequestDecoder {
  constructor(private readonly p: { auth: Authenticator; limits: DecodeLimits; normalizer: Normalizer; pricer: Pricer }) {}

  /**
   * The request's spans as decoded (rejected spans listed); a failed Outcome for a body that cannot be read at all.
   * `filter` (protobuf only): spans build only the attributes it wants; only for spans that will be held lean.
   */
  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number, filter?: AttrFilter): Outcome<DecodedExport> {
    return decodeOutcome(() => (format === 'protobuf' ? decodeExportRequest(body, this.p.limits, nowMs, filter) : decodeExportRequestJson(body, this.p.limits, nowMs)));
  }

  /**
   * Resolves each resource's tenant (a resource `tenant.id` only where the key may name it), normalizes and prices.
   * A span whose values fail the column checks (conventions/value-checks.ts) is moved to `decoded.rejected`.
   */
  normalize(decoded: DecodedExport, principal: TenantAuth): Outcome<NormalizedSpan[]> {
    const normalized: NormalizedSpan[] = [];
    const tenantOf = resourceTenants(this.p.auth, principal);
    for (const span of decoded.spans) {
      const t = tenantOf(span.resource);
      if (t.status !== 'ok') return t;
      let n: NormalizedSpan;
      try {
        n = this.p.normalizer.normalize(span, t.value);
      } catch (err) {
        if (!(err instanceof SpanRejectError)) throw err;
        decoded.rejected.push({ path: `span ${span.spanId} of trace ${span.traceId}`, kind: err.kind, reason: err.message });
        continue;
      }
      n.cost = this.p.pricer.price(n);
      normalized.push(n);
    }
    return ok(normalized);
  }

  /** Counts spans a decode worker normalized and priced in this process's metrics, as normalize() counts its own. */
  countWorkerSpans(spans: readonly NormalizedSpan[]): void {
    for (const n of spans) {
      this.p.normalizer.count(n);
      this.p.pricer.count(n.cost);
    }
  }

  /** Both steps for a logged request, as the receiver did them on arrival (recovery and upgrade read-backs). */
  spansOfLogged(r: RequestSource): Outcome<NormalizedSpan[]> {
    const decoded = this.decode(r.body, r.format, r.receivedAtMs);
    if (decoded.status !== 'ok') return decoded;
    return this.normalize(decoded.value, loggedPrincipal(r));
  }

  /**
   * The attributes, events and links of one span of a logged protobuf request, read from that span's own bytes (its
   * `wireBytes` at `wireOffset` in the body) with the limits and clock of its arrival: what the span carried when it was
   * buffered without them (src/sessions/span-detail.ts). Only that span's message is read, not the request.
   */
  detailOf(r: Pick<RequestSource, 'format' | 'receivedAtMs'>, spanBytes: Uint8Array): Outcome<SpanDetail> {
    if (r.format !== 'protobuf') return failed(new AgtError('AGT_ERR_MALFORMED_REQUEST', 'the span was not read from protobuf bytes'));
    return decodeOutcome(() => {
      const limits = this.p.limits;
      const reader = new ProtoReader(spanBytes, limits.maxStringBytes);
      const none = { attributes: {}, droppedAttributesCount: 0 };
      const read = readSpan(reader, spanBytes.length, { limits, window: timeWindowNs(limits, r.receivedAtMs), resource: none, scope: { name: '', version: '', attributes: {} } });
      return { attributes: read.attributes, events: read.events, links: read.links };
    });
  }
}
