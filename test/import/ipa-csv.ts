import { comuniOfProvince, type ComuneReference } from '../../api/import/comuni';
import { hostSlug, organisationFiscalCode } from './trento-csv';

/**
 * The IPA open-data file of the entities ("Enti", indicepa.gov.it) as published: its full header, every value
 * quoted, `,` as separator, the Comuni of a province mixed with other entities (schools, unions of Comuni) that
 * the import must refuse. No partner column: the contract date comes with the upload, the contacts from the PEC.
 */
export const IPA_HEADER = [
  'Codice_IPA',
  'Denominazione_ente',
  'Codice_fiscale_ente',
  'Tipologia',
  'Codice_Categoria',
  'Codice_natura',
  'Codice_ateco',
  'Ente_in_liquidazione',
  'Codice_MIUR',
  'Codice_ISTAT',
  'Acronimo',
  'Nome_responsabile',
  'Cognome_responsabile',
  'Titolo_responsabile',
  'Codice_comune_ISTAT',
  'Codice_catastale_comune',
  'CAP',
  'Indirizzo',
  'Mail1',
  'Tipo_Mail1',
  'Mail2',
  'Tipo_Mail2',
  'Mail3',
  'Tipo_Mail3',
  'Mail4',
  'Tipo_Mail4',
  'Mail5',
  'Tipo_Mail5',
  'Sito_istituzionale',
  'Url_facebook',
  'Url_linkedin',
  'Url_twitter',
  'Url_youtube',
  'Data_aggiornamento',
] as const;
export type IpaRow = Partial<Record<string, string>>;

const MAYORS = [
  ['Sergio', 'Giordani'],
  ['Anna', 'Ferro'],
  ['Giovanni', 'Tasca'],
  ['Maria', 'Bressan'],
] as const;

/** A Comune as IPA lists it: the Mayor as "responsabile", the PEC as Mail1, a plain mailbox as Mail2. */
export function ipaComuneRow(comune: ComuneReference, index: number): IpaRow {
  const slug = hostSlug(comune.name);
  const [given, surname] = MAYORS[index % MAYORS.length]!;
  return {
    Codice_IPA: `c_${comune.cadastralCode.toLowerCase()}`,
    Denominazione_ente: `Comune di ${comune.name}`,
    Codice_fiscale_ente: organisationFiscalCode(comune.istatCode),
    Tipologia: 'Pubbliche Amministrazioni',
    Codice_Categoria: 'L6',
    Codice_natura: '2430',
    Codice_ateco: '84.11.10',
    Ente_in_liquidazione: 'N',
    Codice_ISTAT: '',
    Acronimo: '',
    Nome_responsabile: given,
    Cognome_responsabile: surname,
    Titolo_responsabile: 'Sindaco',
    Codice_comune_ISTAT: comune.istatCode,
    Codice_catastale_comune: comune.cadastralCode,
    CAP: '35100',
    Indirizzo: 'Piazza del Municipio, 1',
    Mail1: `comune.${slug}@pec.it`,
    Tipo_Mail1: 'Pec',
    Mail2: `protocollo@comune.${slug}.it`,
    Tipo_Mail2: 'Altro',
    Sito_istituzionale: `www.comune.${slug}.it`,
    Data_aggiornamento: '2025-01-15',
  };
}

/** Entities of the same province that are not Comuni: a school (L33) and a union of Comuni (L35). */
export function ipaOtherRows(comune: ComuneReference): IpaRow[] {
  return [
    {
      Codice_IPA: 'istsc_pdic80000a',
      Denominazione_ente: 'Istituto Comprensivo Statale di Esempio',
      Codice_fiscale_ente: '92000000001',
      Tipologia: 'Pubbliche Amministrazioni',
      Codice_Categoria: 'L33',
      Codice_MIUR: 'PDIC80000A',
      Nome_responsabile: 'Laura',
      Cognome_responsabile: 'Rossi',
      Titolo_responsabile: 'Dirigente Scolastico',
      Codice_comune_ISTAT: comune.istatCode,
      Codice_catastale_comune: comune.cadastralCode,
      Mail1: 'pdic80000a@pec.istruzione.it',
      Tipo_Mail1: 'Pec',
      Data_aggiornamento: '2024-09-01',
    },
    {
      Codice_IPA: 'uc_esempio',
      Denominazione_ente: 'Unione dei Comuni di Esempio',
      Codice_fiscale_ente: '92000000002',
      Tipologia: 'Pubbliche Amministrazioni',
      Codice_Categoria: 'L35',
      Nome_responsabile: 'Marco',
      Cognome_responsabile: 'Verdi',
      Titolo_responsabile: 'Presidente',
      Codice_comune_ISTAT: comune.istatCode,
      Codice_catastale_comune: comune.cadastralCode,
      Mail1: 'unione.esempio@pec.it',
      Tipo_Mail1: 'Pec',
      Data_aggiornamento: '2024-11-20',
    },
  ];
}

/** Every value quoted, as IPA publishes it. */
export function toIpaCsv(rows: readonly IpaRow[], columns: readonly string[] = IPA_HEADER): string {
  const line = (values: readonly string[]) => values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',');
  return `${[line(columns), ...rows.map((row) => line(columns.map((c) => row[c] ?? '')))].join('\r\n')}\r\n`;
}

/**
 * The IPA file of a province as downloaded: its first `count` Comuni, with a school after the first Comune and
 * a union of Comuni at the end. Lines: the Comuni on 2, 4, 5, …; the school on 3; the union last.
 */
export function ipaProvinceCsv(province: string, count: number): { csv: string; comuni: ComuneReference[] } {
  const comuni = comuniOfProvince(province).slice(0, count);
  const [school, union] = ipaOtherRows(comuni[0]!);
  const rows = comuni.map(ipaComuneRow);
  return { csv: toIpaCsv([rows[0]!, school!, ...rows.slice(1), union!]), comuni };
}
