/** Session lookup for engineers without Grafana: GET /api/v1/sessions and /api/v1/sessions/:id. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AgtError } from '../model/errors.js';
import type { Authenticator } from '../receive/auth.js';
import { listSessions, sessionsById, spansOfSession, type SessionListFilter } from '../store/read/sessions.js';
import { parseQuery, readScope, timeParam } from './read-scope.js';
import { decodeCursor, nextLink, type SessionCursor } from './session-cursor.js';
import { sendError } from './send-error.js';
import { withCanonicalModel, withCanonicalModels, type CanonicalModel } from './session-models.js';
import { describeReasons, isKnownReason } from './session-reasons.js';
import { periodError } from './strict-time.js';

/** The most rows one page of the list answers. */
const MAX_PAGE_ROWS = 1000;

const listQuery = z.object({
  tenant: z.string().min(1).optional(),
  from: timeParam.default(0),
  to: timeParam.optional(),
  kept: z.enum(['true', 'false']).optional(),
  reason: z.string().refine(isKnownReason, { error: (i) => `${JSON.stringify(i.input)} is not a reason a decision writes; valid: ${describeReasons()}` }).optional(),
  sessionPrefix: z.string().optional(),
  /** Rows per page; follow `next` for more. */
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_ROWS).default(100),
  /** Opaque: from the `next` link of the previous page. */
  cursor: z.string().min(1).optional(),
}).strict();

const oneQuery = z.object({ tenant: z.string().min(1).optional() }).strict();

/** Rows the id look-up reads: more than one means the id exists for several tenants. */
const ID_MATCHES = 10;

interface SpanNode {
  spanId: string;
  parentSpanId: string;
  children: SpanNode[];
  [k: string]: unknown;
}

/** Dependencies of the session routes; `canonicalModel` names each model as costs does (the collector's pricer). */
export interface SessionsRoutesParams {
  client: ClickHouseClient;
  database: string;
  auth: Authenticator;
  canonicalModel: CanonicalModel;
}

export function sessionsRoutes(params: SessionsRoutesParams): FastifyPluginAsync {
  const db = params.database;
  return async (app) => {
    app.get('/api/v1/sessions', async (req, reply) => {
      const q = parseQuery(listQuery, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const from = q.value.from;
      const to = q.value.to ?? Date.now() + 86_400_000;
      const empty = periodError({ from: 'from', to: 'to' }, from, to);
      if (empty !== null) return sendError(reply, empty);
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      let after: SessionListFilter['after'];
      if (q.value.cursor !== undefined) {
        const c = decodeCursor(q.value.cursor);
        if (c.status !== 'ok') return sendError(reply, c.error);
        after = c.value;
      }
      const rows = await listSessions(params.client, db, {
        fromMs: from,
        toMs: to,
        tenant: scope.value.tenant,
        limit: q.value.limit,
        ...(q.value.kept === undefined ? {} : { kept: q.value.kept === 'true' }),
        ...(q.value.reason === undefined ? {} : { reason: q.value.reason }),
        ...(q.value.sessionPrefix === undefined ? {} : { sessionPrefix: q.value.sessionPrefix }),
        ...(after === undefined ? {} : { after }),
      });
      const more = rows.length > q.value.limit;
      const page = rows.slice(0, q.value.limit);
      const last = page.at(-1);
      const cursor: SessionCursor | null = more && last !== undefined ? { startNs: last.cursorStartNs, tenantId: String(last.tenantId), sessionId: String(last.sessionId) } : null;
      const sessions = page.map(({ cursorStartNs: _, ...row }) => withCanonicalModels(row, params.canonicalModel));
      return { mode: scope.value.mode, sessions, next: cursor === null ? null : nextLink('/api/v1/sessions', req.query as Record<string, unknown>, cursor) };
    });

    app.get<{ Params: { id: string } }>('/api/v1/sessions/:id', async (req, reply) => {
      const q = parseQuery(oneQuery, req.query);
      if (q.status !== 'ok') return sendError(reply, q.error);
      const scope = readScope(params.auth, req, q.value.tenant);
      if (scope.status !== 'ok') return sendError(reply, scope.error);
      const rows = await sessionsById(params.client, db, req.params.id, scope.value.tenant, ID_MATCHES);
      if (rows.length === 0) return sendError(reply, new AgtError('AGT_ERR_NOT_FOUND', `no session ${JSON.stringify(req.params.id)}${scope.value.tenant ? ` for tenant "${scope.value.tenant}"` : ''}`));
      // Session ids are unique per tenant only: an admin (or open mode) must say whose session it wants.
      if (rows.length > 1) {
        const tenants = rows.map((r) => String(r.tenantId)).join(', ');
        return sendError(reply, new AgtError('AGT_ERR_BAD_QUERY', `tenant: session ${JSON.stringify(req.params.id)} exists for several tenants (${tenants}${rows.length === ID_MATCHES ? ', …' : ''}); name one with ?tenant=`));
      }
      const session = withCanonicalModels(rows[0]!, params.canonicalModel);
      const spans = await spansOfSession(params.client, db, String(session.tenantId), req.params.id);
      return { ...session, spans: buildTree(spans.map((s) => withCanonicalModel(s, params.canonicalModel))) };
    });
  };
}

/** Nests spans under their parents; spans whose parent was not stored become roots. */
export function buildTree(rows: Record<string, unknown>[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const r of rows) nodes.set(`${String(r.traceId)}/${String(r.spanId)}`, { ...r, spanId: String(r.spanId), parentSpanId: String(r.parentSpanId ?? ''), children: [] });
  const roots: SpanNode[] = [];
  for (const [, n] of nodes) {
    const parent = n.parentSpanId ? nodes.get(`${String(n.traceId)}/${n.parentSpanId}`) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  return roots;
}
