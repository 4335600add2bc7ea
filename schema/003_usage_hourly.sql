-- Exact usage/cost rollup, every session whatever the sampling decision. Rows are written by the
-- store itself per batch with an insert_deduplication_token (not by a materialized view: an MV
-- re-fires on a retried insert of unknown outcome and drifts). SummingMergeTree adds up rows with
-- the same key at merge time; readers still use sum() ... GROUP BY because merges are lazy.
CREATE TABLE IF NOT EXISTS {{database}}.usage_hourly
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
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(Hour)
ORDER BY (TenantId, Hour, ServiceName, AgentName, Provider, Model)
TTL Hour + toIntervalDay(800)
SETTINGS non_replicated_deduplication_window = 1000;
