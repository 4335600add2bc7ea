-- Lookups from an id to its time range, so a read of a session or trace from `spans` can bound
-- Timestamp (and so the partitions and the hour slice of the sort key) before filtering on the id.
-- Written by the store with the spans of the same batch; read with min(Start) / max(End) GROUP BY id
-- (AggregatingMergeTree-free on purpose: plain rows + min/max are retry-safe with dedup tokens).
CREATE TABLE IF NOT EXISTS {{database}}.session_ts
(
    TenantId LowCardinality(String),
    SessionId String CODEC(ZSTD(1)),
    Start DateTime64(9),
    End DateTime64(9)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(Start)
ORDER BY (TenantId, SessionId, Start)
TTL toDateTime(Start) + toIntervalDay(30)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {{database}}.trace_ts
(
    TenantId LowCardinality(String),
    TraceId String CODEC(ZSTD(1)),
    Start DateTime64(9),
    End DateTime64(9)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(Start)
ORDER BY (TenantId, TraceId, Start)
TTL toDateTime(Start) + toIntervalDay(30)
SETTINGS non_replicated_deduplication_window = 1000;
