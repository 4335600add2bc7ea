-- Kept sessions' spans. Column names and types follow the OpenTelemetry ClickHouse exporter's
-- otel_traces table so Grafana's ClickHouse trace view works with `otelEnabled`; agenttail adds
-- tenant, session, GenAI, token, cost and sampling columns after them.
CREATE TABLE IF NOT EXISTS {{database}}.spans
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
ENGINE = MergeTree
-- Daily partitions: TTL drops whole parts (ttl_only_drop_parts) instead of rewriting them.
PARTITION BY toDate(Timestamp)
-- Tenant first: every read is per tenant. Then the hour, so a tenant's time range is a contiguous
-- slice. Then SessionId: a session lookup gets its hour range from session_ts and reads a few
-- granules per hour. TraceId/Timestamp keep a trace's spans together and ordered.
ORDER BY (TenantId, toStartOfHour(Timestamp), SessionId, TraceId, Timestamp)
-- 30 days of kept spans; sessions/usage rows live longer (they are small).
TTL toDateTime(Timestamp) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
