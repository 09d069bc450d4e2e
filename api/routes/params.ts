import { z } from '../zod';

const ipa = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{2,20}$/, 'codice IPA: da 2 a 20 lettere, cifre o trattini bassi');

export const ipaParam = z.object({ ipa });
export const serviceParams = z.object({
  ipa,
  slug: z.string().regex(/^[a-z0-9-]{2,60}$/, 'identificativo del servizio (slug)'),
});
