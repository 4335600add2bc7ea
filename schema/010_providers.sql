-- Providers (docs/providers.md): where each call went and how the provider treated it.

-- Per-call provider facts on kept spans. Region: 'unknown' when nothing located the call, '' on spans that made
-- no provider call; RegionSource says which row of the region table decided (attribute/config/host/resource/none).
-- TtftMs: time to first token as the client reported it (NULL when it did not). Refusal: rate_limited / overloaded /
-- server_error when the provider turned the call (or this HTTP attempt) away. RetryAfterMs: the retry-after sent.
ALTER TABLE {{database}}.spans
    ADD COLUMN IF NOT EXISTS ServerAddress LowCardinality(String) AFTER ReasoningTokens,
    ADD COLUMN IF NOT EXISTS ServerPort UInt16 AFTER ServerAddress,
    ADD COLUMN IF NOT EXISTS Region LowCardinality(String) AFTER ServerPort,
    ADD COLUMN IF NOT EXISTS RegionSource LowCardinality(String) AFTER Region,
    ADD COLUMN IF NOT EXISTS TtftMs Nullable(Float64) AFTER RegionSource,
    ADD COLUMN IF NOT EXISTS Refusal LowCardinality(String) AFTER TtftMs,
    ADD COLUMN IF NOT EXISTS RetryAfterMs Nullable(UInt32) AFTER Refusal;

-- Cost by region and endpoint, exact, dropped sessions included: usage_hourly's Region and Endpoint columns join its
-- SummingMergeTree key in migration 008, in the one ALTER that extends that key (see there for why).

-- Throttling and time to first token per tenant, minute, provider, model and region, every session whatever the
-- sampling decision (written by the store per batch like usage_hourly, with its dedup token). Calls: model calls;
-- Attempts: their HTTP attempts (1 per call without HTTP children); Refusals split by kind; tokens are the load
-- in flight that minute. TTFT: count and sum (µs) of the calls that reported one, so the mean is exact.
CREATE TABLE IF NOT EXISTS {{database}}.provider_minutely
(
    TenantId LowCardinality(String),
    Minute DateTime,
    Provider LowCardinality(String),
    Model LowCardinality(String),
    Region LowCardinality(String),
    Calls UInt64,
    Attempts UInt64,
    Refusals UInt64,
    RateLimited UInt64,
    Overloaded UInt64,
    ServerErrors UInt64,
    RetryAfterCount UInt64,
    RetryAfterSumMs UInt64,
    InputTokens UInt64,
    OutputTokens UInt64,
    TtftCount UInt64,
    TtftSumUs UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(Minute)
ORDER BY (TenantId, Minute, Provider, Model, Region)
TTL Minute + toIntervalDay(90)
SETTINGS non_replicated_deduplication_window = 1000;
