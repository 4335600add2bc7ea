import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { logsSchema, type LogsConfig } from '../../src/config/logs.js';
import type { EvalResult } from '../../src/model/span.js';
import { silentLogger } from '../../src/log.js';
import { LogJoiner } from '../../src/logs/log-joiner.js';
import type { LogEntry } from '../../src/logs/types.js';
import type { OtlpLogRecord } from '../../src/otlp/log-types.js';
import { ok, retryable, type Outcome } from '../../src/model/outcome.js';
import { AgtError } from '../../src/model/errors.js';
import { DecisionCache } from '../../src/sampling/decision-cache.js';
import { summary } from './sampling-fixtures.js';
import { trace } from './sessions-fixtures.js';

const resource = { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 };
const scope = { name: 's', version: '1', attributes: {} };

function entry(body: string, over: Partial<OtlpLogRecord> = {}, sessionId: string | null = null, evalResult: EvalResult | null = null): LogEntry {
  const record: OtlpLogRecord = { timeUnixNano: 1n, observedTimeUnixNano: 0n, severityNumber: 9, severityText: '', body, attributes: {}, droppedAttributesCount: 0, flags: 0, traceId: '', spanId: '', eventName: '', resource, scope, wireBytes: 100, ...over };
  return { tenantId: 't', record, sessionId, evalResult };
}

function setup(config: Partial<LogsConfig> = {}, logged: Map<number, LogEntry[]> | null = null) {
  const clock = { ms: 1_000_000 };
  const cache = new DecisionCache({ ttlMs: 600_000, maxEntries: 100 });
  const writes: { key: string; rows: Record<string, unknown>[] }[] = [];
  const store = {
    refuse: null as Outcome<void> | null,
    writeLogs(rows: Record<string, unknown>[], tag: { key: string }): Outcome<void> {
      if (this.refuse) return this.refuse;
      writes.push({ key: tag.key, rows });
      return ok();
    },
    hasCapacity: () => true,
  };
  const routed: EvalResult[] = [];
  const evals = { acceptLoggedEvals: (_lsn: number, _t: string, list: EvalResult[]) => void routed.push(...list) };
  const registry = new Registry();
  // With `logged`, the joiner has a log: each accept gets the next LSN and its entries can be read back.
  let nextLsn = 0;
  const journal = logged === null ? {} : {
    journal: { keepsRecords: true, log: () => ok({ lsn: nextLsn++, durable: Promise.resolve(ok()) }), readBack: () => Promise.resolve([]) },
    readBack: async (lsns: readonly number[]) => lsns.flatMap((lsn) => (logged.has(lsn) ? [{ lsn, entries: logged.get(lsn)! }] : [])),
  };
  const joiner = new LogJoiner({ config: logsSchema.parse(config), cache, store, evals, log: silentLogger(), registry, now: () => clock.ms, ...journal });
  const accepted = async (entries: LogEntry[]) => {
    logged?.set(nextLsn, entries);
    return joiner.accept(entries, source);
  };
  const decide = (sessionId: string, traceId: string, kept: boolean) => {
    cache.set('t', sessionId, { decision: { kept, reasons: [], sampleWeight: 1, trigger: 'idle', decidedAtMs: clock.ms }, summary: summary({ sessionId }), version: 1 });
    cache.setTrace('t', traceId, sessionId);
  };
  const source = { tenantId: 't', mayClaimTenant: false, format: 'protobuf' as const, receivedAtMs: clock.ms, body: new Uint8Array() };
  const bodies = () => writes.flatMap((w) => w.rows.map((r) => `${String(r.SessionId)}:${String(r.Body)}`));
  const outcome = async (o: string) => (await registry.getSingleMetric('agenttail_logs_records_total')!.get()).values.find((v) => v.labels.outcome === o)?.value ?? 0;
  return { clock, joiner, store, writes, routed, decide, source, bodies, outcome, accepted, registry };
}

