import { describe, expect, it } from 'vitest';
import { AgtError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { failed, ok, retryable } from '../../src/outcome.js';
import { errorAnswer, toGrpcAnswer, toHttpAnswer } from '../../src/receive/answers.js';
import { Authenticator, hashApiKey } from '../../src/receive/auth.js';
import { QuotaManager } from '../../src/receive/quota.js';

const keys = [
  { sha256: hashApiKey('tenant-key'), tenant: 'acme', trustedGateway: false, admin: false },
  { sha256: hashApiKey('gw-key'), tenant: 'edge', trustedGateway: true, admin: false },
];

describe('Authenticator', () => {
  const auth = new Authenticator({ keys, log: silentLogger() });

  describe('authenticate', () => {
    it('accepts a Bearer key and an x-api-key by their hash', () => {
      const a = auth.authenticate({ authorization: 'Bearer tenant-key' });
      expect(a.status === 'ok' && a.value.tenantId).toBe('acme');
      const b = auth.authenticate({ apiKey: 'gw-key' });
      expect(b.status === 'ok' && b.value.trustedGateway).toBe(true);
    });

    it('refuses a missing or unknown key as AGT_ERR_UNAUTHENTICATED', () => {
      for (const creds of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic dGVuYW50LWtleQ==' }, { apiKey: ' ' }]) {
        const r = auth.authenticate(creds);
        expect(r.status === 'failed' && r.error.code).toBe('AGT_ERR_UNAUTHENTICATED');
      }
    });

    it('runs open with no keys configured', () => {
      const open = new Authenticator({ keys: [], log: silentLogger() });
      expect(open.open).toBe(true);
      const r = open.authenticate({});
      expect(r.status === 'ok' && r.value.tenantId).toBe('default');
    });
  });

  describe('tenantForResource', () => {
    const tenant = { tenantId: 'acme', trustedGateway: false, admin: false, open: false, keyId: 'x' };
    const gateway = { ...tenant, tenantId: 'edge', trustedGateway: true };
    it('lets a trusted gateway set the tenant, and a tenant key only its own', () => {
      expect(auth.tenantForResource(gateway, 'globex')).toEqual(ok('globex'));
      expect(auth.tenantForResource(tenant, null)).toEqual(ok('acme'));
      expect(auth.tenantForResource(tenant, 'acme')).toEqual(ok('acme'));
      const r = auth.tenantForResource(tenant, 'globex');
      expect(r.status === 'failed' && r.error.code).toBe('AGT_ERR_TENANT_FORBIDDEN');
    });
  });
});

describe('QuotaManager', () => {
  it('lets a burst of two seconds pass, then answers retryable with the time to refill', () => {
    let now = 0;
    const q = new QuotaManager({ quota: { spansPerSecond: 100, bytesPerSecond: 0 }, tenantQuotas: { big: { spansPerSecond: 0, bytesPerSecond: 0 } }, now: () => now });
    expect(q.takeSpans('t', 200).status).toBe('ok');
    const r = q.takeSpans('t', 50);
    expect(r.status).toBe('retryable');
    expect(r.status === 'retryable' && r.retryInMs).toBe(500);
    now = 500;
    expect(q.takeSpans('t', 50).status).toBe('ok');
    expect(q.takeSpans('big', 1_000_000).status).toBe('ok'); // 0 = unlimited override
    expect(q.takeBytes('t', 10 ** 9).status).toBe('ok');
  });
});

describe('answers', () => {
  it('maps partial success to OK with the rejected count', () => {
    const g = toGrpcAnswer(ok({ acceptedSpans: 2, rejectedSpans: 1, errorMessage: 'bad id' }));
    expect(g.code).toBe(0);
    expect(Buffer.from(g.response!).toString('latin1')).toContain('bad id');
    const h = toHttpAnswer(ok({ acceptedSpans: 2, rejectedSpans: 1, errorMessage: 'bad id' }), 'json');
    expect(h.status).toBe(200);
    expect(JSON.parse(String(h.body))).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'bad id' } });
  });

  it('maps a malformed request to INVALID_ARGUMENT / 400 without retry hints', () => {
    const err = new AgtError('AGT_ERR_MALFORMED_REQUEST', 'truncated');
    expect(toGrpcAnswer(failed(err)).code).toBe(3);
    const h = errorAnswer(err, 'json');
    expect(h.status).toBe(400);
    expect(h.headers['retry-after']).toBeUndefined();
  });

  it('gives retryable refusals RetryInfo and Retry-After rounded up to whole seconds', () => {
    const r = retryable(new AgtError('AGT_ERR_QUOTA_EXCEEDED', 'over'), 1_500);
    const g = toGrpcAnswer(r);
    expect(g.code).toBe(8);
    // RetryInfo.retry_delay = Duration{seconds: 1, nanos: 500_000_000}
    const details = g.statusDetails!.toString('latin1');
    expect(details).toContain('type.googleapis.com/google.rpc.RetryInfo');
    expect(g.statusDetails!.includes(Buffer.from([0x08, 0x01, 0x10]))).toBe(true);
    const h = toHttpAnswer(r, 'protobuf');
    expect(h.status).toBe(429);
    expect(h.headers['retry-after']).toBe('2');
  });
});
