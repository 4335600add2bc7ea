-- Cluster variant of schema/00*.sql (generated once from them by hand-checked rewrite; keep in step).
-- Apply with `agenttail migrate --cluster` against a cluster whose servers define the macros
-- {cluster}, {shard} and {replica}. Each table is a Replicated*MergeTree `<name>_local` on every
-- node plus a Distributed `<name>` with the single-node name, so readers and the writer use the
-- same table names on both layouts. Sharding by cityHash64(TenantId, SessionId) puts a whole
-- session (spans, session row, lookups) on one shard, so session reads touch one shard and
-- ReplacingMergeTree FINAL collapses versions locally. usage_hourly has no session key; it is
-- sharded by tenant and read with sum() GROUP BY, which is correct across shards.
-- Replicated tables deduplicate inserts by default (replicated_deduplication_window), so the
-- writer's insert_deduplication_token works without non_replicated_deduplication_window.
CREATE DATABASE IF NOT EXISTS {{database}} ON CLUSTER '{cluster}';

-- ===== from 001_spans.sql =====
-- Kept sessions' spans. Column names and types follow the OpenTelemetry ClickHouse exporter's
-- otel_traces table so Grafana's ClickHouse trace view works with `otelEnabled`; agenttail adds
-- tenant, session, GenAI, token, cost and sampling columns after them.
CREATE TABLE IF NOT EXISTS {{database}}.spans_local ON CLUSTER '{cluster}'
(
    -- Delta then ZSTD: timestamps inside a part are sorted per session, so deltas are small.
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    -- 'SPAN_KIND_INTERNAL' | 'SPAN_KIND_SERVER' | 'SPAN_KIND_CLIENT' | 'SPAN_KIND_PRODUCER' | 'SPAN_KIND_CONSUMER' | 'SPAN_KIND_UNSPECIFIED'
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    -- Nanoseconds; T64 packs the small integers before ZSTD.
    Duration UInt64 CODEC(T64, ZSTD(1)),
    -- 'STATUS_CODE_UNSET' | 'STATUS_CODE_OK' | 'STATUS_CODE_ERROR'
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested
    (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested
    (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),

    TenantId LowCardinality(String) CODEC(ZSTD(1)),
    -- The session id, or the trace id for a trace that carries no session alias.
    SessionId String CODEC(ZSTD(1)),
    GenAiOperation LowCardinality(String) CODEC(ZSTD(1)),
    GenAiProvider LowCardinality(String) CODEC(ZSTD(1)),
    -- Response model when reported, else request model.
    GenAiModel LowCardinality(String) CODEC(ZSTD(1)),
    GenAiAgent LowCardinality(String) CODEC(ZSTD(1)),
    GenAiTool LowCardinality(String) CODEC(ZSTD(1)),
    -- Tokens as reported on the span; InputTokens INCLUDES cache read/write (GenAI semconv).
    -- Only rows with UsageRole = 'call' may be summed: 'aggregate' rows repeat their children's usage.
    InputTokens UInt64 CODEC(T64, ZSTD(1)),
    OutputTokens UInt64 CODEC(T64, ZSTD(1)),
    CacheReadTokens UInt64 CODEC(T64, ZSTD(1)),
    CacheWriteTokens UInt64 CODEC(T64, ZSTD(1)),
    ReasoningTokens UInt64 CODEC(T64, ZSTD(1)),
    UsageRole LowCardinality(String) CODEC(ZSTD(1)),
    -- Decimal, not Float64: sums of decimals are exact, so Σ over any number of rows matches the
    -- sent totals to 1e-9 USD. 12 fractional digits keep per-token prices of cheap models exact.
    -- NULL means unknown (unpriced model), never a silent 0.
    CostUsd Nullable(Decimal(38, 12)) CODEC(ZSTD(1)),
    PriceVersion LowCardinality(String) CODEC(ZSTD(1)),
    -- 1 / keep probability of the session; re-weights counts of kept sessions.
    SampleWeight Float64 CODEC(ZSTD(1)),
    SamplingReasons Array(LowCardinality(String)) CODEC(ZSTD(1)),

    -- Bloom filters: lookups by trace id or session id hit few granules in a day's partition.
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_session_id SessionId TYPE bloom_filter(0.001) GRANULARITY 1,
    -- Attribute filters (Grafana tag search) skip granules without the key/value.
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree
-- Daily partitions: TTL drops whole parts (ttl_only_drop_parts) instead of rewriting them.
PARTITION BY toDate(Timestamp)
-- Tenant first: every read is per tenant. Then the hour, so a tenant's time range is a contiguous
-- slice. Then SessionId: a session lookup gets its hour range from session_ts and reads a few
-- granules per hour. TraceId/Timestamp keep a trace's spans together and ordered.
ORDER BY (TenantId, toStartOfHour(Timestamp), SessionId, TraceId, Timestamp)
-- 30 days of kept spans; sessions/usage rows live longer (they are small).
TTL toDateTime(Timestamp) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS {{database}}.spans ON CLUSTER '{cluster}' AS {{database}}.spans_local
ENGINE = Distributed('{cluster}', '{{database}}', 'spans_local', cityHash64(TenantId, SessionId));

-- ===== from 002_sessions.sql =====
-- One row per session, kept or dropped. A session may be written more than once (late spans,
-- upgrades); each write carries a higher Version and ReplacingMergeTree keeps the last.
-- Readers must use FINAL or argMax(col, Version) GROUP BY TenantId, SessionId (docs/storage.md).
CREATE TABLE IF NOT EXISTS {{database}}.sessions_local ON CLUSTER '{cluster}'
(
    TenantId LowCardinality(String) CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    -- False when the session is a bare trace (no session alias anywhere).
    ExplicitSession Bool,
    StartTime DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    EndTime DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    DurationNs UInt64 CODEC(T64, ZSTD(1)),
    ServiceNames Array(LowCardinality(String)) CODEC(ZSTD(1)),
    AgentNames Array(LowCardinality(String)) CODEC(ZSTD(1)),
    Models Array(LowCardinality(String)) CODEC(ZSTD(1)),
    Providers Array(LowCardinality(String)) CODEC(ZSTD(1)),
    UserId String CODEC(ZSTD(1)),
    TraceIds Array(String) CODEC(ZSTD(1)),
    TraceCount UInt32,
    SpanCount UInt32,
    ErrorCount UInt32,
    -- Ordered tool names of execute_tool spans.
    ToolPath Array(LowCardinality(String)) CODEC(ZSTD(1)),
    -- Sum over the session's `call` spans (InputTokens includes cache read/write).
    InputTokens UInt64,
    OutputTokens UInt64,
    CacheReadTokens UInt64,
    CacheWriteTokens UInt64,
    ReasoningTokens UInt64,
    -- Sum of known span costs; exact decimal (see spans.CostUsd).
    CostUsd Decimal(38, 12),
    UnpricedCalls UInt32,
    MinEvalScore Nullable(Float64),
    Kept Bool,
    Reasons Array(LowCardinality(String)) CODEC(ZSTD(1)),
    SampleWeight Float64,
    -- idle | max_age | max_spans | max_bytes | early:memory | shutdown | upgrade
    DecisionTrigger LowCardinality(String),
    DecidedAt DateTime64(3),
    Version UInt64,
    Bytes UInt64,
    INDEX idx_user UserId TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_start StartTime TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedReplacingMergeTree(Version)
-- No partition key: a late write may move StartTime, and ReplacingMergeTree only collapses rows
-- inside one partition, so partitioning by time could leave two versions forever.
-- (TenantId, SessionId) is the replacing key; it also makes a session lookup a point read.
ORDER BY (TenantId, SessionId)
-- Session rows are small; keep a year for finance reports.
TTL toDateTime(DecidedAt) + toIntervalDay(400)
SETTINGS index_granularity = 8192;

CREATE TABLE IF NOT EXISTS {{database}}.sessions ON CLUSTER '{cluster}' AS {{database}}.sessions_local
ENGINE = Distributed('{cluster}', '{{database}}', 'sessions_local', cityHash64(TenantId, SessionId));

-- ===== from 003_usage_hourly.sql =====
-- Exact usage/cost rollup, every session whatever the sampling decision. Rows are written by the
-- store itself per batch with an insert_deduplication_token (not by a materialized view: an MV
-- re-fires on a retried insert of unknown outcome and drifts). SummingMergeTree adds up rows with
-- the same key at merge time; readers still use sum() ... GROUP BY because merges are lazy.
CREATE TABLE IF NOT EXISTS {{database}}.usage_hourly_local ON CLUSTER '{cluster}'
(
    TenantId LowCardinality(String),
    Hour DateTime,
    ServiceName LowCardinality(String),
    AgentName LowCardinality(String),
    Provider LowCardinality(String),
    Model LowCardinality(String),
    -- Model-call spans (UsageRole = 'call') counted; aggregates are never counted.
    Calls UInt64,
    InputTokens UInt64,
    OutputTokens UInt64,
    CacheReadTokens UInt64,
    CacheWriteTokens UInt64,
    ReasoningTokens UInt64,
    -- Exact decimal sum of known costs.
    CostUsd Decimal(38, 12),
    UnpricedCalls UInt64,
    -- Each session is counted once: in the row (hour, service, agent, provider, model) of its
    -- earliest call span in its first write (docs/storage.md). Σ Sessions over a time range is the
    -- exact count of sessions whose first call falls in it.
    Sessions UInt64
)
ENGINE = ReplicatedSummingMergeTree
PARTITION BY toYYYYMM(Hour)
ORDER BY (TenantId, Hour, ServiceName, AgentName, Provider, Model)
TTL Hour + toIntervalDay(800);

CREATE TABLE IF NOT EXISTS {{database}}.usage_hourly ON CLUSTER '{cluster}' AS {{database}}.usage_hourly_local
ENGINE = Distributed('{cluster}', '{{database}}', 'usage_hourly_local', cityHash64(TenantId));

-- ===== from 004_evals.sql =====
-- Every eval result, whatever the sampling decision, with what it targets.
CREATE TABLE IF NOT EXISTS {{database}}.evals_local ON CLUSTER '{cluster}'
(
    TenantId LowCardinality(String),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    -- Targets: at least one is non-empty.
    SessionId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Name LowCardinality(String),
    Score Nullable(Float64),
    Label LowCardinality(String),
    Explanation String CODEC(ZSTD(3)),
    -- event | attribute | evaluator-span | api
    Source LowCardinality(String),
    INDEX idx_session_id SessionId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (TenantId, Name, toStartOfHour(Timestamp), SessionId)
TTL toDateTime(Timestamp) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS {{database}}.evals ON CLUSTER '{cluster}' AS {{database}}.evals_local
ENGINE = Distributed('{cluster}', '{{database}}', 'evals_local', cityHash64(TenantId, SessionId));

-- ===== from 005_lookups.sql =====
-- Lookups from an id to its time range, so a read of a session or trace from `spans` can bound
-- Timestamp (and so the partitions and the hour slice of the sort key) before filtering on the id.
-- Written by the store with the spans of the same batch; read with min(Start) / max(End) GROUP BY id
-- (AggregatingMergeTree-free on purpose: plain rows + min/max are retry-safe with dedup tokens).
CREATE TABLE IF NOT EXISTS {{database}}.session_ts_local ON CLUSTER '{cluster}'
(
    TenantId LowCardinality(String),
    SessionId String CODEC(ZSTD(1)),
    Start DateTime64(9),
    End DateTime64(9)
)
ENGINE = ReplicatedReplacingMergeTree
PARTITION BY toYYYYMM(Start)
ORDER BY (TenantId, SessionId, Start)
TTL toDateTime(Start) + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS {{database}}.session_ts ON CLUSTER '{cluster}' AS {{database}}.session_ts_local
ENGINE = Distributed('{cluster}', '{{database}}', 'session_ts_local', cityHash64(TenantId, SessionId));

CREATE TABLE IF NOT EXISTS {{database}}.trace_ts_local ON CLUSTER '{cluster}'
(
    TenantId LowCardinality(String),
    TraceId String CODEC(ZSTD(1)),
    Start DateTime64(9),
    End DateTime64(9)
)
ENGINE = ReplicatedReplacingMergeTree
PARTITION BY toYYYYMM(Start)
ORDER BY (TenantId, TraceId, Start)
TTL toDateTime(Start) + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS {{database}}.trace_ts ON CLUSTER '{cluster}' AS {{database}}.trace_ts_local
ENGINE = Distributed('{cluster}', '{{database}}', 'trace_ts_local', cityHash64(TenantId, TraceId));
