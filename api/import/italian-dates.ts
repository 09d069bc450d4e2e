import { tz, tzOffset } from '@date-fns/tz';

/**
 * Calendar dates as Italian contracts write them, and their instants in Italy's time zone. The offset (+01:00 in
 * winter, +02:00 in summer) comes from the time-zone database through `@date-fns/tz`, never hard-coded.
 */
export const ITALIAN_TIME_ZONE = 'Europe/Rome';

const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ITALIAN_DATE = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/;

/** `DD/MM/YYYY` (or `D/M/YYYY`) → `YYYY-MM-DD`; anything else is returned trimmed, for the schema to judge. */
export function normaliseItalianDate(value: string): string {
  const text = value.trim();
  const match = ITALIAN_DATE.exec(text);
  if (!match) return text;
  const [, day, month, year] = match;
  return `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`;
}

function dateParts(isoDate: string): [number, number, number] {
  const match = ISO_DATE.exec(isoDate);
  if (!match) throw new RangeError(`expected YYYY-MM-DD, got ${isoDate}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** The calendar date `days` after `isoDate` (YYYY-MM-DD in, YYYY-MM-DD out): calendar arithmetic, no time zone. */
export function addDays(isoDate: string, days: number): string {
  const [year, month, day] = dateParts(isoDate);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** An instant seen in Italy: a `TZDate` whose offset and wall clock come from the time-zone database. */
const inRome = tz(ITALIAN_TIME_ZONE);

/** Milliseconds Italy's wall clock is ahead of UTC at the instant `utcMs`. */
const romeOffsetMs = (utcMs: number): number =>
  Math.round(tzOffset(ITALIAN_TIME_ZONE, new Date(utcMs)) * 60) * 1000;

/**
 * The instant of a wall-clock time in Italy, as ISO 8601 with Italy's offset (e.g. `2025-12-31T23:59:59+01:00`).
 * Two passes: the offset at the first guess can differ from the offset at the answer only across a DST change.
 * A time the spring change skips comes out an hour later in summer time (02:30 → 03:30+02:00, the same instant as
 * 02:30+01:00); a time the autumn change repeats is the later of the two (+01:00). `TZDate`'s wall-clock
 * constructor and setters are not used: they go through the host's time zone, and get DST edges wrong when the
 * host's own clock changes (date-fns/tz#40); `tzOffset` and a `TZDate` made from a timestamp do not.
 */
export function romeInstant(isoDate: string, time: { hour: number; minute: number; second: number }): string {
  const [year, month, day] = dateParts(isoDate);
  const wallClockAsUtc = Date.UTC(year, month - 1, day, time.hour, time.minute, time.second);
  const instant = wallClockAsUtc - romeOffsetMs(wallClockAsUtc - romeOffsetMs(wallClockAsUtc));
  // TZDate's own ISO format, to the second.
  return inRome(instant)
    .toISOString()
    .replace(/\.[0-9]{3}(?=[+-])/, '');
}

/** The last second of a calendar day in Italy: a deadline "by 31/12/2025" means 23:59:59 Italian time. */
export function endOfDayInRome(isoDate: string): string {
  return romeInstant(isoDate, { hour: 23, minute: 59, second: 59 });
}

/** The first second of a calendar day in Italy. */
export function startOfDayInRome(isoDate: string): string {
  return romeInstant(isoDate, { hour: 0, minute: 0, second: 0 });
}
