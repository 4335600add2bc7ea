import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DecisionEngine } from '../../src/sampling/engine.js';
import type { Decision } from '../../src/model/decision.js';
import { extendSummary, emptySummary } from '../../src/sessions/summary.js';
import { buildSessionRow } from '../../src/store/session-row.js';
import { buildSpanRow } from '../../src/store/span-row.js';
import type { NormalizedSpan } from '../../src/model/span.js';
import { call, request, tool } from './detector-fixtures.js';
import { quietConfig, samplingConfig } from './sampling-fixtures.js';

function viewOf(spans: NormalizedSpan[], sessionId = 's1') {
  return { summary: extendSummary(emptySummary({ tenantId: 't1', sessionId, explicitSession: true, firstSeenMs: 0 }), spans, []), spans };
}

function loop(): NormalizedSpan[] {
  return Array.from({ length: 6 }, (_, i) => [call({ startMs: i * 1000 }), tool('search', { startMs: i * 1000 + 500, args: 1, id: `c${i}` })]).flat();
}

/** Only the errors policy and the detectors (at their defaults) keep. */
const noBaseline = () => samplingConfig(quietConfig({ policies: { error: { enabled: true }, detectors: {} } }));

describe('DecisionEngine with detectors', () => {
  describe('decide()', () => {
    it('keeps a looping session with reason tool_loop, weight 1, and the report on the decision', () => {
      const registry = new Registry();
      const d = new DecisionEngine({ config: noBaseline(), registry }).decide(viewOf(loop()), 'idle');
      expect(d).toMatchObject({ kept: true, reasons: ['tool_loop'], sampleWeight: 1 });
      expect(d.detectors).toMatchObject({ fired: ['tool_loop'], figures: { loopLength: 6 } });
    });

    it('counts each detector that fired in agenttail_sampling_detections_total', async () => {
      const registry = new Registry();
      const e = new DecisionEngine({ config: noBaseline(), registry });
      e.decide(viewOf(loop(), 'a'), 'idle');
      e.decide(viewOf(loop(), 'b'), 'idle');
      expect(await registry.metrics()).toContain('agenttail_sampling_detections_total{detector="tool_loop"} 2');
    });

    it('leaves an ordinary session without detector report or vote', () => {
      const d = new DecisionEngine({ config: noBaseline() }).decide(viewOf([call({ startMs: 0 }), tool('search', { startMs: 10 }), call({ startMs: 20 })]), 'idle');
      expect(d).toMatchObject({ kept: false, reasons: [] });
      expect(d.detectors).toBeUndefined();
    });

    it('does not vote through a switched-off detector', () => {
      const d = new DecisionEngine({ config: samplingConfig(quietConfig()) }).decide(viewOf(loop()), 'idle');
      expect(d.kept).toBe(false);
    });

    it('keeps a session with two retried 429s for retry_storm, not for error, and records the excused errors', () => {
      const c = call({ startMs: 0, endMs: 4_000 });
      const spans = [c, request(429, { startMs: 0, parent: c.spanId }), request(429, { startMs: 1_000, parent: c.spanId }), request(200, { startMs: 2_000, endMs: 3_000, parent: c.spanId })];
      const d = new DecisionEngine({ config: noBaseline() }).decide(viewOf(spans), 'idle');
      expect(d.reasons).toEqual(['retry_storm']);
      expect(d.excusedErrors).toBe(2);
    });

    it('neither keeps nor calls an error a session with one retried 429 (near miss under the threshold)', () => {
      const c = call({ startMs: 0, endMs: 4_000 });
      const d = new DecisionEngine({ config: noBaseline() }).decide(viewOf([c, request(429, { startMs: 0, parent: c.spanId }), request(200, { startMs: 2_000, parent: c.spanId })]), 'idle');
      expect(d.kept).toBe(false);
      expect(d.detectors?.figures.refusals).toBe(1);
    });
  });

  describe('reconsider()', () => {
    it('keeps the detector report and excused errors of the first decision when a late error upgrades it', () => {
      const previous: Decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle', decidedAtMs: 1, detectors: { fired: [], figures: { refusals: 1 }, culprits: [] }, excusedErrors: 1 };
      const late = [tool('x', { startMs: 9_000, error: true })];
      const v = viewOf(late);
      v.summary.errorCount = 2; // the excused refusal of the first decision, and the late tool error
      const d = new DecisionEngine({ config: noBaseline() }).reconsider(previous, v);
      expect(d).toMatchObject({ kept: true, reasons: ['upgrade:error'], detectors: { figures: { refusals: 1 } }, excusedErrors: 1 });
    });

    it('does not upgrade on late spans when the only errors are the excused refusals', () => {
      const previous: Decision = { kept: false, reasons: [], sampleWeight: 0, trigger: 'idle', decidedAtMs: 1, excusedErrors: 2 };
      const v = viewOf([call({ startMs: 9_000 })]);
      v.summary.errorCount = 2;
      expect(new DecisionEngine({ config: noBaseline() }).reconsider(previous, v)).toBeNull();
    });
  });

  describe('rows', () => {
    it('writes the detector columns on the session row and flags only the culprit span', () => {
      const spans = loop();
      const v = viewOf(spans);
      const d = new DecisionEngine({ config: noBaseline() }).decide(v, 'idle');
      const row = buildSessionRow({ summary: v.summary, decision: d, version: 1, spans, storeSpans: true, countUsage: true });
      expect(row).toMatchObject({ Detectors: ['tool_loop'], LoopLength: 6, Refusals: 0, CacheCollapseExtraUsd: '0.000000000000', ExcusedErrors: 0 });
      const flagged = spans.filter((s) => (buildSpanRow(s, 's1', d).DetectorFlags as string[]).length > 0);
      expect(flagged.map((s) => s.spanId)).toEqual([spans[9]!.spanId]);
      expect(buildSpanRow(spans[9]!, 's1', d).DetectorFlags).toEqual(['tool_loop']);
    });
  });
});
