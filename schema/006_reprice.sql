-- Re-pricing (`agenttail reprice`, docs/storage.md "Re-pricing"): corrections to usage_hourly are
-- extra rows of the same key whose CostUsd and UnpricedCalls are deltas. A call that was unpriced
-- and is now priced takes UnpricedCalls down, so the column becomes signed (sums stay exact).
ALTER TABLE {{database}}.usage_hourly MODIFY COLUMN UnpricedCalls Int64;

-- Calls whose cost the client reported (it wins over the catalog at ingest). A row holding any is
-- left alone by reprice: the catalog must not overwrite a cost the provider or gateway reported.
ALTER TABLE {{database}}.usage_hourly ADD COLUMN IF NOT EXISTS ReportedCalls UInt64 AFTER UnpricedCalls;

-- One row per reprice run that wrote (dry runs are not recorded): which period and tenant were
-- re-priced, with which catalog version, how many rollup rows changed and the cost before/after.
CREATE TABLE IF NOT EXISTS {{database}}.reprice_runs
(
    RunId String,
    StartedAt DateTime64(3),
    FinishedAt DateTime64(3),
    PeriodFrom DateTime64(3),
    PeriodTo DateTime64(3),
    -- '' when every tenant was re-priced.
    TenantId LowCardinality(String),
    -- The price catalog's version, with '+overrides' when config overrides were in force.
    CatalogVersion LowCardinality(String),
    RowsExamined UInt64,
    RowsChanged UInt64,
    -- Rows left as they were: model not in the catalog, or costs reported by the client.
    RowsUnknownModel UInt64,
    RowsReportedCost UInt64,
    CostBeforeUsd Decimal(38, 12),
    CostAfterUsd Decimal(38, 12)
)
ENGINE = MergeTree
ORDER BY (StartedAt, RunId)
SETTINGS non_replicated_deduplication_window = 1000;
