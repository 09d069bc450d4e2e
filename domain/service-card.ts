import { z } from 'zod';
import { validateOrganizationFiscalCode } from './fiscal-code';
import { lazySchema } from './lazy-schema';

/**
 * The "scheda servizio" as staff write it, and PagoPA's rules for it (seed 001, domain.md). Structural checks are
 * the zod schema; the editorial rules (capitals, noun phrase, full organisation name, contacts, CIDRs) are
 * `serviceCardIssues`, which returns every problem at once, each naming its field in a sentence staff understand.
 * Pure: used by the service workflow (an invalid card waits for a correction), its update validator and the API.
 */

/** PagoPA's topics (`topic_id` is the index), named as PagoPA names them (`GET /api/v1/manage/topics`). */
export const topicIds = [
  'Altro',
  'Ambiente e animali',
  'Attività produttive e commercio',
  'Benessere sociale',
  'Casa e utenze',
  'Cultura, tempo libero e sport',
  'Educazione e formazione',
  'Giustizia e legge',
  'Lavori edilizi, catasto e urbanistica',
  'Mobilità e trasporti',
  'Redditi, patrimoni e fisco',
  'Servizi anagrafici e civici',
  'Servizi elettorali',
  'Sicurezza e Protezione Civile',
  'Suolo, spazi e beni pubblici',
  'Viaggi e turismo',
  'Vita lavorativa',
  'Salute',
] as const;

const optionalText = lazySchema(() => z.string().trim().optional());

export const serviceCardSchema = lazySchema(() =>
  z.object({
    service_name: z.string().trim().min(1),
    organization_name: z.string().trim().min(1),
    organization_fiscal_code: z.string().trim(),
    description: z.string().trim().min(1),
    privacy_url: z.string().trim().min(1),
    topic_id: z
      .number()
      .int()
      .min(0)
      .max(topicIds.length - 1),
    service_scope: z.enum(['local', 'national']).default('local'),
    authorized_cidrs: z.string().trim().min(1),
    /** sha256 of the organisation's logo in the document store: the bytes never enter workflow history. */
    logo_ref: z.string().regex(/^[0-9a-f]{64}$/, 'riferimento al logo (sha256)'),
    phone: optionalText,
    email: optionalText,
    pec: optionalText,
    support_url: optionalText,
    tos_url: optionalText,
    web_url: optionalText,
    app_ios: optionalText,
    app_android: optionalText,
    address: optionalText,
  }),
);
export type ServiceCard = z.infer<typeof serviceCardSchema>;
export type ServiceCardInput = z.input<typeof serviceCardSchema>;

export { cardFields, type CardFieldDefinition } from './card-fields';

export interface CardIssue {
  field: string;
  message: string;
}

export const CARD_LIMITS = {
  nameMax: 100,
  descriptionMin: 20,
  descriptionMax: 1000,
  addressMax: 100,
} as const;

