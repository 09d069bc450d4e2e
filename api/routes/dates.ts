/** Offset of Europe/Rome at an instant, e.g. "+01:00" in winter and "+02:00" in summer. */
function romeOffset(instant: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Rome', timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-]\d{2}:\d{2})/.exec(part ?? '');
  return match?.[1] ?? '+00:00';
}

/** A calendar date as a deadline: the end of that day in Italy (23:59:59 Europe/Rome), as an ISO instant. */
export function endOfDayInItaly(date: string): string {
  const offset = romeOffset(new Date(`${date}T12:00:00Z`));
  return new Date(`${date}T23:59:59${offset}`).toISOString();
}
