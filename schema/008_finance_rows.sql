-- Finance rows (issue 19, docs/storage.md "usage_hourly since migration 008").
--
-- usage_hourly.Model is the catalog's canonical model from now on (gpt-4o-mini-2024-07-18 → gpt-4o-mini);
-- RawModel keeps the name as the call reported it (response model, else request model). RawModel must be
-- part of the sorting key: SummingMergeTree folds rows with equal keys and keeps one arbitrary value of any
-- other String column, which would mix raw names. ClickHouse allows adding a column to the END of the sorting
-- key in the ALTER that creates it (the primary key, a prefix, stays as it is), without a new table or a copy.
-- Rows written before this migration get RawModel = '' (not recorded) and keep the model name they were written
-- with in Model. A default expression (DEFAULT Model) is not allowed for a new key column.
--
-- ModelSessions: each session once per canonical model it called (Sessions stays once per session).
-- UsageIncompleteCalls: calls priced without a cache part their price has (the client did not report it).
-- CacheUnreportedInputTokens: input tokens of those calls that lacked the cache-read part and were long enough
-- to be cached (≥ 1,024 tokens): what the overstatement bound is computed from, so reprice can recompute it.
-- CostOverstatedUpToUsd: Σ of the per-call bound: CostUsd may overstate the true cost by at most this much.
ALTER TABLE {{database}}.usage_hourly
    ADD COLUMN IF NOT EXISTS RawModel LowCardinality(String) AFTER Model,
    ADD COLUMN IF NOT EXISTS ModelSessions UInt64 AFTER Sessions,
    ADD COLUMN IF NOT EXISTS UsageIncompleteCalls UInt64 AFTER ModelSessions,
    ADD COLUMN IF NOT EXISTS CacheUnreportedInputTokens UInt64 AFTER UsageIncompleteCalls,
    ADD COLUMN IF NOT EXISTS CostOverstatedUpToUsd Decimal(38, 12) AFTER CacheUnreportedInputTokens,
    -- Region and Endpoint (the provider columns, docs/providers.md; migration 010 adds the rest) join the key in this
    -- same ALTER: a sorting key may only be extended by columns the ALTER itself adds, and one key change per table
    -- keeps every statement safe to apply again (a second, longer key change would make this one fail on a re-run).
    -- Rows written before this migration read as Region = '' and Endpoint = ''.
    ADD COLUMN IF NOT EXISTS Region LowCardinality(String) AFTER RawModel,
    ADD COLUMN IF NOT EXISTS Endpoint LowCardinality(String) AFTER Region,
    MODIFY ORDER BY (TenantId, Hour, ServiceName, AgentName, Provider, Model, RawModel, Region, Endpoint);

-- Per session: how many of its calls had incomplete usage, and the bound on its CostUsd.
ALTER TABLE {{database}}.sessions
    ADD COLUMN IF NOT EXISTS UsageIncompleteCalls UInt32 AFTER UnpricedCalls,
    ADD COLUMN IF NOT EXISTS CostOverstatedUpToUsd Decimal(38, 12) AFTER UsageIncompleteCalls;

-- Per kept call: which cache parts it did not report ('' = complete): cache_read, cache_write, cache_read+cache_write.
ALTER TABLE {{database}}.spans
    ADD COLUMN IF NOT EXISTS UsageIncomplete LowCardinality(String) AFTER UsageRole;
