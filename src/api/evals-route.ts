/** POST /v1/evals: eval results posted out of band, routed to their session (open or decided) by the sink. */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EvalResult } from '../model/span.js';
import { ERRORS, type ErrorCode } from '../model/errors.js';
import type { Outcome } from '../model/outcome.js';
import type { SpanSink } from '../model/sinks.js';
import { parseQuery } from './read-scope.js';

/** What the route reads from the request to authenticate it (same shape as the OTLP receivers). */
export interface EvalCredentials {
  authorization?: string;
  apiKey?: string;
}

/** Dependencies of the evals route. */
export interface EvalRoutesParams {
  sink: SpanSink;
  authenticate: (credentials: EvalCredentials) => Outcome<{ tenantId: string }>;
  /** Clock for the eval time when the body gives none, ms since the epoch. */
  now?: () => number;
}

const hex = (len: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${len}}$`), `must be ${len} hex characters`).transform((s) => s.toLowerCase());

const evalSchema = z
  .object({
    sessionId: z.string().min(1).max(1024).optional(),
    traceId: hex(32).optional(),
    spanId: hex(16).optional(),
    name: z.string().min(1).max(256),
    score: z.number().finite().nullable().optional(),
    label: z.string().max(1024).nullable().optional(),
    explanation: z.string().max(64 * 1024).nullable().optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.spanId !== undefined && e.traceId === undefined) ctx.addIssue({ code: 'custom', path: ['traceId'], message: 'spanId needs the traceId it belongs to' });
    else if (e.sessionId === undefined && e.traceId === undefined) ctx.addIssue({ code: 'custom', path: ['sessionId'], message: 'a target is required: sessionId, traceId, or traceId + spanId' });
    if ((e.score ?? null) === null && (e.label ?? null) === null) ctx.addIssue({ code: 'custom', path: ['score'], message: 'score or label is required' });
  });

const noQuery = z.object({}).strict();

const MAX_EVALS_PER_REQUEST = 10_000;
const bodySchema = z.union([z.object({ evals: z.array(evalSchema).min(1).max(MAX_EVALS_PER_REQUEST) }).strict(), evalSchema]);

function send(reply: FastifyReply, code: ErrorCode, message: string, retryInMs?: number): FastifyReply {
  if (retryInMs !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryInMs / 1000))));
  return reply.code(ERRORS[code].http).send({ code, message });
}

/** The first zod issue as "evals[2].score: message" (a union reports the branch that got furthest). */
function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return 'invalid body';
  let inner: z.core.$ZodIssue = issue;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Prefer the `{ evals: [...] }` branch when the body has an `evals` field, else the single-object branch.
    const branch = issue.errors.find((b) => b.length > 0 && b[0]!.path[0] === 'evals') ?? issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    inner = branch[0] ?? issue;
  }
  const path = inner.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${path === '' ? 'body' : path}: ${inner.message}`;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Registers POST /v1/evals: JSON `{ evals: [...] }` or one eval object → 200 `{ accepted }`, 400 naming the bad field, 401. */
export function evalRoutes(params: EvalRoutesParams): FastifyPluginAsync {
  const now = params.now ?? Date.now;
  return async (app) => {
    app.post('/v1/evals', async (req, reply) => {
      const credentials: EvalCredentials = {};
      const authorization = header(req.headers.authorization);
      const apiKey = header(req.headers['x-api-key']);
      if (authorization !== undefined) credentials.authorization = authorization;
      if (apiKey !== undefined) credentials.apiKey = apiKey;
      const auth = params.authenticate(credentials);
      if (auth.status !== 'ok') return send(reply, auth.error.code, auth.error.message);

      // The route takes no query parameters: one it does not know is refused, as on the read routes.
      const q = parseQuery(noQuery, req.query ?? {});
      if (q.status !== 'ok') return send(reply, q.error.code, q.error.message);
      const parsed = bodySchema.safeParse(req.body);
      if (!parsed.success) return send(reply, 'AGT_ERR_INVALID_EVAL', `invalid eval: ${describeIssue(parsed.error)}`);
      const items = 'evals' in parsed.data ? parsed.data.evals : [parsed.data];
      const timeUnixNano = BigInt(now()) * 1_000_000n;
      const evals: EvalResult[] = items.map((e) => ({
        name: e.name,
        score: e.score ?? null,
        label: e.label ?? null,
        explanation: e.explanation ?? null,
        target: { sessionId: e.sessionId ?? null, traceId: e.traceId ?? null, spanId: e.spanId ?? null },
        source: 'api',
        timeUnixNano,
      }));
      const out = await params.sink.acceptEvals(auth.value.tenantId, evals);
      if (out.status === 'retryable') return send(reply, out.error.code, out.error.message, out.retryInMs);
      if (out.status === 'failed') return send(reply, out.error.code, out.error.message);
      return reply.code(200).send({ accepted: evals.length });
    });
  };
}

