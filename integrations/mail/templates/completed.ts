import { z } from 'zod';
import { bullets, fields, heading, p, renderDocument, type RenderedEmail } from '../document';
import { formatDateIt } from '../format';
import { baseDataSchema, isoDateSchema, singleLineSchema } from '../schemas';
import { MEASURE, closingForComune, comuneFields, comuneLabel } from './common';

/**
 * `journey_completed`: to the Comune (copy to staff) once every service is approved and published on App IO: the
 * Comune learns that its part is done and what counts for the funding.
 */
export const journeyCompletedDataSchema = baseDataSchema.extend({
  completedAt: isoDateSchema,
  /** The services now visible in App IO, by name. */
  services: z.array(singleLineSchema).min(1).max(100),
  /** The contract deadline, when the journey ended before it. */
  deadline: isoDateSchema.optional(),
});
export type JourneyCompletedData = z.infer<typeof journeyCompletedDataSchema>;

export function renderJourneyCompleted(input: JourneyCompletedData): RenderedEmail {
  const data = journeyCompletedDataSchema.parse(input);
  const count = data.services.length;
  const servicesPhrase = count === 1 ? '1 servizio è attivo' : `${count} servizi sono attivi`;
  return renderDocument({
    subject: `App IO – Percorso completato: ${servicesPhrase} – ${comuneLabel(data.comune)}`,
    blocks: [
      fields([
        ...comuneFields(data.comune),
        ['Completato il', formatDateIt(data.completedAt)],
        ...(data.deadline
          ? ([['Scadenza contrattuale', formatDateIt(data.deadline)]] as [string, string][])
          : []),
      ]),
      p('Gentili,'),
      p(
        `siamo lieti di comunicarvi che il percorso di attivazione su App IO è completato: ${servicesPhrase} ` +
          'e visibili ai cittadini nell’app, dopo la verifica e la pubblicazione da parte di PagoPA.',
      ),
      heading('Servizi attivi su App IO'),
      bullets(data.services),
      p(
        `Sono questi i servizi che concorrono al finanziamento della ${MEASURE}. Non è richiesta ` +
          'alcuna ulteriore azione da parte vostra; vi aggiorneremo se PagoPA dovesse segnalarci modifiche.',
      ),
      ...closingForComune(data),
    ],
  });
}
