import { z } from 'zod';
import { type Block, bullets, fields, heading, p, renderDocument, type RenderedEmail } from '../document';
import { formatDateIt, formatDays, ordinalMasculine, upperFirst } from '../format';
import {
  baseDataSchema,
  isoDateSchema,
  missingItemsSchema,
  multiLineSchema,
  singleLineSchema,
} from '../schemas';
import { MEASURE, closingForComune, comuneFields, comuneLabel } from './common';

/** `reminder`: to the Comune, what is still awaited at the current stage. */
export const reminderDataSchema = baseDataSchema.extend({
  /** The stage the Comune is at, e.g. "firma digitale del modulo di nomina". */
  stage: singleLineSchema,
  /** When the request was first sent. */
  requestedAt: isoDateSchema,
  daysSinceRequest: z.number().int().min(0),
  /** 1 for the first reminder (the subject says "Promemoria"), 2 for "Secondo promemoria", ... */
  reminderNumber: z.number().int().min(1).max(99).optional(),
  missing: missingItemsSchema,
  /** What happens once the missing items arrive, or what the Comune should do next. */
  nextStep: multiLineSchema,
  replyBy: isoDateSchema.optional(),
});
export type ReminderData = z.infer<typeof reminderDataSchema>;

export function reminderLabel(reminderNumber: number): string {
  return reminderNumber <= 1 ? 'Promemoria' : `${upperFirst(ordinalMasculine(reminderNumber))} promemoria`;
}

export function renderReminder(input: ReminderData): RenderedEmail {
  const data = reminderDataSchema.parse(input);
  const label = reminderLabel(data.reminderNumber ?? 1);
  const since =
    data.daysSinceRequest === 0
      ? 'In data odierna'
      : `A ${formatDays(data.daysSinceRequest)} dalla richiesta`;

  const blocks: Block[] = [
    fields([...comuneFields(data.comune), ['Fase', data.stage]]),
    p('Gentili,'),
    p(
      `vi ricordiamo che in data ${formatDateIt(data.requestedAt)} vi abbiamo inviato una richiesta ` +
        `nell'ambito della ${MEASURE}. ${since}, per la fase «${data.stage}» risultano ancora mancanti ` +
        'i seguenti elementi:',
    ),
    bullets(data.missing),
    heading('Prossimo passo'),
    p(data.nextStep),
  ];
  if (data.replyBy) {
    blocks.push(
      p(
        `Vi chiediamo cortesemente di provvedere entro il ${formatDateIt(data.replyBy)}, così da rispettare ` +
          'le scadenze del progetto.',
      ),
    );
  }
  blocks.push(
    p('Se avete già provveduto, vi preghiamo di non tenere conto di questa comunicazione.'),
    ...closingForComune(data),
  );
  return renderDocument({
    subject: `${label}: App IO – ${upperFirst(data.stage)} – ${comuneLabel(data.comune)}`,
    blocks,
  });
}
