/**
 * Italian formatting helpers for the e-mail templates. Pure: no clock, no IO.
 */

const ROME = 'Europe/Rome';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

const dateFormatter = new Intl.DateTimeFormat('it-IT', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: ROME,
});

/**
 * `useGrouping: 'always'` (ES2023, not yet in TypeScript's ES2022 lib): with the default the Italian locale omits the
 * separator on 4-digit figures ("2401,00 €" beside "12.089,00 €"). The e-mails and the dossier (api/dossier-documents.ts)
 * group with it; the console's api/console/ui.js, a browser script, says the same.
 */
export const ALWAYS_GROUPED = { useGrouping: 'always' } as unknown as Intl.NumberFormatOptions;

const euroFormatter = new Intl.NumberFormat('it-IT', {
  style: 'currency',
  currency: 'EUR',
  ...ALWAYS_GROUPED,
});

/**
 * "23 novembre 2026". A calendar date ("2026-11-23") is printed as is; an instant
 * ("2026-11-23T23:30:00Z") is printed as the day it is in Europe/Rome.
 */
export function formatDateIt(value: string | Date): string {
  if (typeof value === 'string') {
    const match = DATE_ONLY.exec(value);
    if (match) {
      // Noon UTC is the same calendar day in Rome whatever the season.
      const [, y, m, d] = match;
      return dateFormatter.format(new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), 12)));
    }
  }
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid date: ${String(value)}`);
  return dateFormatter.format(date);
}

/**
 * Euro amounts in the Italian administrative style: "€ 2.401,00" (symbol first, dot for thousands,
 * comma for decimals), built from Intl.NumberFormat('it-IT').
 */
export function formatEuro(amount: number): string {
  if (!Number.isFinite(amount)) throw new RangeError(`invalid amount: ${amount}`);
  const parts = euroFormatter.formatToParts(amount);
  const symbol = parts.find((p) => p.type === 'currency')?.value ?? '€';
  const number = parts
    .filter((p) => p.type !== 'currency' && p.type !== 'literal')
    .map((p) => p.value)
    .join('');
  return `${symbol} ${number}`;
}

/** "1 giorno", "12 giorni". */
export function formatDays(days: number): string {
  return days === 1 ? '1 giorno' : `${days} giorni`;
}

/** "Secondo promemoria" for 2; ordinal adjectives in the masculine singular. */
export function ordinalMasculine(n: number): string {
  const words = [
    '',
    'primo',
    'secondo',
    'terzo',
    'quarto',
    'quinto',
    'sesto',
    'settimo',
    'ottavo',
    'nono',
    'decimo',
  ];
  return words[n] ?? `${n}°`;
}

export function upperFirst(text: string): string {
  return text.length === 0 ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element or a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
