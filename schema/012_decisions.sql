-- Kept decisions shared between instances (src/shared/): every instance that keeps a session writes one row here,
-- and every other instance reads the rows newer than its watermark, in InsertedAt order, a page at a time.
-- A session split across instances is then kept by all of them (docs/sampling.md "Shared decisions").
-- Rows are only read for a short while (minutes); a day of TTL bounds the table.
CREATE TABLE IF NOT EXISTS {{database}}.decisions
(
    TenantId LowCardinality(String) CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    -- The instance that kept the session (config shared.instanceId); readers skip their own rows.
    InstanceId LowCardinality(String) CODEC(ZSTD(1)),
    SampleWeight Float64,
    Reasons Array(LowCardinality(String)) CODEC(ZSTD(1)),
    DecidedAt DateTime64(3),
    -- Set by the server at insert: the readers' watermark, on one clock whatever the instances' clocks say.
    InsertedAt DateTime64(3) DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (InsertedAt, TenantId, SessionId)
TTL toDateTime(InsertedAt) + toIntervalDay(1)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;
