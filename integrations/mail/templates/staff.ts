import { z } from 'zod';
import {
  type Block,
  bullets,
  fields,
  heading,
  p,
  quote,
  renderDocument,
  type RenderedEmail,
} from '../document';
import { formatDateIt, formatDays, formatEuro } from '../format';
import {
  baseDataSchema,
  httpUrlSchema,
  isoDateSchema,
  missingItemsSchema,
  multiLineSchema,
  singleLineSchema,
} from '../schemas';
import { closingInternal, comuneFields, comuneLabel, detailsLink, missingList } from './common';

/** `staff_alert`: to staff, a Comune that needs a person (e.g. no answer after the second reminder). */
export const staffAlertDataSchema = baseDataSchema.extend({
  /** What happened, e.g. "nessuna risposta dopo il secondo sollecito". */
  alert: singleLineSchema,
  stage: singleLineSchema.optional(),
  missing: missingItemsSchema,
  requestedAt: isoDateSchema.optional(),
  daysSinceRequest: z.number().int().min(0).optional(),
  remindersSent: z.number().int().min(0).optional(),
  suggestedAction: multiLineSchema.optional(),
  detailsUrl: httpUrlSchema.optional(),
});
export type StaffAlertData = z.infer<typeof staffAlertDataSchema>;

export function renderStaffAlert(input: StaffAlertData): RenderedEmail {
  const data = staffAlertDataSchema.parse(input);
  const blocks: Block[] = [
    p('Buongiorno,'),
    p('si segnala la seguente situazione, che richiede un vostro intervento.'),
    fields([
      ...comuneFields(data.comune),
      ['Segnalazione', data.alert],
      ['Fase', data.stage],
      ['Data della richiesta', data.requestedAt && formatDateIt(data.requestedAt)],
      [
        'Tempo trascorso',
        data.daysSinceRequest === undefined ? undefined : formatDays(data.daysSinceRequest),
      ],
      ['Promemoria inviati', data.remindersSent === undefined ? undefined : String(data.remindersSent)],
    ]),
    ...missingList('Elementi ancora mancanti', data.missing),
  ];
  if (data.suggestedAction) blocks.push(heading('Azione suggerita'), p(data.suggestedAction));
  blocks.push(...detailsLink(data.detailsUrl), ...closingInternal(data));
  return renderDocument({
    subject: `Segnalazione: ${data.alert} – ${comuneLabel(data.comune)}`,
    blocks,
  });
}

/** PagoPA's wording for a refused publication. */
export const PAGOPA_REJECTED_STATUS = 'dati incompleti o incorretti';

/** `service_rejected`: to staff, PagoPA's review refused a service's publication. */
export const serviceRejectedDataSchema = baseDataSchema.extend({
  serviceName: singleLineSchema,
  serviceId: singleLineSchema.optional(),
  /** The reason text from the review (`status.reason`). */
  reason: multiLineSchema,
  /** 1 for the first review of the service, 2 after the first correction, ... */
  round: z.number().int().min(1).max(99),
  rejectedAt: isoDateSchema.optional(),
  /** What to correct in the service card. */
  missing: missingItemsSchema,
  detailsUrl: httpUrlSchema.optional(),
});
export type ServiceRejectedData = z.infer<typeof serviceRejectedDataSchema>;