describe('LogJoiner', () => {
  describe('accept', () => {
    it('stores at once the records of a kept decided trace, under its session id', async () => {
      const h = setup();
      h.decide('s1', trace(1), true);
      expect((await h.joiner.accept([entry('a', { traceId: trace(1) })], h.source)).status).toBe('ok');
      expect(h.bodies()).toEqual(['s1:a']);
    });

    it('counts and does not store the records of a dropped decided trace', async () => {
      const h = setup();
      h.decide('s1', trace(1), false);
      await h.joiner.accept([entry('a', { traceId: trace(1) }), entry('b', { traceId: trace(1) })], h.source);
      expect(h.writes).toEqual([]);
      expect(await h.outcome('dropped')).toBe(2);
    });

    it('holds records of an undecided trace until a sweep after the decision', async () => {
      const h = setup();
      await h.joiner.accept([entry('early', { traceId: trace(2) })], h.source);
      h.joiner.sweep();
      expect(h.writes).toEqual([]);
      h.decide('s2', trace(2), true);
      h.joiner.sweep();
      expect(h.bodies()).toEqual(['s2:early']);
      h.joiner.sweep();
      expect(h.writes).toHaveLength(1);
    });

    it('joins a record without trace id by its session alias', async () => {
      const h = setup();
      await h.joiner.accept([entry('by-session', {}, 'conv-9')], h.source);
      h.decide('conv-9', trace(3), true);
      h.joiner.sweep();
      expect(h.bodies()).toEqual(['conv-9:by-session']);
    });

    it('stores a record without trace or session outside any session, or discards it with untraced: drop', async () => {
      const store = setup();
      await store.joiner.accept([entry('plain')], store.source);
      expect(store.bodies()).toEqual([':plain']);
      const drop = setup({ untraced: 'drop' });
      await drop.joiner.accept([entry('plain')], drop.source);
      expect(drop.writes).toEqual([]);
      expect(await drop.outcome('discarded')).toBe(1);
    });

    it('routes an eval record to the sessions before placing it', async () => {
      const h = setup();
      const e: EvalResult = { name: 'q', score: 0.1, label: null, explanation: null, target: { sessionId: null, traceId: trace(4), spanId: null }, source: 'log', timeUnixNano: 1n };
      await h.joiner.accept([entry('eval', { traceId: trace(4) }, null, e)], h.source);
      expect(h.routed).toEqual([e]);
    });

    it('refuses retryably past maxHeldBytes and admits again once the held records are released', async () => {
      const h = setup({ maxHeldBytes: 250 });
      await h.joiner.accept([entry('a', { traceId: trace(5) }), entry('b', { traceId: trace(5) })], h.source);
      expect(h.joiner.admit('t', 100).status).toBe('retryable');
      h.decide('s5', trace(5), false);
      h.joiner.sweep();
      expect(h.joiner.admit('t', 100).status).toBe('ok');
    });
  });

  describe('sweep', () => {
    it('backfills from the log the records a session dropped once it is upgraded, writing them once', async () => {
      const h = setup({}, new Map());
      h.decide('s8', trace(8), false);
      await h.accepted([entry('early', { traceId: trace(8) }), entry('other trace', { traceId: trace(9) })]);
      expect(await h.outcome('dropped')).toBe(1);
      h.joiner.sweep();
      await h.joiner.settled();
      expect(h.writes).toEqual([]);
      h.decide('s8', trace(8), true);
      h.joiner.sweep();
      await h.joiner.settled();
      h.joiner.sweep();
      await h.joiner.settled();
      expect(h.bodies()).toEqual(['s8:early']);
      // Keyed as the first write of that logged request and group would have been: a replay writes it once.
      expect(h.writes[0]!.key).toBe(`l\u00000\u0000t\u0000t\u0000${trace(8)}`);
      expect(await h.outcome('dropped')).toBe(1);
      expect((await h.registry.getSingleMetric('agenttail_logs_backfilled_total')!.get()).values[0]!.value).toBe(1);
    });

    it('treats a record held past holdMs as untraced', async () => {
      const h = setup({ holdMs: 1000 });
      await h.joiner.accept([entry('orphan', { traceId: trace(6) })], h.source);
      h.clock.ms += 999;
      h.joiner.sweep();
      expect(h.writes).toEqual([]);
      h.clock.ms += 1;
      h.joiner.sweep();
      expect(h.bodies()).toEqual([':orphan']);
    });

    it('keeps a record held while the store refuses, and writes it once the store takes it', async () => {
      const h = setup();
      await h.joiner.accept([entry('a', { traceId: trace(7) })], h.source);
      h.decide('s7', trace(7), true);
      h.store.refuse = retryable(new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'full'), 10);
      h.joiner.sweep();
      expect(h.joiner.oldestPin()).toBe(Number.MAX_SAFE_INTEGER);
      expect(h.writes).toEqual([]);
      h.store.refuse = null;
      h.joiner.sweep();
      expect(h.bodies()).toEqual(['s7:a']);
    });
  });

  describe('re-deliveries', () => {
    it('stores a record delivered again while held, and after the decision, once, and routes its eval once', async () => {
      const h = setup();
      const score: EvalResult = { name: 'groundedness', score: 0.9, label: null, explanation: null, timeUnixNano: 1n, source: 'log', target: { sessionId: null, traceId: trace(9), spanId: null } };
      const batch = () => [entry('a', { traceId: trace(9) }), entry('eval', { traceId: trace(9), eventName: 'gen_ai.evaluation.result' }, null, score)];
      await h.joiner.accept(batch(), h.source);
      await h.joiner.accept(batch(), h.source);
      h.decide('s9', trace(9), true);
      h.joiner.sweep();
      await h.joiner.accept(batch(), h.source);
      expect(h.bodies()).toEqual(['s9:a', 's9:eval']);
      expect(h.routed).toHaveLength(1);
      expect(await h.outcome('duplicate')).toBe(4);
      expect(await h.outcome('kept')).toBe(2);
    });

    it('tells records apart by what they carry: another time or body is a new record', async () => {
      const h = setup();
      h.decide('s10', trace(10), true);
      await h.joiner.accept([entry('a', { traceId: trace(10) }), entry('a', { traceId: trace(10), timeUnixNano: 2n }), entry('b', { traceId: trace(10) })], h.source);
      expect(h.bodies()).toEqual(['s10:a', 's10:a', 's10:b']);
      expect(await h.outcome('duplicate')).toBe(0);
    });

    it('remembers the records of settled logged requests in recovery, so a re-delivery after a restart is not stored again', async () => {
      const h = setup({}, new Map());
      // LSN 100: a request of the log before the restart (this test's log numbers new requests from 0).
      h.joiner.remember(100, [entry('a', { traceId: trace(11) })]);
      h.decide('s11', trace(11), true);
      await h.accepted([entry('a', { traceId: trace(11) }), entry('new', { traceId: trace(11) })]);
      expect(h.bodies()).toEqual(['s11:new']);
    });

    it('backfills an upgraded session without the records a later request only delivered again', async () => {
      const logged = new Map<number, LogEntry[]>();
      const h = setup({}, logged);
      h.decide('s12', trace(12), false);
      await h.accepted([entry('a', { traceId: trace(12) })]);
      await h.accepted([entry('a', { traceId: trace(12) }), entry('b', { traceId: trace(12) })]);
      h.decide('s12', trace(12), true);
      h.joiner.sweep();
      await h.joiner.settled();
      expect(h.bodies().sort()).toEqual(['s12:a', 's12:b']);
    });
  });
});
