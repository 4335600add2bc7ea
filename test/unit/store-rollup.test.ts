import { describe, expect, it } from 'vitest';
import { UsageRollup } from '../../src/store/usage-rollup.js';
import { buildSpanRow } from '../../src/store/span-row.js';
import { attrToString } from '../../src/store/cell-format.js';
import { ProviderRollup } from '../../src/store/provider-rollup.js';
import { callSpan, randomSession, seeded } from '../integration/store-fixtures.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import type { SessionWrite } from '../../src/model/session.js';

const BASE = 1_763_800_000_000_000_000n;

describe('UsageRollup', () => {
  describe('add', () => {
    it('counts call spans only and each session once, in the hour of its first call', () => {
      const r = new UsageRollup();
      const s = randomSession({ tenantId: 't', rand: seeded(3), kept: false, baseNs: BASE });
      expect(r.add(s.write)).toBe(s.calls);
      const rows = r.rows();
      const sum = (k: string) => rows.reduce((a, x) => a + Number(x[k]), 0);
      expect(sum('Calls')).toBe(s.calls);
      expect(sum('InputTokens')).toBe(s.usage.inputTokens);
      expect(sum('Sessions')).toBe(1);
      const firstCall = s.write.spans.filter((x) => x.usageRole === 'call').sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))[0]!;
      const counted = rows.find((x) => x.Sessions === 1)!;
      expect(counted.Hour).toBe(Number((firstCall.startTimeUnixNano / 3_600_000_000_000n) * 3600n));
      expect(counted.Model).toBe(firstCall.genai.requestModel);
      expect(counted.AgentName).toBe('triage');
    });

    it('ignores writes with countUsage false and does not count a later version as a new session', () => {
      const r = new UsageRollup();
      const s = randomSession({ tenantId: 't', rand: seeded(4), kept: true, baseNs: BASE });
      expect(r.add({ ...s.write, countUsage: false })).toBe(0);
      expect(r.size).toBe(0);
      r.add({ ...s.write, version: 2 });
      expect(r.rows().reduce((a, x) => a + Number(x.Sessions), 0)).toBe(0);
    });

    it('sums costs exactly in 1e-12 units and counts unpriced calls', () => {
      const r = new UsageRollup();
      const s = randomSession({ tenantId: 't', rand: seeded(5), kept: true, baseNs: BASE });
      const calls = s.write.spans.filter((x) => x.usageRole === 'call');
      calls[0]!.cost = { costUsd: 0.1, source: 'catalog', priceVersion: 'v' };
      calls[0]!.genai = { ...calls[0]!.genai, requestModel: 'only-one' };
      calls[0]!.startTimeUnixNano = BASE - 3_600_000_000_000n * 10n;
      r.add(s.write);
      const row = r.rows().find((x) => x.Model === 'only-one')!;
      expect(row.CostUsd).toBe('0.100000000000');
      const unpriced = calls.filter((c) => c.cost.costUsd === null).length;
      expect(r.rows().reduce((a, x) => a + Number(x.UnpricedCalls), 0)).toBe(unpriced);
    });

    it('counts calls whose cost the client reported (reprice leaves their rows alone)', () => {
      const r = new UsageRollup();
      const s = randomSession({ tenantId: 't', rand: seeded(7), kept: true, baseNs: BASE });
      const calls = s.write.spans.filter((x) => x.usageRole === 'call');
      for (const c of calls) c.cost = { costUsd: 0.5, source: 'catalog', priceVersion: 'v' };
      calls[0]!.cost = { costUsd: 0.25, source: 'reported', priceVersion: '' };
      r.add(s.write);
      expect(r.rows().reduce((a, x) => a + Number(x.ReportedCalls), 0)).toBe(1);
      expect(r.rows().reduce((a, x) => a + Number(x.Calls), 0)).toBe(calls.length);
    });
  });
});