export function renderServiceRejected(input: ServiceRejectedData): RenderedEmail {
  const data = serviceRejectedDataSchema.parse(input);
  const blocks: Block[] = [
    p('Buongiorno,'),
    p(
      `la revisione n. ${data.round} del servizio «${data.serviceName}» si è conclusa con l'esito ` +
        `«${PAGOPA_REJECTED_STATUS}»: il team di revisione di PagoPA non ne ha approvato la pubblicazione.`,
    ),
    fields([
      ...comuneFields(data.comune),
      ['Servizio', data.serviceName],
      ['Identificativo del servizio', data.serviceId],
      ['Revisione n.', String(data.round)],
      ['Esito', PAGOPA_REJECTED_STATUS],
      ["Data dell'esito", data.rejectedAt && formatDateIt(data.rejectedAt)],
    ]),
    heading('Motivazione indicata da PagoPA'),
    quote(data.reason),
    ...missingList('Correzioni da apportare', data.missing),
    p(
      'Dopo aver corretto la scheda del servizio nel back office di IO, è necessario inviare nuovamente ' +
        `la richiesta di pubblicazione (revisione n. ${data.round + 1}).`,
    ),
  ];
  if (data.round >= 2) {
    blocks.push(
      p(
        `Si tratta del ${data.round}° esito negativo per questo servizio: si consiglia di verificare con ` +
          'il Comune i dati della scheda prima del nuovo invio.',
      ),
    );
  }
  blocks.push(...detailsLink(data.detailsUrl), ...closingInternal(data));
  return renderDocument({
    subject:
      `Servizio non approvato da PagoPA (revisione n. ${data.round}): «${data.serviceName}» – ` +
      comuneLabel(data.comune),
    blocks,
  });
}

/**
 * `service_unpublished`: to staff and managers, the watch after completion found services no longer visible in App
 * IO (unpublished, deleted, back in review), or visible again. Those not visible no longer count as secured.
 */
export const serviceUnpublishedDataSchema = baseDataSchema.extend({
  /** Each service whose visibility changed, with what PagoPA shows now. */
  changes: z
    .array(z.object({ serviceName: singleLineSchema, what: singleLineSchema, visible: z.boolean() }))
    .min(1)
    .max(50),
  servicesActive: z.number().int().min(0),
  servicesTotal: z.number().int().min(0),
  fundingSecuredEur: z.number().min(0),
  eurPerService: z.number().min(0),
  detailsUrl: httpUrlSchema.optional(),
});
export type ServiceUnpublishedData = z.infer<typeof serviceUnpublishedDataSchema>;

export function renderServiceUnpublished(input: ServiceUnpublishedData): RenderedEmail {
  const data = serviceUnpublishedDataSchema.parse(input);
  const lost = data.changes.filter((c) => !c.visible);
  const back = data.changes.filter((c) => c.visible);
  const blocks: Block[] = [p('Buongiorno,')];
  if (lost.length > 0) {
    blocks.push(
      p(
        lost.length === 1
          ? 'il controllo periodico dei servizi pubblicati ha rilevato un servizio non più visibile in App IO.'
          : `il controllo periodico dei servizi pubblicati ha rilevato ${lost.length} servizi non più visibili in App IO.`,
      ),
      p(
        `Finché non sono di nuovo pubblicati non contano tra quelli finanziati: ${formatEuro(data.eurPerService)} ` +
          'in meno per ciascuno.',
      ),
    );
  } else {
    blocks.push(
      p('il controllo periodico dei servizi pubblicati ha rilevato servizi di nuovo visibili in App IO.'),
    );
  }
  blocks.push(
    fields([
      ...comuneFields(data.comune),
      ['Servizi attivi', `${data.servicesActive} su ${data.servicesTotal}`],
      ['Finanziamento garantito', formatEuro(data.fundingSecuredEur)],
    ]),
    heading('Servizi'),
    bullets([
      ...lost.map((c) => `${c.serviceName}: ${c.what}`),
      ...back.map((c) => `${c.serviceName}: di nuovo visibile in App IO`),
    ]),
  );
  if (lost.length > 0) {
    blocks.push(
      heading('Azione suggerita'),
      p('Verificare sul back office IO perché il servizio non è più pubblicato e ripubblicarlo.'),
    );
  }
  blocks.push(...detailsLink(data.detailsUrl), ...closingInternal(data));
  return renderDocument({
    subject:
      lost.length > 0
        ? `Servizi non più visibili in App IO – ${comuneLabel(data.comune)}`
        : `Servizi di nuovo visibili in App IO – ${comuneLabel(data.comune)}`,
    blocks,
  });
}
