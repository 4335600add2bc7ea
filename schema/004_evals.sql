-- Every eval result, whatever the sampling decision, with what it targets.
CREATE TABLE IF NOT EXISTS {{database}}.evals
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (TenantId, Name, toStartOfHour(Timestamp), SessionId)
TTL toDateTime(Timestamp) + toIntervalDay(400)
SETTINGS non_replicated_deduplication_window = 1000;
