import { describe, expect, it } from 'vitest';
import { bucketRuns, repeatBucket, trajectoryKey, turnPaths } from '../../src/sampling/basis/trajectory.js';
import { span, summary, toolSpan } from './sampling-fixtures.js';

describe('trajectory', () => {
  describe('repeatBucket()', () => {
    it('buckets runs as 1, 2-3, 4-7, 8+', () => {
      expect([1, 2, 3, 4, 7, 8, 50].map(repeatBucket)).toEqual(['1', '2-3', '2-3', '4-7', '4-7', '8+', '8+']);
    });
  });

  describe('bucketRuns()', () => {
    it('collapses consecutive repeats only', () => {
      expect(bucketRuns(['a', 'a', 'b', 'a', 'c', 'c', 'c', 'c'])).toEqual([
        ['a', '2-3'],
        ['b', '1'],
        ['a', '1'],
        ['c', '4-7'],
      ]);
    });
  });

  describe('trajectoryKey()', () => {
    it('is null for sessions without tool calls', () => {
      expect(trajectoryKey({ agentNames: ['x'], toolPath: [] })).toBeNull();
    });

    it('treats 5 and 6 retries alike but 3 and 4 apart', () => {
      const k = (n: number) => trajectoryKey({ agentNames: ['x'], toolPath: Array<string>(n).fill('search') });
      expect(k(5)).toBe(k(6));
      expect(k(3)).not.toBe(k(4));
    });

    it('ignores agent arrival order but not tool order', () => {
      expect(trajectoryKey({ agentNames: ['b', 'a'], toolPath: ['t'] })).toBe(trajectoryKey({ agentNames: ['a', 'b'], toolPath: ['t'] }));
      expect(trajectoryKey({ agentNames: ['a'], toolPath: ['t', 'u'] })).not.toBe(trajectoryKey({ agentNames: ['a'], toolPath: ['u', 't'] }));
    });

    it('keeps tool names with separators unambiguous', () => {
      expect(trajectoryKey({ agentNames: [], toolPath: ['a,b'] })).not.toBe(trajectoryKey({ agentNames: [], toolPath: ['a', 'b'] }));
    });
  });

  describe('turnPaths()', () => {
    it('splits tool calls by trace, ordered by start time, with the trace agents', () => {
      const spans = [
        toolSpan('t2', 'c', 500),
        toolSpan('t1', 'b', 200, 'planner'),
        toolSpan('t1', 'a', 100),
        span({ traceId: 't2', genai: { ...span().genai, agentName: 'coder' } }),
      ];
      expect(turnPaths({ summary: summary({ agentNames: ['x'] }), spans })).toEqual([
        { agentNames: ['planner'], toolPath: ['a', 'b'] },
        { agentNames: ['coder'], toolPath: ['c'] },
      ]);
    });

    it('falls back to the summary path when the spans hold no tool calls', () => {
      expect(turnPaths({ summary: summary({ agentNames: ['x'], toolPath: ['a'] }), spans: [span()] })).toEqual([{ agentNames: ['x'], toolPath: ['a'] }]);
      expect(turnPaths({ summary: summary(), spans: [span()] })).toEqual([]);
    });
  });
});
