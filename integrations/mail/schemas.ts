import { z } from 'zod';
import { validatePersonalFiscalCode } from '../../domain/fiscal-code';

/**
 * Schemas shared by every template's input. Dates travel as ISO strings (the notifications are
 * Temporal activity payloads, i.e. JSON), so input and output types coincide.
 */

/** One line of text: no control characters (no header injection through a subject). */
export const singleLineSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]*$/u, 'must be a single line without control characters');

/** Free text that may span lines (a reason, a next step): tabs and line breaks only. */
export const multiLineSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u, 'must not contain control characters');

/** What is still awaited, one entry per bullet. */
export const missingItemsSchema = z.array(z.string().trim().min(1).max(500)).min(1).max(50);

/** A calendar date ("2026-11-23") or an instant with its offset ("2026-11-23T10:00:00Z"). */
export const isoDateSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const httpUrlSchema = z.url({ protocol: /^https?$/ });

export const emailSchema = z.email();

/** IPA codes are lower case: `c_l378` for Trento. */
export const ipaCodeSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{2,20}$/, 'invalid IPA code');

export const comuneSchema = z.object({
  /** The full denomination as in IPA: "Comune di Trento". */
  name: singleLineSchema,
  ipaCode: ipaCodeSchema,
});
export type Comune = z.infer<typeof comuneSchema>;

// Personal fiscal code (codice fiscale): format and check character, see domain/fiscal-code.
export const personalFiscalCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine(validatePersonalFiscalCode, 'invalid personal fiscal code');

/** The partner's staff member the Comune appoints as Selfcare "Amministratore". */
export const delegateSchema = z.object({
  firstName: singleLineSchema,
  lastName: singleLineSchema,
  fiscalCode: personalFiscalCodeSchema,
  email: emailSchema,
});
export type Delegate = z.infer<typeof delegateSchema>;

export const scenarioSchema = z.enum(['A', 'B']);
export type Scenario = z.infer<typeof scenarioSchema>;

/** The partner's contacts, printed in mails to the Comuni. */
export const contactsSchema = z.object({
  email: emailSchema.optional(),
  phone: singleLineSchema.optional(),
});

/** Every template's input has these. */
export const baseDataSchema = z.object({
  comune: comuneSchema,
  /** Signs the e-mail: "Consorzio dei Comuni Trentini". */
  partnerName: singleLineSchema,
  contacts: contactsSchema.optional(),
});
export type BaseData = z.infer<typeof baseDataSchema>;
