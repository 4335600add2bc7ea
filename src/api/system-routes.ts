/** Health, readiness and Prometheus metrics routes on the HTTP port. */
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  ok: boolean;
  /** Degraded but serving (e.g. ClickHouse down while the WAL holds data). */
  degraded?: boolean;
  detail?: string;
}

export interface SystemRoutesParams {
  registry: Registry;
  /** Named checks evaluated on every /readyz. */
  checks: Record<string, () => ReadinessCheck>;
}

/** GET /healthz (process is up), GET /readyz (every check ok; 503 otherwise), GET /metrics (Prometheus text). */
export function systemRoutes(params: SystemRoutesParams): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const results: Record<string, ReadinessCheck> = {};
      let ready = true;
      let degraded = false;
      for (const [name, check] of Object.entries(params.checks)) {
        const r = check();
        results[name] = r;
        if (!r.ok) ready = false;
        if (r.degraded) degraded = true;
      }
      const status = !ready ? 'unavailable' : degraded ? 'degraded' : 'ok';
      return reply.code(ready ? 200 : 503).send({ status, checks: results });
    });
    app.get('/metrics', async (_req, reply) => {
      const text = await params.registry.metrics();
      return reply.header('content-type', params.registry.contentType).send(text);
    });
  };
}
