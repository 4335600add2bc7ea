/**
 * The one parser of times a person types (CLI `--from`/`--to`, the read API's `from`/`to`): ISO-8601 dates and
 * date-times, or epoch milliseconds as exactly 13 digits. Nothing is guessed: `07/12/2026` could be July or December,
 * `1796605000` could be seconds or milliseconds, so both are refused with the forms that are accepted.
 */
import { AgtError } from '../model/errors.js';

/** What the parser accepts, for help texts and error messages. */
export const ACCEPTED_TIME_FORMS =
  'an ISO-8601 date (2026-12-07) or date-time (2026-12-07T09:30, 2026-12-07T09:30:00.250Z, 2026-12-07T09:30:00+01:00; without a zone it is UTC), or epoch milliseconds as 13 digits (1796605000000)';

// YYYY-MM-DD, optionally THH:MM[:SS[.fraction]] and a zone (Z or ±HH:MM); a zone needs a time.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const EPOCH_MS = /^\d{13}$/;

/** `text` as epoch ms, or null when it is not one of ACCEPTED_TIME_FORMS (or names a day or time that does not exist). */
export function parseStrictTime(text: string): number | null {
  if (EPOCH_MS.test(text)) return Number(text);
  const m = ISO.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3)); // sub-millisecond digits are dropped, not rounded
  let offsetMin = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0–99 as 1900–1999
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMin * 60_000;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() + (month === 2 && !isLeap(year) ? -1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** `name` ("--from", "from") parsed, or AGT_ERR_BAD_QUERY naming it, the value and the accepted forms. */
export function timeOrThrow(name: string, text: string): number {
  const t = parseStrictTime(text);
  if (t === null) throw new AgtError('AGT_ERR_BAD_QUERY', `${name} ${JSON.stringify(text)} is not a time: use ${ACCEPTED_TIME_FORMS}`);
  return t;
}

/** AGT_ERR_BAD_QUERY when the period [fromMs, toMs) is empty or inverted (naming both bounds as given), else null. */
export function periodError(names: { from: string; to: string }, fromMs: number, toMs: number, hint = ''): AgtError | null {
  if (toMs > fromMs) return null;
  const what = toMs === fromMs ? 'the period is empty' : 'the period is inverted';
  return new AgtError('AGT_ERR_BAD_QUERY', `${names.to} (${new Date(toMs).toISOString()}) must be after ${names.from} (${new Date(fromMs).toISOString()}): ${what}${hint}`);
}
