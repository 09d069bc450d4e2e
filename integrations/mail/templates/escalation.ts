import { z } from 'zod';
import { type Block, fields, heading, p, renderDocument, type RenderedEmail } from '../document';
import { formatDateIt, formatDays, formatEuro } from '../format';
import {
  baseDataSchema,
  httpUrlSchema,
  isoDateSchema,
  missingItemsSchema,
  multiLineSchema,
  singleLineSchema,
} from '../schemas';
import { MEASURE, closingInternal, comuneFields, comuneLabel, detailsLink, missingList } from './common';

const euroAmount = z.number().finite().min(0);

/** `manager_escalation`: to managers, a Comune whose completion (and funding) is at risk. */
export const managerEscalationDataSchema = baseDataSchema
  .extend({
    /** The project deadline for this Comune. */
    deadline: isoDateSchema,
    /** Days left; 0 on the day, negative once the deadline has passed. */
    daysToDeadline: z.number().int(),
    stage: singleLineSchema.optional(),
    missing: missingItemsSchema,
    servicesActive: z.number().int().min(0),
    servicesTotal: z.number().int().min(0),
    fundingAtRiskEur: euroAmount,
    /** Funding no longer obtainable (services not active when the deadline passed). */
    fundingLostEur: euroAmount.optional(),
    reason: multiLineSchema.optional(),
    detailsUrl: httpUrlSchema.optional(),
  })
  .refine((d) => d.servicesActive <= d.servicesTotal, {
    message: 'servicesActive cannot exceed servicesTotal',
    path: ['servicesActive'],
  });
export type ManagerEscalationData = z.infer<typeof managerEscalationDataSchema>;

/** "mancano 12 giorni", "la scadenza è oggi", "scadenza superata da 3 giorni". */
export function deadlineStatus(daysToDeadline: number): string {
  if (daysToDeadline > 1) return `mancano ${daysToDeadline} giorni`;
  if (daysToDeadline === 1) return 'manca 1 giorno';
  if (daysToDeadline === 0) return 'la scadenza è oggi';
  return `scadenza superata da ${formatDays(-daysToDeadline)}`;
}

function subjectStatus(daysToDeadline: number): string {
  if (daysToDeadline < 0) return 'scadenza superata';
  if (daysToDeadline === 0) return 'scadenza oggi';
  return `${formatDays(daysToDeadline)} alla scadenza`;
}

export function renderManagerEscalation(input: ManagerEscalationData): RenderedEmail {
  const data = managerEscalationDataSchema.parse(input);
  const late = data.daysToDeadline < 0;
  const blocks: Block[] = [
    p('Buongiorno,'),
    p(
      late
        ? `si segnala un ente che non ha completato le attività della ${MEASURE} entro la scadenza.`
        : `si segnala un ente per il quale il completamento delle attività della ${MEASURE} entro la scadenza ` +
            'è a rischio.',
    ),
    fields([
      ...comuneFields(data.comune),
      ['Scadenza', `${formatDateIt(data.deadline)} (${deadlineStatus(data.daysToDeadline)})`],
      ['Fase', data.stage],
      ['Servizi attivi', `${data.servicesActive} su ${data.servicesTotal}`],
      ['Finanziamento a rischio', formatEuro(data.fundingAtRiskEur)],
      [
        'Finanziamento non più conseguibile',
        data.fundingLostEur === undefined ? undefined : formatEuro(data.fundingLostEur),
      ],
    ]),
    ...missingList('Elementi ancora mancanti', data.missing),
  ];
  if (data.reason) blocks.push(heading('Motivo della segnalazione'), p(data.reason));
  blocks.push(
    p(
      'Il finanziamento è riconosciuto solo quando tutti i servizi sono stati approvati da PagoPA e sono ' +
        'visibili nella App IO.',
    ),
    ...detailsLink(data.detailsUrl),
    ...closingInternal(data),
  );
  return renderDocument({
    subject: `Escalation App IO: ${subjectStatus(data.daysToDeadline)} – ${comuneLabel(data.comune)}`,
    blocks,
  });
}
