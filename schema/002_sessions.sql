-- One row per session, kept or dropped. A session may be written more than once (late spans,
-- upgrades); each write carries a higher Version and ReplacingMergeTree keeps the last.
-- Readers must use FINAL or argMax(col, Version) GROUP BY TenantId, SessionId (docs/storage.md).
CREATE TABLE IF NOT EXISTS {{database}}.sessions
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
ENGINE = ReplacingMergeTree(Version)
-- No partition key: a late write may move StartTime, and ReplacingMergeTree only collapses rows
-- inside one partition, so partitioning by time could leave two versions forever.
-- (TenantId, SessionId) is the replacing key; it also makes a session lookup a point read.
ORDER BY (TenantId, SessionId)
-- Session rows are small; keep a year for finance reports.
TTL toDateTime(DecidedAt) + toIntervalDay(400)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
