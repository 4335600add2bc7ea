/**
 * The redaction stage: between receive (auth, quotas, admission) and decoding, so the request that is decoded,
 * logged to the write-ahead log, buffered, stored and replayed on recovery is the redacted one. Off, it is a null
 * object that hands the body back untouched.
 */
import { createHmac } from 'node:crypto';
import type { RedactionConfig } from '../config/redaction.js';
import { AgtError } from '../model/errors.js';
import { ok, failed } from '../model/outcome.js';
import type { Authenticator } from '../receive/auth.js';
import type { SignalName } from '../receive/signal-route.js';
import type { RedactionMetrics } from './metrics.js';
import { JSON_LOGS, JSON_METRICS, JSON_TRACES, rewriteJson, type JsonSignal } from './json-rewrite.js';
import { ProtoRewriter } from './proto-rewrite.js';
import { RedactionPass } from './redaction-pass.js';
import { RuleSet } from './rule-set.js';
import type { RequestRedactor } from '../receive/redactor.js';



/** Each signal's OTLP/JSON envelope and items. */
const JSON_SIGNALS: Readonly<Record<SignalName, JsonSignal>> = { traces: JSON_TRACES, logs: JSON_LOGS, metrics: JSON_METRICS };

/** Tenants whose derived HMAC keys are cached; past this the cache starts over (open mode lets clients name tenants). */
const MAX_CACHED_TENANT_KEYS = 10_000;

/** Parameters of Redactor. */
export interface RedactorParams {
  config: RedactionConfig;
  /** True for attributes redaction must leave alone (protected-keys.ts, with the configured reads). */
  isProtected: (key: string) => boolean;
  auth: Authenticator;
  metrics: RedactionMetrics;
  /** Where `hashSecretEnv` variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Built once at start from `redaction`: rule sets per configured tenant, secrets resolved, the counter registered. */
export class Redactor {
  private readonly global: RuleSet;
  private readonly tenants = new Map<string, RuleSet>();
  private readonly globalSecret: Buffer | null;
  private readonly tenantSecrets = new Map<string, Buffer>();
  private readonly derivedKeys = new Map<string, Buffer>();

  constructor(private readonly p: RedactorParams) {
    const c = p.config;
    const env = p.env ?? process.env;
    this.global = new RuleSet({ builtins: c.builtins, rules: c.rules, isProtected: p.isProtected });
    this.globalSecret = secretOf(c, 'redaction', env);
    for (const [tenant, tc] of Object.entries(c.tenants)) {
      this.tenants.set(tenant, new RuleSet({ builtins: c.builtins, rules: [...c.rules, ...tc.rules], isProtected: p.isProtected }));
      const own = secretOf(tc, `redaction.tenants.${tenant}`, env);
      if (own !== null) this.tenantSecrets.set(tenant, own);
      else if (this.globalSecret === null && this.tenants.get(tenant)!.hashes) {
        throw new AgtError('AGT_ERR_CONFIG_INVALID', `config is invalid:\n  redaction.tenants.${tenant}: hash rules need a secret: set hashSecret or hashSecretEnv here or in redaction`);
      }
    }
    if (this.global.hashes && this.globalSecret === null) {
      throw new AgtError('AGT_ERR_CONFIG_INVALID', 'config is invalid:\n  redaction: hash rules need a secret: set redaction.hashSecret or redaction.hashSecretEnv');
    }
  }

  /** The redactor of one signal's requests. */
  forSignal(signal: SignalName): RequestRedactor {
    return {
      redact: (body, format, principal) => {
        const passes = new Map<string, RedactionPass>();
        const passFor = (claim: string | null): RedactionPass => {
          const t = this.p.auth.tenantForResource(principal, claim);
          // A forbidden claim fails the request at resolve; until then redact it as the principal's.
          const tenant = t.status === 'ok' ? t.value : principal.tenantId;
          let pass = passes.get(tenant);
          if (pass === undefined) passes.set(tenant, (pass = this.pass(tenant)));
          return pass;
        };
        let out: Uint8Array | null;
        try {
          if (format === 'json') out = rewriteJson(body, JSON_SIGNALS[signal], passFor);
          else {
            const w = new ProtoRewriter(body);
            out = signal === 'traces' ? w.traces(passFor) : signal === 'logs' ? w.logs(passFor) : w.metrics(passFor);
          }
        } catch (err) {
          if (err instanceof AgtError) return failed(err);
          throw err;
        }
        for (const [tenant, pass] of passes) for (const [rule, n] of pass.counts) this.p.metrics.redactions.inc({ rule, tenant, signal }, n);
        return ok(out ?? body);
      },
    };
  }

  /** A fresh pass under a tenant's rules and key. */
  private pass(tenant: string): RedactionPass {
    const rules = this.tenants.get(tenant) ?? this.global;
    return new RedactionPass(rules, rules.hashes ? this.keyOf(tenant) : null);
  }

  /** The tenant's own secret, else one derived from the global secret and the tenant id (so tenants never share tokens). */
  private keyOf(tenant: string): Buffer {
    const own = this.tenantSecrets.get(tenant);
    if (own !== undefined) return own;
    let key = this.derivedKeys.get(tenant);
    if (key === undefined) {
      // Checked at construction: a tenant that hashes has its own secret or the global one.
      key = createHmac('sha256', this.globalSecret!).update(`agenttail/redaction/tenant/${tenant}`).digest();
      if (this.derivedKeys.size >= MAX_CACHED_TENANT_KEYS) this.derivedKeys.clear();
      this.derivedKeys.set(tenant, key);
    }
    return key;
  }
}

/** A section's secret: inline, else from the named environment variable; null when neither is set. */
function secretOf(c: { hashSecret?: string | undefined; hashSecretEnv?: string | undefined }, where: string, env: NodeJS.ProcessEnv): Buffer | null {
  if (c.hashSecret !== undefined) return Buffer.from(c.hashSecret, 'utf8');
  if (c.hashSecretEnv === undefined) return null;
  const v = env[c.hashSecretEnv];
  if (v === undefined || v.length < 16) {
    // Names the variable, never its value.
    throw new AgtError('AGT_ERR_CONFIG_INVALID', `config is invalid:\n  ${where}.hashSecretEnv: environment variable ${c.hashSecretEnv} is ${v === undefined ? 'not set' : 'shorter than 16 characters'}`);
  }
  return Buffer.from(v, 'utf8');
}
