-- Rows ClickHouse refused with a non-retryable error, parked by the writer (src/store/batch-isolation.ts) so the
-- rest of their batch could be inserted. Row is the refused JSONEachRow line as it was sent: once the cause is
-- fixed it can be inserted again into TargetTable (docs/storage.md, "Dead letters"). Kept 30 days.
CREATE TABLE IF NOT EXISTS {{database}}.dead_letter
(
    ParkedAt DateTime64(3),
    TargetTable LowCardinality(String),
    -- The dedup token of the batch the row came from.
    BatchId String,
    -- The ClickHouse error code of the insert that refused the row ('' when it had none).
    ErrorCode LowCardinality(String),
    Error String CODEC(ZSTD(3)),
    Row String CODEC(ZSTD(3))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ParkedAt)
ORDER BY (TargetTable, ParkedAt)
TTL toDateTime(ParkedAt) + toIntervalDay(30)
SETTINGS non_replicated_deduplication_window = 1000;
