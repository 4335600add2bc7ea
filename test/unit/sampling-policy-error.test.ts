import { describe, expect, it } from 'vitest';
import { ErrorPolicy } from '../../src/sampling/policies/error.js';
import { call, request } from './detector-fixtures.js';
import { span, summary, view } from './sampling-fixtures.js';

describe('ErrorPolicy', () => {
  describe('vote()', () => {
    const policy = new ErrorPolicy();

    it('keeps a session whose summary counts an error', () => {
      expect(policy.vote(view({ errorCount: 1 }))).toEqual({ reason: 'error', policyClass: 'error', probability: 1 });
    });

    it('keeps a session with an error span not yet in the summary', () => {
      expect(policy.vote(view({ errorCount: 0 }, [span(), span({ isError: true, errorType: 'ToolTimeout' })]))?.reason).toBe('error');
    });

    it('does not vote for a clean session', () => {
      expect(policy.vote(view())).toBeNull();
    });
    });

  describe('retried refusals', () => {
    const policy = new ErrorPolicy();
    const sessionOf = (spans: ReturnType<typeof span>[]) => ({ summary: summary({ errorCount: spans.filter((s) => s.isError).length }), spans });

    it('does not keep a session whose only errors are 429s under a model call that then succeeded', () => {
      const c = call({ startMs: 0, endMs: 3_000 });
      const v = sessionOf([c, request(429, { startMs: 0, parent: c.spanId }), request(429, { startMs: 1_000, parent: c.spanId }), request(200, { startMs: 2_000, parent: c.spanId })]);
      expect(policy.vote(v)).toBeNull();
      expect(policy.excused(v)).toBe(2);
    });

    it('keeps a session whose model call finally failed after its refusals', () => {
      const c = call({ startMs: 0, endMs: 3_000, errorType: 'RateLimitError' });
      expect(policy.vote(sessionOf([c, request(429, { startMs: 0, parent: c.spanId }), request(429, { startMs: 1_000, parent: c.spanId })]))?.reason).toBe('error');
    });

    it('excuses a refused model call followed by a successful call of the same parent', () => {
      const failed = call({ startMs: 0, errorType: 'overloaded_error', parent: '1'.repeat(16) });
      const retried = call({ startMs: 2_000, parent: '1'.repeat(16) });
      expect(policy.vote(sessionOf([failed, retried]))).toBeNull();
    });

    it('still keeps a session with another error beside a retried refusal', () => {
      const c = call({ startMs: 0, endMs: 3_000 });
      const v = sessionOf([c, request(429, { startMs: 0, parent: c.spanId }), span({ spanId: '2'.repeat(16), isError: true, errorType: 'ToolTimeout' })]);
      expect(policy.vote(v)?.reason).toBe('error');
    });

    it('does not count the excused errors again when late spans arrive (excusedBefore)', () => {
      expect(policy.hasError({ summary: summary({ errorCount: 2 }), spans: [span()] }, 2)).toBe(false);
      expect(policy.hasError({ summary: summary({ errorCount: 3 }), spans: [span({ isError: true })] }, 2)).toBe(true);
    });
  });
});
