/**
 * Reads stored sessions back for warm start (src/sampling/warm-start.ts): which tenant + agent keys were seen in a
 * window, and the most recent sessions of chosen keys. Bounded queries only: keys by LIMIT, rows by LIMIT BY + LIMIT.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** A tenant + agent set seen in the sessions table. */
export interface StoredKey {
  tenantId: string;
  agentNames: string[];
}

/** What warm start needs of one stored session (its last version). */
export interface StoredSession {
  tenantId: string;
  sessionId: string;
  agentNames: string[];
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  durationNs: bigint;
  toolPath: string[];
  traceIds: string[];
  reasons: string[];
  decidedAtMs: number;
}

/** Keys per query of sessions(): the key list travels as query parameters. */
const KEYS_PER_QUERY = 500;

/** Reads the `sessions` table of `database`. */
export class HistoryReader {
  constructor(private readonly p: { client: ClickHouseClient; database: string }) {}

  /** The `maxKeys` keys seen most recently among sessions started at or after `sinceMs`. */
  async keys(sinceMs: number, maxKeys: number): Promise<StoredKey[]> {
    const rs = await this.p.client.query({
      query: `SELECT TenantId, AgentNames FROM ${this.p.database}.sessions
        WHERE StartTime >= fromUnixTimestamp64Milli({sinceMs:Int64})
        GROUP BY TenantId, AgentNames ORDER BY max(StartTime) DESC LIMIT {maxKeys:UInt32}`,
      query_params: { sinceMs, maxKeys },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ TenantId: string; AgentNames: string[] }>()).map((r) => ({ tenantId: r.TenantId, agentNames: r.AgentNames }));
  }

  /**
   * The last version of up to `perKey` most recent sessions of each key (started at or after `sinceMs`), at most
   * `maxRows` in all, oldest decision first (the order the sketches learn in; ties by session id).
   */
  async sessions(keys: readonly StoredKey[], sinceMs: number, perKey: number, maxRows: number): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    for (let i = 0; i < keys.length && out.length < maxRows; i += KEYS_PER_QUERY) {
      const chunk = keys.slice(i, i + KEYS_PER_QUERY);
      const rs = await this.p.client.query({
        query: `SELECT TenantId, SessionId, AgentNames, toString(CostUsd) AS CostUsd, InputTokens, OutputTokens, DurationNs, ToolPath, TraceIds,
            Reasons, toUnixTimestamp64Milli(DecidedAt) AS DecidedAtMs
          FROM ${this.p.database}.sessions FINAL
          WHERE StartTime >= fromUnixTimestamp64Milli({sinceMs:Int64})
            AND has(arrayZip({tenants:Array(String)}, {agents:Array(Array(String))}), (TenantId, AgentNames))
          ORDER BY DecidedAt DESC
          LIMIT {perKey:UInt32} BY TenantId, AgentNames
          LIMIT {limit:UInt32}`,
        query_params: { sinceMs, perKey, limit: maxRows - out.length, tenants: chunk.map((k) => k.tenantId), agents: chunk.map((k) => k.agentNames) },
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<SessionRowJson>()) out.push(fromRow(r));
    }
    return out.sort((a, b) => a.decidedAtMs - b.decidedAtMs || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  }
}

/** A row as JSONEachRow sends it (64-bit integers and decimals quoted). */
interface SessionRowJson {
  TenantId: string;
  SessionId: string;
  AgentNames: string[];
  CostUsd: string;
  InputTokens: string | number;
  OutputTokens: string | number;
  DurationNs: string | number;
  ToolPath: string[];
  TraceIds: string[];
  Reasons: string[];
  DecidedAtMs: string | number;
}

function fromRow(r: SessionRowJson): StoredSession {
  return {
    tenantId: r.TenantId,
    sessionId: r.SessionId,
    agentNames: r.AgentNames,
    costUsd: Number(r.CostUsd),
    inputTokens: Number(r.InputTokens),
    outputTokens: Number(r.OutputTokens),
    durationNs: BigInt(r.DurationNs),
    toolPath: r.ToolPath,
    traceIds: r.TraceIds,
    reasons: r.Reasons,
    decidedAtMs: Number(r.DecidedAtMs),
  };
}
