/** The `decisions` table (schema/012_decisions.sql): kept decisions published by one instance, read by the others. */
import type { ClickHouseClient } from '@clickhouse/client';

/** One kept decision as published. */
export interface SharedDecision {
  tenantId: string;
  sessionId: string;
  sampleWeight: number;
  reasons: string[];
  decidedAtMs: number;
}

/** One row read back: the decision plus the server's insert time (the watermark's clock). */
export interface ReadDecision extends SharedDecision {
  insertedAtMs: number;
}

/** Where a page starts: strictly after this (InsertedAt, TenantId, SessionId). */
export interface PageCursor {
  afterMs: number;
  afterTenantId: string;
  afterSessionId: string;
}

/** Reads and writes the decisions table of `database` for instance `instanceId`. */
export class DecisionsTable {
  constructor(private readonly p: { client: ClickHouseClient; database: string; instanceId: string }) {}

  /** Inserts decisions as one batch; `token` is reused when the same batch is retried (ClickHouse drops the repeat). */
  async publish(rows: readonly SharedDecision[], token: string): Promise<void> {
    await this.p.client.insert({
      table: `${this.p.database}.decisions`,
      values: rows.map((r) => ({ TenantId: r.tenantId, SessionId: r.sessionId, InstanceId: this.p.instanceId, SampleWeight: r.sampleWeight, Reasons: r.reasons, DecidedAt: String(Math.round(r.decidedAtMs)) })),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: token },
    });
  }

  /** Up to `limit` rows of other instances after the cursor and inserted before `untilMs`, in (InsertedAt, TenantId, SessionId) order. */
  async page(cursor: PageCursor, untilMs: number, limit: number): Promise<ReadDecision[]> {
    const rs = await this.p.client.query({
      query: `SELECT TenantId, SessionId, SampleWeight, Reasons, toUnixTimestamp64Milli(DecidedAt) AS DecidedAtMs, toUnixTimestamp64Milli(InsertedAt) AS InsertedAtMs
        FROM ${this.p.database}.decisions
        WHERE InsertedAt >= fromUnixTimestamp64Milli({afterMs:Int64}) AND InsertedAt < fromUnixTimestamp64Milli({untilMs:Int64})
          AND (InsertedAt, TenantId, SessionId) > (fromUnixTimestamp64Milli({afterMs:Int64}), {afterTenantId:String}, {afterSessionId:String})
          AND InstanceId != {me:String}
        ORDER BY InsertedAt, TenantId, SessionId
        LIMIT {limit:UInt32}`,
      query_params: { ...cursor, untilMs, me: this.p.instanceId, limit },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ TenantId: string; SessionId: string; SampleWeight: number; Reasons: string[]; DecidedAtMs: string | number; InsertedAtMs: string | number }>();
    return rows.map((r) => ({
      tenantId: r.TenantId,
      sessionId: r.SessionId,
      sampleWeight: r.SampleWeight,
      reasons: r.Reasons,
      decidedAtMs: Number(r.DecidedAtMs),
      insertedAtMs: Number(r.InsertedAtMs),
    }));
  }

  /** The server's clock, ms (the watermark is kept on it). */
  async serverNowMs(): Promise<number> {
    const rs = await this.p.client.query({ query: 'SELECT toUnixTimestamp64Milli(now64(3)) AS ms', format: 'JSONEachRow' });
    const [row] = await rs.json<{ ms: string | number }>();
    return Number(row?.ms);
  }
}
