import { describe, expect, it } from 'vitest';
import { parseStrictTime, periodError, timeOrThrow } from '../../src/api/strict-time.js';

describe('strict-time', () => {
  describe('parseStrictTime', () => {
    it('refuses day/month orders that could be read two ways (07/12/2026 was read as 12 July)', () => {
      for (const v of ['07/12/2026', '12/07/2026', '2026/12/07', '7 Dec 2026', 'Dec 7, 2026', 'Mon, 07 Dec 2026 00:00:00 GMT']) expect(parseStrictTime(v), v).toBeNull();
    });

    it('refuses epoch seconds and other digit counts (1796605000 was read as 21 January 1970)', () => {
      for (const v of ['1796605000', '0', '1', '17966050000000', '179660500000', '-1796605000000', '1796605000000.5']) expect(parseStrictTime(v), v).toBeNull();
    });

    it('reads exactly 13 digits as epoch milliseconds', () => {
      expect(parseStrictTime('1796605000000')).toBe(1_796_605_000_000);
    });

    it('reads a date, and a date-time without a zone, as UTC', () => {
      expect(parseStrictTime('2026-12-07')).toBe(Date.UTC(2026, 11, 7));
      expect(parseStrictTime('2026-12-07T09:30')).toBe(Date.UTC(2026, 11, 7, 9, 30));
      expect(parseStrictTime('2026-12-07T09:30:15.250')).toBe(Date.UTC(2026, 11, 7, 9, 30, 15, 250));
    });

    it('applies a zone offset and drops sub-millisecond digits', () => {
      expect(parseStrictTime('2026-12-07T09:30:00+01:00')).toBe(Date.UTC(2026, 11, 7, 8, 30));
      expect(parseStrictTime('2026-12-07T09:30:00-05:30')).toBe(Date.UTC(2026, 11, 7, 15, 0));
      expect(parseStrictTime('2026-12-07T09:30:00.123456789Z')).toBe(Date.UTC(2026, 11, 7, 9, 30, 0, 123));
    });

    it('refuses days and times that do not exist instead of rolling them over', () => {
      for (const v of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-12-07T24:00', '2026-12-07T09:60', '2026-12-07T09:30:00+24:00']) expect(parseStrictTime(v), v).toBeNull();
      expect(parseStrictTime('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
    });

    it('refuses a zone on a bare date, and empty text', () => {
      for (const v of ['2026-12-07Z', '', ' 2026-12-07', '2026-12-07 09:30']) expect(parseStrictTime(v), v).toBeNull();
    });
  });

  describe('timeOrThrow', () => {
    it('names the flag, the value and the accepted forms', () => {
      expect(() => timeOrThrow('--from', '07/12/2026')).toThrow(/--from "07\/12\/2026" is not a time: use an ISO-8601 date .*without a zone it is UTC.*13 digits/);
    });
  });

  describe('periodError', () => {
    it('refuses an empty and an inverted period, and passes a non-empty one', () => {
      const names = { from: 'from', to: 'to' };
      expect(periodError(names, 5, 5)?.message).toContain('the period is empty');
      expect(periodError(names, 6, 5)?.message).toContain('the period is inverted');
      expect(periodError(names, 5, 6)).toBeNull();
    });
  });
});
