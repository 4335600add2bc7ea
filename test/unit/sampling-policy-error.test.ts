import { describe, expect, it } from 'vitest';
import { ErrorPolicy } from '../../src/sampling/policies/error.js';
import { span, view } from './sampling-fixtures.js';

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
});
