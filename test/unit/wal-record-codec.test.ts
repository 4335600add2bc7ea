import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../../src/model/span.js';
import { emptySummary } from '../../src/sessions/summary.js';
import { decodeRecord, encodeRecord, typeCode, type WalRecord } from '../../src/durability/wal/record-codec.js';

const evalResult: EvalResult = {
  name: 'helpfulness',
  score: 0.25,
  label: 'bad',
  explanation: null,
  target: { sessionId: 's1', traceId: 'a'.repeat(32), spanId: null },
  source: 'api',
  timeUnixNano: 1_700_000_000_123_456_789n,
};

const summary = {
  ...emptySummary({ tenantId: 't1', sessionId: 's1', explicitSession: true, firstSeenMs: 1_700_000_000_000 }),
  startTimeUnixNano: 1_700_000_000_000_000_001n,
  endTimeUnixNano: 1_700_000_005_000_000_002n,
  traceIds: ['a'.repeat(32)],
  toolPath: ['search', 'answer'],
  spanCount: 3,
  costUsd: 0.0012,
  evals: [evalResult],
  minEvalScore: 0.25,
  bytes: 4096,
};

const decision: WalRecord = {
  type: 'decision',
  tenantId: 't1',
  sessionId: 's1',
  version: 1,
  decision: { kept: true, reasons: ['low_eval'], sampleWeight: 1, trigger: 'idle', decidedAtMs: 5 },
  summary,
  requestLsns: [3, 7],
};

/** The encoding every record had before the fast path: the whole metadata through a bigint replacer. */
function reference(record: WalRecord): Buffer {
  const meta = record.type === 'request' ? { ...record, body: undefined } : record;
  const json = JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'bigint' ? `__bigint:${v.toString()}` : v));
  const head = Buffer.alloc(4 + Buffer.byteLength(json));
  head.writeUInt32LE(head.length - 4, 0);
  head.write(json, 4);
  return record.type === 'request' ? Buffer.concat([head, record.body]) : head;
}

describe('record codec', () => {
  describe('encodeRecord', () => {
    it('writes decision and eval records byte for byte as the bigint replacer did', () => {
      const evals: WalRecord = { type: 'eval', tenantId: 't1', evals: [evalResult, { ...evalResult, score: null, timeUnixNano: 0n }] };
      const request: WalRecord = { type: 'request', tenantId: 't1', mayClaimTenant: false, format: 'json', receivedAtMs: 9, body: new Uint8Array([1, 2, 3]) };
      for (const r of [decision, evals, request, { ...decision, summary: undefined }]) {
        expect(Buffer.from(encodeRecord(r))).toEqual(reference(r));
      }
    });

    it('round-trips bigints of the summary and its evals through decodeRecord', () => {
      const back = decodeRecord(typeCode('decision'), encodeRecord(decision));
      expect(back).toEqual(decision);
    });

    it('still encodes a bigint in a field the fast path does not know (falls back to the replacer)', () => {
      const odd = { ...decision, decision: { ...(decision as { decision: object }).decision, decidedAtMs: 5n } } as unknown as WalRecord;
      const bytes = encodeRecord(odd);
      expect(Buffer.from(bytes)).toEqual(reference(odd));
      expect((decodeRecord(typeCode('decision'), bytes) as { decision: { decidedAtMs: unknown } }).decision.decidedAtMs).toBe(5n);
    });

    it('does not mutate the record it encodes', () => {
      const before = structuredClone(decision);
      encodeRecord(decision);
      expect(decision).toEqual(before);
    });
  });
});

describe('decodeRecord of a log written before firstDecisionLsn had its name', () => {
  it('reads a decision record\'s `epoch` as its firstDecisionLsn', () => {
    const old = encodeRecord({ ...decision, version: 2, epoch: 11 } as unknown as WalRecord);
    const back = decodeRecord(typeCode('decision'), old);
    expect(back).toMatchObject({ type: 'decision', version: 2, firstDecisionLsn: 11 });
    expect(back).not.toHaveProperty('epoch');
  });
});
