import { comuneInputSchema } from '../../contracts/comune';
import {
  IPA_COLUMNS,
  OPTIONAL_COLUMNS,
  PARTNER_COLUMNS,
  parseIpaCsv,
  templateCsv,
} from '../../api/import/csv';
import { buildRows, type ImportParse, type ParsedRow } from '../../api/import/rows';
import { DEFAULTS } from './import-fixtures';
import { IPA_HEADER, ipaComuneRow, ipaProvinceCsv, toIpaCsv } from './ipa-csv';
import { comuniOfProvince } from '../../api/import/comuni';

function rowsOf(parse: ImportParse): ParsedRow[] {
  if (!parse.ok) throw new Error(`file refused: ${parse.error}`);
  return parse.rows;
}

/** The IPA file as downloaded from indicepa.gov.it: no partner column, one contract date for the file. */
describe('parseIpaCsv: the IPA open-data file as published', () => {
  const { csv, comuni } = ipaProvinceCsv('PD', 3);

  it('imports the Comuni of a province with one contract date, refusing the other entities', async () => {
    const rows = rowsOf(await parseIpaCsv(csv, { contractDate: '2025-03-15' }));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
    expect(rows[1]).toEqual({
      line: 3,
      key: 'istsc_pdic80000a',
      errors: [{ field: 'Codice_Categoria', message: expect.stringMatching(/non è un Comune.*L33.*L6/) }],
    });
    expect(rows[4]!.errors).toEqual([{ field: 'Codice_Categoria', message: expect.stringMatching(/L35/) }]);

    const built = await buildRows(rows, DEFAULTS);
    const inputs = built.flatMap((r) => (r.input ? [r.input] : []));
    expect(inputs).toHaveLength(3);
    const first = inputs[0]!;
    expect(comuneInputSchema.safeParse(first).success).toBe(true);
    expect(first).toMatchObject({
      comune: { ipaCode: `c_${comuni[0]!.cadastralCode.toLowerCase()}`, province: 'PD' },
      contractDate: '2025-03-15',
      // The Mayor is IPA's responsabile; the PEC is the address of record for the missing contacts.
      contacts: {
        mayor: { name: 'Sergio Giordani', email: first.comune.pec },
        secretary: { name: 'Segreteria comunale', email: first.comune.pec },
      },
    });
    expect(first.comune.pec).toMatch(/@pec\.it$/);
  });

  it('reports the contacts to complete as warnings of the imported row, not refusals', async () => {
    const [row] = rowsOf(await parseIpaCsv(csv, { contractDate: '2025-03-15' }));
    expect(row!.registration).toBeDefined();
    expect(row!.warnings).toEqual([
      {
        field: 'Segretario_email',
        message: expect.stringMatching(/^contatti da completare: .*segretario.*PEC/),
      },
      {
        field: 'Segretario_nome',
        message: expect.stringMatching(/^contatti da completare: .*nome del segretario/),
      },
      { field: 'Sindaco_email', message: expect.stringMatching(/^contatti da completare: .*sindaco.*PEC/) },
    ]);
    const [built] = await buildRows([row!], DEFAULTS);
    expect(built!.warnings).toHaveLength(3);
  });

  it('gives no warning for the contacts the partner gives, and Data_contratto wins for its row', async () => {
    const ref = comuniOfProvince('PD')[0]!;
    const row = {
      ...ipaComuneRow(ref, 0),
      Data_contratto: '01/02/2025',
      Segretario_nome: 'Giulia Moser',
      Segretario_email: 'segretario@comune.example.it',
      Sindaco_email: 'sindaco@comune.example.it',
    };
    const columns = [...IPA_HEADER, 'Data_contratto', 'Segretario_nome', 'Segretario_email', 'Sindaco_email'];
    const [parsed] = rowsOf(await parseIpaCsv(toIpaCsv([row], columns), { contractDate: '2025-03-15' }));
    expect(parsed!.warnings).toBeUndefined();
    expect(parsed!.registration).toMatchObject({
      contractDate: '2025-02-01',
      secretary: { name: 'Giulia Moser', email: 'segretario@comune.example.it' },
      mayor: { name: 'Sergio Giordani', email: 'sindaco@comune.example.it' },
    });
  });

  it('refuses the rows without a contract date, naming the field, when none is given for the file', async () => {
    const rows = rowsOf(await parseIpaCsv(csv));
    expect(rows[0]!.errors).toEqual([
      {
        field: 'Data_contratto',
        message: expect.stringMatching(/manca la data del contratto.*contractDate/),
      },
    ]);
  });

  it('still refuses a Comune without PEC, or with invalid codes', async () => {
    const [a, b] = comuniOfProvince('PD');
    const rows = [
      { ...ipaComuneRow(a!, 0), Tipo_Mail1: 'Altro' },
      { ...ipaComuneRow(b!, 1), Codice_fiscale_ente: '123' },
    ];
    const parsed = rowsOf(await parseIpaCsv(toIpaCsv(rows), { contractDate: '2025-03-15' }));
    expect(parsed[0]!.errors).toEqual([{ field: 'Mail1', message: expect.stringMatching(/manca la PEC/) }]);
    expect(parsed[1]!.errors).toEqual([
      { field: 'Codice_fiscale_ente', message: expect.stringMatching(/codice fiscale/) },
    ]);
  });
});

describe('templateCsv', () => {
  it('is the header of the IPA columns and the partner’s optional ones, UTF-8 with BOM', async () => {
    const template = templateCsv();
    expect(template.startsWith('\uFEFF')).toBe(true);
    expect(template.slice(1).trim().split(';')).toEqual([
      ...IPA_COLUMNS,
      ...PARTNER_COLUMNS,
      ...OPTIONAL_COLUMNS,
    ]);
    // The template, filled in, is a file the import reads.
    expect(await parseIpaCsv(template)).toEqual({ ok: false, error: 'il file non contiene Comuni' });
  });
});
