/**
 * Issue 25 point 6: OTLP/JSON with no known top-level field (`{"resourceSpan": […]}`, a typo) answered 200 `{}` with
 * nothing stored and nothing said. It stays 200 (the spec ignores unknown fields) but partial_success names the
 * field, and the metric counts it. Real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { buildExportRequestJsonObject, fixtureId } from '../support/otlp-fixtures.js';

describe('POST /v1/traces with OTLP/JSON', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector();
  });

  afterAll(async () => {
    await c?.close();
  });

  async function post(body: unknown): Promise<{ status: number; json: { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } } }> {
    const res = await fetch(`${c.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { partialSuccess?: { errorMessage?: string } } };
  }

  async function counted(): Promise<number> {
    const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
    const m = /^agenttail_receive_unknown_field_requests_total\{signal="traces"\} (\d+)$/m.exec(text);
    return m === null ? 0 : Number(m[1]);
  }

  it('answers {"resourceSpan": […]} (a typo) with 200 and a partial_success naming the field, stores nothing and counts it', async () => {
    const { resourceSpans } = buildExportRequestJsonObject([{ traceId: fixtureId(31, 16), spanId: fixtureId(1, 8), name: 'typo' }]) as { resourceSpans: unknown[] };
    const before = c.sink.spans.length;
    const countedBefore = await counted();
    const r = await post({ resourceSpan: resourceSpans });
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess?.errorMessage).toBe(
      'the request held no spans: unknown top-level field "resourceSpan" ignored; ExportTraceServiceRequest in OTLP/JSON has "resourceSpans"',
    );
    expect(r.json.partialSuccess?.rejectedSpans ?? '0').toBe('0');
    expect(c.sink.spans.length).toBe(before);
    expect(await counted()).toBe(countedBefore + 1);
  });

  it('answers an empty request ({} or no resource spans) with 200 and no partial_success, and does not count it', async () => {
    const countedBefore = await counted();
    for (const body of [{}, { resourceSpans: [] }, { resource_spans: [] }]) {
      const r = await post(body);
      expect(r.status).toBe(200);
      expect(r.json.partialSuccess, JSON.stringify(body)).toBeUndefined();
    }
    expect(await counted()).toBe(countedBefore);
  });

  it('keeps spans of a well-formed request beside an unknown top-level field, without a message', async () => {
    const obj = buildExportRequestJsonObject([{ traceId: fixtureId(32, 16), spanId: fixtureId(1, 8), name: 'kept-beside' }]) as Record<string, unknown>;
    const r = await post({ ...obj, extra: true });
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess).toBeUndefined();
    await c.sink.waitForSpans(1);
    expect(c.sink.spans.map((s) => s.name)).toContain('kept-beside');
  });
});

describe('POST /v1/logs with OTLP/JSON', () => {
  let c: TestCollector;

  beforeAll(async () => {
    c = await startTestCollector();
  });

  afterAll(async () => {
    await c?.close();
  });

  it('answers {"resourceLog": […]} (a typo) with 200 and a partial_success naming the field, and counts it', async () => {
    const count = async (): Promise<number> => Number(/^agenttail_receive_unknown_field_requests_total\{signal="logs"\} (\d+)$/m.exec(await (await fetch(`${c.httpUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await count();
    const res = await fetch(`${c.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceLog: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'typo' } }] }] }] }) });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { partialSuccess?: { errorMessage?: string } };
    expect(json.partialSuccess?.errorMessage).toContain('unknown top-level field "resourceLog"');
    expect(await count()).toBe(before + 1);
  });
});
