import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ok } from '../../src/model/outcome.js';
import { Authenticator, hashApiKey, OPEN_TENANT, type TenantAuth } from '../../src/receive/auth.js';

const keys = [
  { sha256: hashApiKey('k1'), tenant: 't1', trustedGateway: false, admin: false },
  { sha256: hashApiKey('gw'), tenant: 'gw', trustedGateway: true, admin: false },
  { sha256: hashApiKey('root'), tenant: 'ops', trustedGateway: false, admin: true },
];

function authOk(a: Authenticator, creds: Parameters<Authenticator['authenticate']>[0]): TenantAuth {
  const r = a.authenticate(creds);
  if (r.status !== 'ok') throw new Error(`expected ok, got ${r.status}: ${r.error.message}`);
  return r.value;
}

describe('hashApiKey', () => {
  it('returns the lowercase sha256 hex of the key', () => {
    // sha256("abc") from FIPS 180-2.
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('Authenticator', () => {
  const auth = new Authenticator({ keys, log: silentLogger() });

  describe('authenticate', () => {
    it('resolves a Bearer key to its tenant', () => {
      const a = authOk(auth, { authorization: 'Bearer k1' });
      expect(a).toEqual({ tenantId: 't1', trustedGateway: false, admin: false, open: false, keyId: hashApiKey('k1').slice(0, 8) });
    });

    it('accepts the Bearer scheme in any case and with extra spaces', () => {
      expect(authOk(auth, { authorization: '  bearer   k1 ' }).tenantId).toBe('t1');
      expect(authOk(auth, { authorization: 'BEARER gw' }).tenantId).toBe('gw');
    });

    it('resolves an x-api-key to its tenant and flags', () => {
      const a = authOk(auth, { apiKey: 'gw' });
      expect(a.tenantId).toBe('gw');
      expect(a.trustedGateway).toBe(true);
      expect(authOk(auth, { apiKey: 'root' }).admin).toBe(true);
    });

    it('falls back to x-api-key when the authorization header is not Bearer', () => {
      expect(authOk(auth, { authorization: 'Basic Zm9vOmJhcg==', apiKey: 'k1' }).tenantId).toBe('t1');
    });

    it('refuses a missing key with AGT_ERR_UNAUTHENTICATED naming both headers', () => {
      for (const creds of [{}, { authorization: '' }, { apiKey: '   ' }, { authorization: 'Bearer' }]) {
        const r = auth.authenticate(creds);
        expect(r.status).toBe('failed');
        if (r.status !== 'failed') continue;
        expect(r.error.code).toBe('AGT_ERR_UNAUTHENTICATED');
        expect(r.error.message).toMatch(/authorization: Bearer/);
        expect(r.error.message).toMatch(/x-api-key/);
      }
    });

    it('refuses a wrong key, a key hash sent as the key, and a near-miss key', () => {
      for (const creds of [{ authorization: 'Bearer k2' }, { apiKey: hashApiKey('k1') }, { apiKey: 'K1' }, { authorization: 'Basic k1' }]) {
        const r = auth.authenticate(creds);
        expect(r.status === 'failed' && r.error.code).toBe('AGT_ERR_UNAUTHENTICATED');
      }
      const r = auth.authenticate({ apiKey: 'nope' });
      expect(r.status === 'failed' && r.error.message).toBe('unknown API key');
    });

    it('never puts the key itself into the error message', () => {
      const r = auth.authenticate({ authorization: 'Bearer super-secret-value' });
      expect(r.status === 'failed' && r.error.message).not.toContain('super-secret-value');
    });
  });

  describe('open', () => {
    it('is true with no keys and false with keys', () => {
      expect(new Authenticator({ keys: [], log: silentLogger() }).open).toBe(true);
      expect(auth.open).toBe(false);
    });

    it('admits any caller, with or without a key, as the default tenant', () => {
      const open = new Authenticator({ keys: [], log: silentLogger() });
      for (const creds of [{}, { authorization: 'Bearer whatever' }, { apiKey: 'k1' }]) {
        const a = authOk(open, creds);
        expect(a.tenantId).toBe(OPEN_TENANT);
        expect(a.open).toBe(true);
      }
    });
  });

  describe('tenantForResource', () => {
    const tenant = authOk(auth, { apiKey: 'k1' });
    const gateway = authOk(auth, { apiKey: 'gw' });

    it('uses the key tenant when the resource names none', () => {
      expect(auth.tenantForResource(tenant, null)).toEqual(ok('t1'));
      expect(auth.tenantForResource(tenant, '')).toEqual(ok('t1'));
      expect(auth.tenantForResource(gateway, null)).toEqual(ok('gw'));
    });

    it('lets a tenant key name its own tenant', () => {
      expect(auth.tenantForResource(tenant, 't1')).toEqual(ok('t1'));
    });

    it('refuses a tenant key naming another tenant with AGT_ERR_TENANT_FORBIDDEN', () => {
      const r = auth.tenantForResource(tenant, 't2');
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') return;
      expect(r.error.code).toBe('AGT_ERR_TENANT_FORBIDDEN');
      expect(r.error.message).toContain('"t1"');
      expect(r.error.message).toContain('"t2"');
      expect(r.error.message).toContain(tenant.keyId);
    });

    it('refuses an admin key that is not a gateway naming another tenant', () => {
      const admin = authOk(auth, { apiKey: 'root' });
      const r = auth.tenantForResource(admin, 't1');
      expect(r.status === 'failed' && r.error.code).toBe('AGT_ERR_TENANT_FORBIDDEN');
    });

    it('lets a trusted gateway key set any tenant per resource', () => {
      expect(auth.tenantForResource(gateway, 'acme')).toEqual(ok('acme'));
      expect(auth.tenantForResource(gateway, 't1')).toEqual(ok('t1'));
    });

    it('lets open mode take the tenant from the resource', () => {
      const open = new Authenticator({ keys: [], log: silentLogger() });
      const a = authOk(open, {});
      expect(open.tenantForResource(a, 'acme')).toEqual(ok('acme'));
      expect(open.tenantForResource(a, null)).toEqual(ok(OPEN_TENANT));
    });
  });
});
