/**
 * The opaque cursor of GET /api/v1/sessions: the sort key of the last row of a page. The list is ordered by
 * (StartTime, TenantId, SessionId) descending, a total order (a session is unique per tenant), so the next page is
 * every row strictly after that key and no row is skipped or repeated while the rows stay as they are.
 */
import { z } from 'zod';
import { AgtError } from '../model/errors.js';
import { failed, ok, type Outcome } from '../model/outcome.js';

/** Where a page ended: the last row's start (ns since the epoch, as text), tenant and session id. */
export interface SessionCursor {
  startNs: string;
  tenantId: string;
  sessionId: string;
}

const CURSOR_VERSION = 1;
const INT64_MAX = 2n ** 63n - 1n;
const cursorSchema = z
  .object({ v: z.literal(CURSOR_VERSION), s: z.string().regex(/^\d{1,19}$/).refine((s) => BigInt(s) <= INT64_MAX), t: z.string(), i: z.string() })
  .strict();

/** The cursor as URL-safe text (base64url of a small JSON object; clients must treat it as opaque). */
export function encodeCursor(c: SessionCursor): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, s: c.startNs, t: c.tenantId, i: c.sessionId }), 'utf8').toString('base64url');
}

/** Parses a cursor this API issued; anything else is AGT_ERR_BAD_QUERY naming the parameter. */
export function decodeCursor(text: string): Outcome<SessionCursor> {
  const bad = failed(new AgtError('AGT_ERR_BAD_QUERY', 'cursor: not a cursor this API issued (take it from the `next` link of the previous page)'));
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return bad;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return bad;
  }
  const r = cursorSchema.safeParse(raw);
  if (!r.success) return bad;
  return ok({ startNs: r.data.s, tenantId: r.data.t, sessionId: r.data.i });
}

/** The `next` link: the same path and query with the cursor replaced. */
export function nextLink(path: string, query: Record<string, unknown>, cursor: SessionCursor): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (k !== 'cursor' && typeof v === 'string') qs.set(k, v);
  qs.set('cursor', encodeCursor(cursor));
  return `${path}?${qs.toString()}`;
}
