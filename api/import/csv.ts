import { CsvError, parse } from 'csv-parse';
import { normaliseItalianDate } from './italian-dates';
import { parseRegistration, type RegistrationError } from './registration';
import {
  MAX_IMPORT_ROWS,
  mapYielding,
  refuseDuplicates,
  rowKey,
  yieldToEventLoop,
  type ImportParse,
  type ParsedRow,
} from './rows';

/**
 * Reads a CSV of IPA open data (indicepa.gov.it, "Enti") as downloaded, optionally extended with the partner's
 * columns. Separator `,` or `;` (Excel in Italian) is detected from the header; UTF-8 with or without BOM; quoted
 * fields may hold separators and line breaks. Column names are matched ignoring case; other IPA columns are ignored.
 *
 * The contract date may be given once for the whole file (`contractDate`); a `Data_contratto` cell wins for its row.
 * The Mayor is IPA's "responsabile" unless `Sindaco_nome` says otherwise. Contacts the file does not give (the
 * secretary, the Mayor's e-mail) fall back on the Comune's PEC, the address of record, and are reported as
 * warnings: contacts to complete.
 */

export const IPA_COLUMNS = [
  'Codice_IPA',
  'Denominazione_ente',
  'Codice_fiscale_ente',
  'Codice_Categoria',
  'Codice_comune_ISTAT',
  'Codice_catastale_comune',
  'Mail1',
  'Tipo_Mail1',
  'Sito_istituzionale',
  'Nome_responsabile',
  'Cognome_responsabile',
] as const;
/** The partner's columns: all optional (the contract date can come from the form, contacts from the PEC). */
export const PARTNER_COLUMNS = [
  'Data_contratto',
  'Segretario_nome',
  'Segretario_email',
  'Sindaco_nome',
  'Sindaco_email',
] as const;
export const OPTIONAL_COLUMNS = [
  'Scadenza',
  'Pacchetto_servizi',
  'Sindaco_codice_fiscale',
  'Portale_tenant',
] as const;
const REQUIRED_COLUMNS = IPA_COLUMNS;
export type CsvColumn =
  (typeof IPA_COLUMNS)[number] | (typeof PARTNER_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** The columns of the template CSV: IPA's, then the partner's optional ones. */
export const TEMPLATE_COLUMNS: readonly CsvColumn[] = [
  ...IPA_COLUMNS,
  ...PARTNER_COLUMNS,
  ...OPTIONAL_COLUMNS,
];

/** The template CSV offered to partners: the header only, UTF-8 with BOM, `;` as Excel in Italian expects. */
export function templateCsv(): string {
  return `\uFEFF${TEMPLATE_COLUMNS.join(';')}\r\n`;
}

/** Options for the whole file. */
export interface IpaCsvOptions {
  /** The contract date (AAAA-MM-GG) of every row without a `Data_contratto` cell. */
  contractDate?: string;
}

/** Heading of the warnings about contacts the file does not give. */
export const CONTACTS_TO_COMPLETE = 'contatti da completare';
/** The secretary's name when the file gives none: the Comune's office, reached at its PEC. */
const SECRETARY_PLACEHOLDER = 'Segreteria comunale';
/** The contacts the PEC stands in for. */
const CONTACT_FIELDS = ['secretary.name', 'secretary.email', 'mayor.email'];

/** IPA's category of the Comuni. */
const COMUNE_CATEGORY = 'L6';

const COLUMN_OF_FIELD: Record<string, CsvColumn> = {
  ipaCode: 'Codice_IPA',
  name: 'Denominazione_ente',
  fiscalCode: 'Codice_fiscale_ente',
  istatCode: 'Codice_comune_ISTAT',
  cadastralCode: 'Codice_catastale_comune',
  pec: 'Mail1',
  website: 'Sito_istituzionale',
  portalTenant: 'Portale_tenant',
  'secretary.name': 'Segretario_nome',
  'secretary.email': 'Segretario_email',
  'mayor.name': 'Sindaco_nome',
  'mayor.email': 'Sindaco_email',
  'mayor.fiscalCode': 'Sindaco_codice_fiscale',
  contractDate: 'Data_contratto',
  deadline: 'Scadenza',
  services: 'Pacchetto_servizi',
  packageSize: 'Pacchetto_servizi',
};

/** The CSV column a registration field comes from (`services.2` → `Pacchetto_servizi`); other names unchanged. */
export function csvColumnOf(field: string): string {
  const path = field
    .split('.')
    .filter((part) => !/^[0-9]+$/.test(part))
    .join('.');
  return COLUMN_OF_FIELD[path] ?? field;
}

/** `;` when the header has more semicolons than commas outside quotes, else `,`. */
function detectSeparator(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && char === ',') commas += 1;
    else if (!quoted && char === ';') semicolons += 1;
  }
  return semicolons > commas ? ';' : ',';
}

