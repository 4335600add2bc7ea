import { describe, expect, it } from 'vitest';
import { endpointOf } from '../../src/conventions/provider-call.js';
import { addCostUnits, costUnits, smallCostUnits, unitsCell, unitSum, unitSumUnits } from '../../src/store/cell-format.js';
import { ProviderRollup } from '../../src/store/provider-rollup.js';
import { rollupModel, UsageRollup } from '../../src/store/usage-rollup.js';
import { spanModel } from '../../src/store/span-row.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import type { SessionWrite } from '../../src/model/session.js';
import { callSpan, randomSession, seeded } from '../integration/store-fixtures.js';

const BASE = 1_763_800_000_000_000_000n;
const HOUR = 3_600_000_000_000n;
const MINUTE = 60_000_000_000n;
/** Names that a separator-joined key would confuse (':' and digits next to lengths, NUL, empty, non-ASCII). */
const NAMES = ['', 'a', '1:a', '1', 'a\u0000b', 'a\u0000', '\u0000b', ':', 'é🙂', '12:'];

/** Calls spread over many rows (more than a rollup compares before building a key), in a shuffled order. */
function tangledWrites(seed: number, writes: number): SessionWrite[] {
  const rand = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: SessionWrite[] = [];
  for (let w = 0; w < writes; w++) {
    const s = randomSession({ tenantId: pick(NAMES), rand, kept: false, baseNs: BASE });
    const spans: NormalizedSpan[] = [];
    for (let i = 0; i < 12; i++) {
      const startNs = BASE + BigInt(Math.floor(rand() * 4)) * HOUR + BigInt(Math.floor(rand() * 3)) * MINUTE - 1n + BigInt(Math.floor(rand() * 3));
      const usage = { inputTokens: Math.floor(rand() * 900), outputTokens: Math.floor(rand() * 90), cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
      const costUsd = rand() < 0.1 ? null : rand() * 0.05;
      const c = callSpan({ tenantId: rand() < 0.8 ? s.write.summary.tenantId : pick(NAMES), traceId: 'a'.repeat(32), parentSpanId: '', startNs, usage, costUsd, rand, model: pick(NAMES), region: pick(NAMES) });
      c.serviceName = pick(NAMES);
      c.genai = { ...c.genai, provider: rand() < 0.2 ? null : pick(NAMES), agentName: rand() < 0.3 ? null : pick(NAMES), responseModel: rand() < 0.3 ? pick(NAMES) : null };
      if (rand() < 0.3) c.cost = { ...c.cost, catalogModel: pick(NAMES) };
      if (rand() < 0.2 && costUsd !== null) c.cost = { ...c.cost, usageIncomplete: 'cache_read', overstatedUpToUsd: rand() * 0.01, cacheUnreportedInputTokens: 7 };
      c.call = { ...c.call, serverAddress: pick(['', 'api.openai.com', '1:a']), serverPort: pick([0, 443, 8443]) };
      spans.push(c);
    }
    out.push({ ...s.write, spans, version: rand() < 0.5 ? 1 : 2 });
  }
  return out;
}

/** usage_hourly as a plain JSON-keyed grouping (the rollup's definition, without its shortcuts). */
function usageReference(writes: readonly SessionWrite[]): unknown[] {
  const rows = new Map<string, { key: unknown[]; calls: number; input: number; cost: bigint; unpriced: number; overstated: bigint; sessions: number }>();
  for (const w of writes) {
    const loneAgent = w.summary.agentNames.length === 1 ? w.summary.agentNames[0]! : '';
    let first: { row: { sessions: number }; start: bigint } | null = null;
    for (const s of w.spans) {
      if (s.usageRole !== 'call') continue;
      const hourS = Number((s.startTimeUnixNano / HOUR) * 3600n);
      const key = [s.tenantId, hourS, s.serviceName, s.genai.agentName ?? loneAgent, s.genai.provider ?? '', rollupModel(s), spanModel(s), s.call.region, endpointOf(s.call)];
      const k = JSON.stringify(key);
      const row = rows.get(k) ?? { key, calls: 0, input: 0, cost: 0n, unpriced: 0, overstated: 0n, sessions: 0 };
      rows.set(k, row);
      row.calls += 1;
      row.input += s.usage?.inputTokens ?? 0;
      if (s.cost.costUsd === null) row.unpriced += 1;
      else row.cost += costUnits(s.cost.costUsd);
      if (s.cost.usageIncomplete !== undefined) row.overstated += costUnits(s.cost.overstatedUpToUsd ?? 0);
      if (first === null || s.startTimeUnixNano < first.start) first = { row, start: s.startTimeUnixNano };
    }
    if (first !== null && w.version <= 1) first.row.sessions += 1;
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => [...r.key, r.calls, r.input, unitsCell(r.cost), r.unpriced, unitsCell(r.overstated), r.sessions]);
}

/** provider_minutely's calls as a plain JSON-keyed grouping (writes without HTTP attempts). */
function providerReference(writes: readonly SessionWrite[]): unknown[] {
  const rows = new Map<string, { key: unknown[]; calls: number; input: number }>();
  for (const w of writes) {
    for (const s of w.spans) {
      const key = [s.tenantId, Number((s.startTimeUnixNano / MINUTE) * 60n), s.genai.provider ?? s.call.hostProvider ?? '', spanModel(s), s.call.region];
      const k = JSON.stringify(key);
      const row = rows.get(k) ?? { key, calls: 0, input: 0 };
      rows.set(k, row);
      row.calls += 1;
      row.input += s.usage?.inputTokens ?? 0;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => [...r.key, r.calls, r.input]);
}

describe('UsageRollup', () => {
  describe('rows', () => {
    it('gives the rows and order of a JSON-keyed grouping when calls alternate between many rows with confusable names', () => {
      for (const seed of [1, 2, 3]) {
        const writes = tangledWrites(seed, 40);
        const r = new UsageRollup();
        for (const w of writes) r.add(w);
        const got = r.rows().map((x) => [x.TenantId, x.Hour, x.ServiceName, x.AgentName, x.Provider, x.Model, x.RawModel, x.Region, x.Endpoint, x.Calls, x.InputTokens, x.CostUsd, x.UnpricedCalls, x.CostOverstatedUpToUsd, x.Sessions]);
        expect(got.length).toBeGreaterThan(100);
        expect(got).toEqual(usageReference(writes));
      }
    });
  });
});

/** Calls that differ only in where one text splits between two adjacent key fields, each pair apart by more rows than a rollup compares first. */
function splitWrites(): SessionWrite[] {
  const rand = seeded(31);
  const s = randomSession({ tenantId: 't', rand, kept: false, baseNs: BASE });
  const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  const spans: NormalizedSpan[] = [];
  const text = '1:a\u0000b:2';
  for (let cut = 0; cut <= text.length; cut++) {
    const [left, right] = [text.slice(0, cut), text.slice(cut)];
    const pairs: [Partial<NormalizedSpan>, string, string][] = [
      [{ tenantId: left, serviceName: right }, 'm', 'r'],
      [{ serviceName: left, genai: { ...s.write.spans[1]!.genai, agentName: right } }, 'm', 'r'],
      [{}, left, right],
    ];
    for (const [fields, model, region] of pairs) {
      const c = callSpan({ tenantId: 't', traceId: 'a'.repeat(32), parentSpanId: '', startNs: BASE, usage, costUsd: 0.001, rand, model, region });
      spans.push({ ...c, ...fields });
      for (let f = 0; f < 5; f++) spans.push(callSpan({ tenantId: 't', traceId: 'a'.repeat(32), parentSpanId: '', startNs: BASE, usage, costUsd: 0.001, rand, model: `filler-${f}` }));
    }
  }
  return [{ ...s.write, spans }];
}

describe('rollup keys', () => {
  it('keep apart rows whose names differ only in where a text splits between two fields', () => {
    const writes = splitWrites();
    const u = new UsageRollup();
    const p = new ProviderRollup();
    for (const w of writes) {
      u.add(w);
      p.add(w);
    }
    expect(u.rows().map((x) => [x.TenantId, x.Hour, x.ServiceName, x.AgentName, x.Provider, x.Model, x.RawModel, x.Region, x.Endpoint, x.Calls, x.InputTokens, x.CostUsd, x.UnpricedCalls, x.CostOverstatedUpToUsd, x.Sessions])).toEqual(usageReference(writes));
    expect(p.rows().map((x) => [x.TenantId, x.Minute, x.Provider, x.Model, x.Region, x.Calls, x.InputTokens])).toEqual(providerReference(writes));
  });
});

describe('ProviderRollup', () => {
  describe('rows', () => {
    it('gives the rows and order of a JSON-keyed grouping when calls alternate between many rows with confusable names', () => {
      for (const seed of [4, 5]) {
        const writes = tangledWrites(seed, 40);
        const r = new ProviderRollup();
        for (const w of writes) r.add(w);
        const got = r.rows().map((x) => [x.TenantId, x.Minute, x.Provider, x.Model, x.Region, x.Calls, x.InputTokens]);
        expect(got.length).toBeGreaterThan(100);
        expect(got).toEqual(providerReference(writes));
      }
    });
  });
});

describe('smallCostUnits', () => {
  it('equals costUnits wherever it answers, ties and huge amounts left to costUnits', () => {
    const rand = seeded(21);
    const values: number[] = [0, -0, 1e-13, 4e-13, 5e-13, 6e-13, -5e-13, 1e-12, 0.1, 0.3, 1.0000000000005, 2.5e-12, 4503, 4504, 1e6, -0.0000000000015];
    for (let k = 0; k < 2000; k++) values.push((k + 0.5) / 1e12, k / 1e12, (Math.floor(rand() * 1e9) + 0.5) / 1e12);
    for (let k = 0; k < 20000; k++) {
      values.push(rand() * 10 ** (Math.floor(rand() * 20) - 14));
      values.push(-rand() * 0.01);
      values.push(Math.floor(rand() * 100_000) * 1.5e-7 + Math.floor(rand() * 10_000) * 6e-7);
    }
    let answered = 0;
    for (const v of values) {
      const small = smallCostUnits(v);
      if (small === null) continue;
      answered++;
      expect(BigInt(small), String(v)).toBe(costUnits(v));
    }
    expect(answered).toBeGreaterThan(values.length * 0.9);
    for (const v of [NaN, Infinity, -Infinity, 5000, 1e21]) expect(smallCostUnits(v)).toBeNull();
  });
});

describe('addCostUnits', () => {
  it('sums exactly what costUnits sums, past 2^52 units and across ties, NaN and huge amounts', () => {
    const rand = seeded(22);
    const sum = unitSum();
    let reference = 0n;
    const amounts = [4000, 4000, 4000, 0.5e-12, 1.5e-12, -4000, NaN, 1e7, -2.5e-12, 3e20];
    for (let k = 0; k < 5000; k++) amounts.push(rand() < 0.01 ? 4503.5 : rand() * 0.2 - 0.01);
    for (const usd of amounts) {
      addCostUnits(sum, usd);
      reference += costUnits(usd);
      expect(unitSumUnits(sum)).toBe(reference);
    }
  });
});