describe('rollup rows of consecutive calls', () => {
  const HOUR = 3_600_000_000_000n;
  const usage = { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  const write = (spans: NormalizedSpan[]): SessionWrite => {
    const s = randomSession({ tenantId: 't', rand: seeded(9), kept: false, baseNs: BASE });
    return { ...s.write, spans };
  };
  /** Calls that differ from the one before in one key part only (hour, endpoint, region, model), with repeats. */
  function calls(): NormalizedSpan[] {
    const rand = seeded(11);
    const hourStart = (BASE / HOUR) * HOUR;
    const c = (startNs: bigint, o: { model?: string; region?: string; serverAddress?: string; port?: number } = {}): NormalizedSpan => {
      const s = callSpan({ tenantId: 't', traceId: 'a'.repeat(32), parentSpanId: '', startNs, usage, costUsd: 0.001, rand, ...o });
      s.genai = { ...s.genai, provider: 'openai' };
      s.call = { ...s.call, serverPort: o.port ?? 0 };
      return s;
    };
    return [
      c(hourStart),
      c(hourStart + HOUR - 1n),
      c(hourStart + HOUR),
      c(hourStart + HOUR + 1n),
      c(hourStart - 1n),
      c(hourStart, { serverAddress: 'api.openai.com', port: 443 }),
      c(hourStart, { serverAddress: 'api.openai.com', port: 0 }),
      c(hourStart, { serverAddress: 'api.openai.com', port: 8443 }),
      c(hourStart, { serverAddress: 'api.openai.com', port: 443 }),
      c(hourStart, { region: 'us-east-1' }),
      c(hourStart, { model: 'gpt-4o' }),
      c(hourStart),
      c(0n),
      c(59_999_999_999n),
      c(60_000_000_000n),
    ];
  }

  it('puts each call in the row of its own hour and endpoint, however the calls before it went', () => {
    const r = new UsageRollup();
    r.add(write(calls()));
    const rows = r.rows().map((x) => [x.Hour, x.Endpoint, x.Region, x.Model, x.Calls]);
    const h = Number((BASE / HOUR) * 3600n);
    expect(rows).toEqual([
      [0, '', 'unknown', 'gpt-4o-mini', 3],
      [h - 3600, '', 'unknown', 'gpt-4o-mini', 1],
      [h, '', 'unknown', 'gpt-4o', 1],
      [h, '', 'unknown', 'gpt-4o-mini', 3],
      [h, 'api.openai.com', 'unknown', 'gpt-4o-mini', 3],
      [h, 'api.openai.com:8443', 'unknown', 'gpt-4o-mini', 1],
      [h, '', 'us-east-1', 'gpt-4o-mini', 1],
      [h + 3600, '', 'unknown', 'gpt-4o-mini', 2],
    ]);
  });

  it('puts each call in the row of its own minute in the provider rollup', () => {
    const r = new ProviderRollup();
    r.add(write(calls()));
    const rows = r.rows().map((x) => [x.Minute, x.Region, x.Model, x.Calls]);
    const m = Number((BASE / HOUR) * 3600n);
    expect(rows).toEqual([
      [0, 'unknown', 'gpt-4o-mini', 2],
      [m - 60, 'unknown', 'gpt-4o-mini', 1],
      [m, 'unknown', 'gpt-4o', 1],
      [m, 'unknown', 'gpt-4o-mini', 6],
      [m, 'us-east-1', 'gpt-4o-mini', 1],
      [m + 3540, 'unknown', 'gpt-4o-mini', 1],
      [m + 3600, 'unknown', 'gpt-4o-mini', 2],
      // Rows are in the order of their keys' text: minute 60 sorts after the others.
      [60, 'unknown', 'gpt-4o-mini', 1],
    ]);
  });
});

describe('buildSpanRow', () => {
  it('maps kinds, statuses and nested events to the exporter columns', () => {
    const s = randomSession({ tenantId: 't', rand: seeded(6), kept: true, baseNs: BASE });
    const root = buildSpanRow(s.write.spans[0]!, 'sess', s.write.decision);
    expect(root).toMatchObject({ SpanKind: 'SPAN_KIND_INTERNAL', StatusCode: 'STATUS_CODE_ERROR', SessionId: 'sess', CostUsd: null, 'Links.TraceState': ['k=v'] });
    const call = buildSpanRow(s.write.spans[1]!, 'sess', s.write.decision);
    expect(call).toMatchObject({ SpanKind: 'SPAN_KIND_CLIENT', StatusCode: 'STATUS_CODE_UNSET', 'Events.Name': ['gen_ai.content.prompt'] });
    expect(call.Timestamp).toBe(s.write.spans[1]!.startTimeUnixNano.toString());
  });
});

describe('attrToString', () => {
  it('prints scalars and encodes structures as JSON', () => {
    expect(attrToString('x')).toBe('x');
    expect(attrToString(3)).toBe('3');
    expect(attrToString(false)).toBe('false');
    expect(attrToString(null)).toBe('');
    expect(attrToString([1, 'a'])).toBe('[1,"a"]');
    expect(attrToString({ k: new Uint8Array([1, 2]) })).toBe('{"k":"AQI="}');
  });
});