const HTTP_URL = /^https?:\/\/[^\s/$.?#][^\s]*$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ./-]{4,18}[0-9]$/;
/** Imperatives and infinitives that make a name an action ("Prenota sale") instead of a noun ("Prenotazione sale"). */
const VERB_FIRST_WORDS = new Set([
  'prenota',
  'paga',
  'richiedi',
  'iscriviti',
  'iscrivi',
  'scarica',
  'consulta',
  'invia',
  'accedi',
  'segnala',
  'compila',
  'calcola',
  'rinnova',
  'attiva',
  'visualizza',
  'gestisci',
  'ricevi',
  'controlla',
]);
const INFINITIVE = /^[a-zà-ù]{3,}(are|ere|ire)$/i;
/** Words allowed in capitals inside a text: acronyms such as TARI, IMU, CIE, SUAP, COSAP. */
const ACRONYM_MAX_LETTERS = 5;
/** A text that is one word in capitals is an acronym only when short ("TARI"), not "MENSA". */
const LONE_ACRONYM_MAX_LETTERS = 4;

function letters(text: string): string {
  return text.replace(/[^A-Za-zÀ-ÖØ-öø-ÿ]/g, '');
}

/**
 * True when the text is written in capitals beyond initials and acronyms: a long word in capitals
 * ("SCOLASTICI"), or several words all in capitals. A lone acronym ("TARI") is fine.
 */
export function isShouting(text: string): boolean {
  const words = text.split(/\s+/).map(letters).filter(Boolean);
  const isUpper = (word: string) => word === word.toUpperCase() && word !== word.toLowerCase();
  if (words.some((word) => word.length > ACRONYM_MAX_LETTERS && isUpper(word))) return true;
  if (words.length === 1) return words[0]!.length > LONE_ACRONYM_MAX_LETTERS && isUpper(words[0]!);
  return words.every(isUpper) && letters(text).length >= 4;
}

function checkHttpUrl(
  issues: CardIssue[],
  field: string,
  value: string | undefined,
  required: boolean,
): void {
  if (!value) {
    if (required) issues.push({ field, message: `${field}: obbligatorio` });
    return;
  }
  if (!HTTP_URL.test(value))
    issues.push({ field, message: `${field}: deve essere un indirizzo http(s) valido` });
}

/** Validates `;`-separated IPv4 CIDRs; a catch-all 0.0.0.0/0 defeats the point of the list and is refused. */
export function cidrIssues(value: string): string[] {
  const problems: string[] = [];
  const parts = value
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return ['almeno un indirizzo IP/CIDR'];
  for (const part of parts) {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(part);
    const octets = match?.slice(1, 5).map(Number);
    const prefix = match ? Number(match[5]) : NaN;
    if (!match || octets!.some((o) => o > 255) || prefix > 32) {
      problems.push(`"${part}" non è un CIDR IPv4 (es. 192.168.10.11/32)`);
    } else if (prefix === 0) {
      problems.push(`"${part}" autorizzerebbe qualunque indirizzo`);
    }
  }
  return problems;
}

export function serviceCardIssues(
  card: ServiceCard,
  expected?: { organizationFiscalCode: string },
): CardIssue[] {
  const issues: CardIssue[] = [];
  const push = (field: string, message: string) => issues.push({ field, message: `${field}: ${message}` });

  const name = card.service_name;
  if (name.length > CARD_LIMITS.nameMax) push('service_name', `al massimo ${CARD_LIMITS.nameMax} caratteri`);
  if (isShouting(name)) push('service_name', 'non scrivere in maiuscolo (solo iniziali e sigle, es. TARI)');
  const firstWord = (name.split(/\s+/)[0] ?? '').toLowerCase();
  if (VERB_FIRST_WORDS.has(firstWord) || INFINITIVE.test(firstWord)) {
    push(
      'service_name',
      `usare un sostantivo, non un verbo (es. "Prenotazione sale comunali", non "${name}")`,
    );
  }

  const org = card.organization_name;
  // A kind of body followed by its name ("Comune di Varese"); `\b` would not work after "à".
  if (!/^(comune|città|citta|unione|comunità|comunita|consorzio)\s+\S/iu.test(org)) {
    push('organization_name', 'indicare il nome completo dell’ente (es. "Comune di Varese", non "Varese")');
  }
  if (isShouting(org)) push('organization_name', 'non scrivere in maiuscolo');

  if (!validateOrganizationFiscalCode(card.organization_fiscal_code)) {
    push('organization_fiscal_code', 'codice fiscale dell’ente non valido (11 cifre con cifra di controllo)');
  } else if (expected && card.organization_fiscal_code !== expected.organizationFiscalCode) {
    push('organization_fiscal_code', 'non corrisponde al codice fiscale del Comune');
  }

  const description = card.description;
  if (description.length < CARD_LIMITS.descriptionMin) {
    push('description', `descrivere il servizio in almeno ${CARD_LIMITS.descriptionMin} caratteri`);
  }
  if (description.length > CARD_LIMITS.descriptionMax) {
    push('description', `al massimo ${CARD_LIMITS.descriptionMax} caratteri`);
  }
  if (isShouting(description)) push('description', 'non scrivere in maiuscolo');

  checkHttpUrl(issues, 'privacy_url', card.privacy_url, true);
  for (const field of ['support_url', 'tos_url', 'web_url', 'app_ios', 'app_android'] as const) {
    checkHttpUrl(issues, field, card[field], false);
  }
  if (!card.phone && !card.email && !card.pec && !card.support_url) {
    push('contacts', 'almeno un contatto tra telefono, email, PEC e URL di supporto');
  }
  if (card.email && !EMAIL.test(card.email)) push('email', 'indirizzo email non valido');
  if (card.pec && !EMAIL.test(card.pec)) push('pec', 'indirizzo PEC non valido');
  if (card.phone && !PHONE.test(card.phone)) push('phone', 'numero di telefono non valido');
  if (card.address && card.address.length > CARD_LIMITS.addressMax) {
    push('address', `al massimo ${CARD_LIMITS.addressMax} caratteri`);
  }
  if (card.address && isShouting(card.address)) push('address', 'non scrivere in maiuscolo');
  if (card.service_scope !== 'local') push('service_scope', 'per un Comune l’ambito è locale');
  for (const problem of cidrIssues(card.authorized_cidrs)) push('authorized_cidrs', problem);
  return issues;
}