type Cells = (column: CsvColumn) => string;

/** `12` → the first 12 services of the catalogue; `tari; imu; cie` → those services. */
function servicePackage(cell: string): { services?: string[]; packageSize?: number } {
  if (cell === '') return {};
  if (/^[0-9]+$/.test(cell)) return { packageSize: Number(cell) };
  return {
    services: cell
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

function readRow(line: number, cell: Cells, options: IpaCsvOptions): ParsedRow {
  const key = rowKey(line, cell('Codice_IPA'));
  const category = cell('Codice_Categoria');
  if (category.toUpperCase() !== COMUNE_CATEGORY) {
    const message = `non è un Comune: categoria IPA «${category}» (i Comuni sono ${COMUNE_CATEGORY})`;
    return { line, key, errors: [{ field: 'Codice_Categoria', message }] };
  }
  const errors: RegistrationError[] = [];
  const warnings: RegistrationError[] = [];
  const mailType = cell('Tipo_Mail1');
  const hasPec = mailType.toLowerCase() === 'pec';
  if (!hasPec) {
    const message = mailType
      ? `manca la PEC: Mail1 è di tipo «${mailType}»`
      : 'manca la PEC: Tipo_Mail1 è vuoto';
    errors.push({ field: 'Mail1', message });
  }
  const pec = hasPec ? cell('Mail1') : '';
  const contractDate = cell('Data_contratto') || options.contractDate || '';
  if (contractDate === '') {
    errors.push({
      field: 'Data_contratto',
      message:
        'manca la data del contratto: indicarla nel campo «contractDate» (data del contratto per tutto il file) ' +
        'oppure nella colonna Data_contratto',
    });
  }
  // Contacts the file does not give: the PEC (the Comune's address of record) stands in, and staff complete them.
  let secretaryName = cell('Segretario_nome');
  let secretaryEmail = cell('Segretario_email');
  let mayorEmail = cell('Sindaco_email');
  if (pec !== '') {
    if (secretaryEmail === '') {
      secretaryEmail = pec;
      warnings.push({
        field: 'Segretario_email',
        message: `${CONTACTS_TO_COMPLETE}: manca l’e-mail del segretario, si scrive alla PEC del Comune (${pec})`,
      });
    }
    if (secretaryName === '') {
      secretaryName = SECRETARY_PLACEHOLDER;
      warnings.push({
        field: 'Segretario_nome',
        message: `${CONTACTS_TO_COMPLETE}: manca il nome del segretario (indicato «${SECRETARY_PLACEHOLDER}»)`,
      });
    }
    if (mayorEmail === '') {
      mayorEmail = pec;
      warnings.push({
        field: 'Sindaco_email',
        message: `${CONTACTS_TO_COMPLETE}: manca l’e-mail del sindaco, si scrive alla PEC del Comune (${pec})`,
      });
    }
  }
  const responsible = `${cell('Nome_responsabile')} ${cell('Cognome_responsabile')}`.trim();
  const result = parseRegistration({
    ipaCode: cell('Codice_IPA'),
    istatCode: cell('Codice_comune_ISTAT'),
    cadastralCode: cell('Codice_catastale_comune'),
    fiscalCode: cell('Codice_fiscale_ente'),
    name: cell('Denominazione_ente'),
    pec: hasPec ? pec : undefined,
    website: cell('Sito_istituzionale'),
    portalTenant: cell('Portale_tenant'),
    secretary: { name: secretaryName, email: secretaryEmail },
    // IPA's "responsabile" of a Comune is its Mayor: the name unless the partner gives another.
    mayor: {
      name: cell('Sindaco_nome') || responsible,
      email: mayorEmail,
      fiscalCode: cell('Sindaco_codice_fiscale'),
    },
    contractDate: normaliseItalianDate(contractDate),
    deadline: normaliseItalianDate(cell('Scadenza')),
    ...servicePackage(cell('Pacchetto_servizi')),
  });
  if (!result.ok) {
    for (const error of result.errors) {
      if (!hasPec && error.field === 'pec') continue; // already said: no PEC
      // Without a PEC, empty contacts have nothing to fall back on: "no PEC" says it all.
      if (
        !hasPec &&
        CONTACT_FIELDS.includes(error.field) &&
        cell(csvColumnOf(error.field) as CsvColumn) === ''
      )
        continue;
      if (contractDate === '' && error.field === 'contractDate') continue; // already said: no date
      errors.push({ field: csvColumnOf(error.field), message: error.message });
    }
  }
  if (errors.length > 0 || !result.ok) return { line, key, errors };
  return {
    line,
    key,
    registration: result.registration,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * A CSV record longer than this is not a Comune (about 400 bytes each): refusing it stops a huge quoted field from
 * keeping the parser busy for seconds.
 */
const MAX_RECORD_BYTES = 64 * 1024;
/** The parser gets the text in slices and the event loop runs between them: the API keeps answering. */
const PARSE_SLICE_CHARS = 128 * 1024;

type CsvRecord = { record: string[]; info: { lines: number } };

class TooManyRows extends Error {}

/** csv-parse fed slice by slice; stops early once the file holds more Comuni than one import may. */
async function readRecords(text: string): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  let nonBlank = 0;
  const parser = parse({
    delimiter: detectSeparator(text),
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  finished.catch(() => undefined); // awaited below; an early error must not be unhandled meanwhile
  parser.on('data', (entry: CsvRecord) => {
    records.push(entry);
    if (entry.record.some((value) => value.trim() !== '')) nonBlank += 1;
    // The header is one of them.
    if (nonBlank > MAX_IMPORT_ROWS + 1) parser.destroy(new TooManyRows());
  });
  for (let at = 0; at < text.length && !parser.destroyed; at += PARSE_SLICE_CHARS) {
    parser.write(text.slice(at, at + PARSE_SLICE_CHARS));
    await yieldToEventLoop();
  }
  if (!parser.destroyed) parser.end();
  await finished;
  return records;
}

/**
 * Reads the whole file; a problem with the file itself (header, size, encoding) is one file-level error. Runs in
 * slices (the parser, then the rows), so a large file never blocks the API's other requests for long.
 */
export async function parseIpaCsv(input: Buffer | string, options: IpaCsvOptions = {}): Promise<ImportParse> {
  const text = (typeof input === 'string' ? input : input.toString('utf8')).replace(/^\uFEFF/, '');
  if (text.includes('\uFFFD')) {
    return { ok: false, error: 'il file non è in UTF-8: salvarlo come «CSV UTF-8»' };
  }
  let records: CsvRecord[];
  try {
    records = await readRecords(text);
  } catch (err) {
    if (err instanceof TooManyRows) {
      return {
        ok: false,
        error: `il file ha più di ${MAX_IMPORT_ROWS} Comuni: al massimo ${MAX_IMPORT_ROWS} per importazione`,
      };
    }
    if (err instanceof CsvError && err.code === 'CSV_MAX_RECORD_SIZE') {
      return {
        ok: false,
        error: `CSV non leggibile: una riga supera ${MAX_RECORD_BYTES / 1024} KB, non è un elenco di Comuni`,
      };
    }
    if (err instanceof CsvError) return { ok: false, error: `CSV non leggibile: ${err.message}` };
    throw err;
  }
  const [header, ...data] = records;
  if (!header) return { ok: false, error: 'il file è vuoto' };

  const columnIndex = new Map<string, number>();
  header.record.forEach((name, i) => {
    const normalised = name.trim().toLowerCase();
    if (!columnIndex.has(normalised)) columnIndex.set(normalised, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columnIndex.has(c.toLowerCase()));
  if (missing.length > 0) return { ok: false, error: `mancano le colonne: ${missing.join(', ')}` };

  const rows = data.filter(({ record }) => record.some((value) => value.trim() !== ''));
  if (rows.length === 0) return { ok: false, error: 'il file non contiene Comuni' };
  if (rows.length > MAX_IMPORT_ROWS) {
    return {
      ok: false,
      error: `il file ha ${rows.length} Comuni: al massimo ${MAX_IMPORT_ROWS} per importazione`,
    };
  }
  return {
    ok: true,
    rows: refuseDuplicates(
      await mapYielding(rows, ({ record, info }) => {
        // info.lines is the record's last line: a quoted value spanning lines moves its first line up.
        const breaks = record.reduce((n, value) => n + (value.match(/\n/g)?.length ?? 0), 0);
        const cell: Cells = (column) => {
          const index = columnIndex.get(column.toLowerCase());
          return index === undefined ? '' : (record[index] ?? '').trim();
        };
        return readRow(info.lines - breaks, cell, options);
      }),
    ),
  };
}
