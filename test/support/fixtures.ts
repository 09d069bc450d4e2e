import { catalogue, cardFromCatalogue } from '../../domain/catalogue';
import { comuneInputSchema, type ComuneInput, type ComuneInputRaw } from '../../contracts/comune';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A 300×300 logo's reference in the document store (tests that need the bytes store a real PNG under it). */
export const TEST_LOGO_REF = 'a'.repeat(64);

export interface ComuneFixtureOptions {
  ipaCode?: string;
  name?: string;
  province?: string;
  now?: Date;
  deadlineInDays?: number;
  services?: number;
  logoRef?: string;
  settings?: ComuneInputRaw['settings'];
  mayorFiscalCode?: string;
  /** Inhabitants (Trento's by default): the population band sets the funding per service. */
  population?: number;
}

/** A realistic Comune of the province of Trento, with `services` services from the catalogue. */
export function comuneInput(options: ComuneFixtureOptions = {}): ComuneInput {
  const now = options.now ?? new Date();
  const ipaCode = options.ipaCode ?? 'c_l378';
  const name = options.name ?? 'Comune di Trento';
  const comune = {
    ipaCode,
    fiscalCode: '00355870221',
    istatCode: '022205',
    name,
    province: options.province ?? 'TN',
    pec: 'servizio.protocollo@pec.comune.trento.it',
    population: options.population ?? 117_417,
    website: 'https://www.comune.trento.it',
  };
  const services = catalogue.slice(0, options.services ?? 5).map((entry) => ({
    slug: entry.slug,
    card: cardFromCatalogue(entry, comune, {
      authorizedCidrs: '203.0.113.10/32',
      logoRef: options.logoRef ?? TEST_LOGO_REF,
      supportUrl: 'https://www.comune.trento.it/assistenza',
    }),
  }));
  return comuneInputSchema.parse({
    comune,
    contacts: {
      secretary: { name: 'Anna Bianchi', email: 'segreteria@comune.trento.it' },
      mayor: {
        name: 'Franco Ianeselli',
        email: 'sindaco@comune.trento.it',
        ...(options.mayorFiscalCode ? { fiscalCode: options.mayorFiscalCode } : {}),
      },
    },
    delegate: {
      givenName: 'Mario',
      surname: 'Rossi',
      fiscalCode: 'RSSMRA85T10A562S',
      email: 'mario.rossi@partner.example',
    },
    contractDate: now.toISOString().slice(0, 10),
    deadline: new Date(now.getTime() + (options.deadlineInDays ?? 240) * DAY_MS).toISOString(),
    services,
    settings: options.settings ?? {},
  });
}
