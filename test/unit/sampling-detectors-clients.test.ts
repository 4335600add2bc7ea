import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectorsSchema } from '../../src/config/detectors.js';
import { receiveSchema } from '../../src/config/receive.js';
import { Normalizer } from '../../src/conventions/normalize.js';
import { decodeExportRequestJson } from '../../src/otlp/decode-json.js';
import { Pricer } from '../../src/pricing/pricer.js';
import { DetectorSet } from '../../src/sampling/detectors/detector-set.js';
import { rebaseOtlpJsonTimes, type OtlpJsonRequest } from '../support/client-capture.js';

const pricer = new Pricer();
const set = new DetectorSet({ config: detectorsSchema.parse({}), priceUsage: (p) => pricer.priceUsage(p) });

// False positives on ordinary traffic as the real client libraries shape it (their captured payloads): none may fire.
describe('DetectorSet', () => {
  describe('detect() on the captured payloads of the real clients', () => {
    for (const client of ['otel-sdk', 'openinference', 'traceloop', 'vercel-v6', 'vercel-v7', 'langfuse']) {
      it(`finds nothing in the ${client} session`, () => {
        const now = Date.now();
        const doc = rebaseOtlpJsonTimes(JSON.parse(readFileSync(new URL(`../fixtures/clients/${client}.json`, import.meta.url), 'utf8')) as OtlpJsonRequest, now);
        const decoded = decodeExportRequestJson(JSON.stringify(doc), receiveSchema.parse({}).limits, now);
        const normalizer = new Normalizer();
        const spans = decoded.spans.map((s) => normalizer.normalize(s, 't1'));
        expect(spans.length).toBeGreaterThan(0);
        const found = set.detect(spans, []);
        expect(found.report?.fired ?? []).toEqual([]);
        expect(found.votes).toEqual([]);
      });
    }
  });
});
