-- Detectors (src/sampling/detectors/, docs/sampling.md "Detectors"): which fired on a session and their figures,
-- on every session row (kept or dropped); a kept span blamed by a detector carries the detector in DetectorFlags.
-- Figures are 0 / empty unless their detector fired, except Refusals / RefusalsByProvider / BackoffSeconds, which
-- count every provider refusal seen, storm or not.
ALTER TABLE {{database}}.sessions
    ADD COLUMN IF NOT EXISTS Detectors Array(LowCardinality(String)) CODEC(ZSTD(1)),
    -- tool_loop: repeats of the looping call or cycle.
    ADD COLUMN IF NOT EXISTS LoopLength UInt32,
    -- Provider refusals (HTTP 429/408/5xx, rate-limit/overload/timeout errors) on model calls and their requests.
    ADD COLUMN IF NOT EXISTS Refusals UInt32,
    ADD COLUMN IF NOT EXISTS RefusalsByProvider Map(LowCardinality(String), UInt32) CODEC(ZSTD(1)),
    -- Seconds from the first refusal to the end of the first successful attempt after it.
    ADD COLUMN IF NOT EXISTS BackoffSeconds Float64,
    -- duplicate_tool_call: tool call ids executed more than once.
    ADD COLUMN IF NOT EXISTS DuplicateToolCallIds Array(String) CODEC(ZSTD(1)),
    -- runaway: model and tool calls of the session, and the largest call input over the first call's.
    ADD COLUMN IF NOT EXISTS RunawayModelCalls UInt32,
    ADD COLUMN IF NOT EXISTS RunawayToolCalls UInt32,
    ADD COLUMN IF NOT EXISTS ContextGrowth Float64,
    -- cache_collapse: tokens that would have been read from the cache; their extra cost at catalog prices.
    ADD COLUMN IF NOT EXISTS CacheMissedTokens UInt64,
    ADD COLUMN IF NOT EXISTS CacheCollapseExtraUsd Decimal(38, 12),
    -- cache_churn: what the cache writes cost above plain input at catalog prices.
    ADD COLUMN IF NOT EXISTS CacheChurnExtraUsd Decimal(38, 12),
    -- Error spans the errors policy did not count: refusals the client retried successfully.
    ADD COLUMN IF NOT EXISTS ExcusedErrors UInt32;

-- The detectors that blame this span (the repeated call, the refused request, the first call after a collapse).
ALTER TABLE {{database}}.spans ADD COLUMN IF NOT EXISTS DetectorFlags Array(LowCardinality(String)) CODEC(ZSTD(1));
