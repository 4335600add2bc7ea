/**
 * Turns an Export request body into normalized, priced spans: decode (protobuf or JSON) → tenant per resource →
 * normalize → price. Shared by the receivers and by recovery, which re-reads logged requests the same way.
 */
import type { Normalizer } from '../conventions/normalize.js';
import type { NormalizedSpan } from '../conventions/types.js';
import { AgtError, isAgtError } from '../errors.js';
import { decodeExportRequestJson } from '../otlp/decode-json.js';
import { decodeExportRequest } from '../otlp/decode-protobuf.js';
import { SpanRejectError } from '../otlp/span-checks.js';
import type { DecodedExport, DecodeLimits } from '../otlp/types.js';
import { failed, ok, type Outcome } from '../outcome.js';
import type { RequestSource } from '../pipeline.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Authenticator, TenantAuth } from './auth.js';

/** Decodes and normalizes Export requests. */
export class RequestDecoder {
  constructor(private readonly p: { auth: Authenticator; limits: DecodeLimits; normalizer: Normalizer; pricer: Pricer }) {}

  /** The request's spans as decoded (rejected spans listed); a failed Outcome for a body that cannot be read at all. */
  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedExport> {
    try {
      return ok(format === 'protobuf' ? decodeExportRequest(body, this.p.limits, nowMs) : decodeExportRequestJson(body, this.p.limits, nowMs));
    } catch (err) {
      if (isAgtError(err)) return failed(err);
      return failed(new AgtError('AGT_ERR_MALFORMED_REQUEST', `request could not be decoded: ${(err as Error).message}`, { cause: err }));
    }
  }

  /**
   * Resolves each resource's tenant (a resource `tenant.id` only where the key may name it), normalizes and prices.
   * A span whose values fail the column checks (conventions/value-checks.ts) is moved to `decoded.rejected`.
   */
  normalize(decoded: DecodedExport, principal: TenantAuth): Outcome<NormalizedSpan[]> {
    const normalized: NormalizedSpan[] = [];
    // Spans of one resource share its object, so resolve once per resource.
    const tenantOf = new Map<object, string>();
    for (const span of decoded.spans) {
      let tenantId = tenantOf.get(span.resource);
      if (tenantId === undefined) {
        const claimed = span.resource.attributes['tenant.id'];
        const t = this.p.auth.tenantForResource(principal, typeof claimed === 'string' ? claimed : null);
        if (t.status !== 'ok') return t;
        tenantId = t.value;
        tenantOf.set(span.resource, tenantId);
      }
      let n: NormalizedSpan;
      try {
        n = this.p.normalizer.normalize(span, tenantId);
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

  /** Both steps for a logged request, as the receiver did them on arrival (recovery and upgrade read-backs). */
  spansOfLogged(r: RequestSource): Outcome<NormalizedSpan[]> {
    const decoded = this.decode(r.body, r.format, r.receivedAtMs);
    if (decoded.status !== 'ok') return decoded;
    return this.normalize(decoded.value, { tenantId: r.tenantId, trustedGateway: r.mayClaimTenant, admin: false, open: false, keyId: 'log' });
  }
}
