/**
 * Calendar dates as Italian contracts write them, and their instants in Italy's time zone. The offset (+01:00 in
 * winter, +02:00 in summer) comes from the runtime's time-zone database through Intl, never hard-coded.
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

/** The calendar date `days` after `isoDate` (YYYY-MM-DD in, YYYY-MM-DD out). */
export function addDays(isoDate: string, days: number): string {
  const [year, month, day] = dateParts(isoDate);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

const romeClock = new Intl.DateTimeFormat('en-US', {
  timeZone: ITALIAN_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Milliseconds Italy's wall clock is ahead of UTC at the instant `utcMs`. */
export function romeOffsetMs(utcMs: number): number {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of romeClock.formatToParts(new Date(utcMs))) parts[part.type] = Number(part.value);
  const wallClockAsUtc = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wallClockAsUtc - Math.floor(utcMs / 1000) * 1000;
}

function formatOffset(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  const sign = offsetMs < 0 ? '-' : '+';
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The instant of a wall-clock time in Italy, as ISO 8601 with Italy's offset (e.g. `2025-12-31T23:59:59+01:00`).
 * Two passes: the offset at the first guess can differ from the offset at the answer only across a DST change.
 */
export function romeInstant(isoDate: string, time: { hour: number; minute: number; second: number }): string {
  const [year, month, day] = dateParts(isoDate);
  const wallClockAsUtc = Date.UTC(year, month - 1, day, time.hour, time.minute, time.second);
  const firstGuess = wallClockAsUtc - romeOffsetMs(wallClockAsUtc);
  const offset = romeOffsetMs(firstGuess);
  const clock = [time.hour, time.minute, time.second].map((n) => String(n).padStart(2, '0')).join(':');
  return `${isoDate}T${clock}${formatOffset(offset)}`;
}

/** The last second of a calendar day in Italy: a deadline "by 31/12/2025" means 23:59:59 Italian time. */
export function endOfDayInRome(isoDate: string): string {
  return romeInstant(isoDate, { hour: 23, minute: 59, second: 59 });
}

/** The first second of a calendar day in Italy. */
export function startOfDayInRome(isoDate: string): string {
  return romeInstant(isoDate, { hour: 0, minute: 0, second: 0 });
}
