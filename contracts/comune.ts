import { z } from 'zod';
// define* are pure declarations: importing them from @temporalio/workflow is safe outside the sandbox.
import { defineQuery } from '@temporalio/workflow';

/**
 * The Comune journey's contract: input, state and messages, shared by the workflow, the API and the tests.
 * Imports nothing from workflow code, so the API can use it without bundling workflows.
 */

export const stages = [
  'adhesion_check',
  'delegation_requested',
  'awaiting_signed_form',
  'services',
  'completed',
  'withdrawn',
] as const;
export const stageSchema = z.enum(stages);
export type Stage = z.infer<typeof stageSchema>;

/** Labels people read in the console and e-mails. */
export const stageLabels: Record<Stage, string> = {
  adhesion_check: 'Verifica adesione',
  delegation_requested: 'Delega richiesta',
  awaiting_signed_form: 'In attesa del modulo firmato',
  services: 'Servizi in lavorazione',
  completed: 'Completato',
  withdrawn: 'Ritirato',
};

const personSchema = z.object({
  name: z.string().trim().min(2).max(120),
  email: z.email(),
});

export const comuneInputSchema = z.object({
  comune: z.object({
    ipaCode: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9_]{2,20}$/, 'IPA code: 2-20 letters, digits or underscores'),
    fiscalCode: z.string().regex(/^[0-9]{11}$/, 'organisation fiscal code: 11 digits'),
    istatCode: z.string().regex(/^[0-9]{6}$/, 'ISTAT code: 6 digits'),
    name: z.string().trim().min(2).max(120),
    province: z.string().regex(/^[A-Z]{2}$/, 'province: two capital letters (sigla)'),
    pec: z.email(),
    population: z.number().int().nonnegative(),
  }),
  contacts: z.object({
    secretary: personSchema,
    mayor: personSchema.extend({
      fiscalCode: z
        .string()
        .regex(/^[A-Z0-9]{16}$/i, 'personal fiscal code: 16 characters')
        .optional(),
    }),
  }),
  contractDate: z.iso.date(),
  /** The contract deadline as an instant (ISO 8601 with offset). */
  deadline: z.iso.datetime({ offset: true }),
});
export type ComuneInput = z.infer<typeof comuneInputSchema>;

export const comuneStateSchema = z.object({
  ipaCode: z.string(),
  name: z.string(),
  stage: stageSchema,
  deadline: z.string(),
  late: z.boolean(),
  lateSince: z.string().optional(),
});
export type ComuneState = z.infer<typeof comuneStateSchema>;

export const getComuneStateQuery = defineQuery<ComuneState>('getComuneState');
