import { z } from 'zod';
import { type Block, fields, heading, link, p, renderDocument, steps, type RenderedEmail } from '../document';
import { formatDateIt } from '../format';
import {
  baseDataSchema,
  delegateSchema,
  httpUrlSchema,
  isoDateSchema,
  missingItemsSchema,
  scenarioSchema,
} from '../schemas';
import { closingForComune, comuneFields, comuneLabel, delegateFields, missingList } from './common';
import { DEFAULT_LINK_VALIDITY_DAYS, briefScenarioSteps, defaultAwaitedItems } from './scenario';

/**
 * `signed_form_link_expired`: to the Comune and staff. Selfcare's link expired before the signed
 * .p7m was uploaded, so the Selfcare request must be made again.
 */
export const signedFormLinkExpiredDataSchema = baseDataSchema.extend({
  scenario: scenarioSchema,
  delegate: delegateSchema,
  /** When the Selfcare request was made (the PEC with the link was sent). */
  requestedAt: isoDateSchema,
  expiredAt: isoDateSchema.optional(),
  linkValidityDays: z.number().int().min(1).max(365).optional(),
  /** Defaults to the scenario's steps. */
  missing: missingItemsSchema.optional(),
  trackingFormUrl: httpUrlSchema.optional(),
  guideUrl: httpUrlSchema.optional(),
});
export type SignedFormLinkExpiredData = z.infer<typeof signedFormLinkExpiredDataSchema>;

export function renderSignedFormLinkExpired(input: SignedFormLinkExpiredData): RenderedEmail {
  const data = signedFormLinkExpiredDataSchema.parse(input);
  const options = { trackingFormUrl: data.trackingFormUrl, linkValidityDays: data.linkValidityDays };
  const validity = data.linkValidityDays ?? DEFAULT_LINK_VALIDITY_DAYS;
  const missing = data.missing ?? defaultAwaitedItems(data.scenario, data.delegate, options);
  const expired = data.expiredAt ? ` il ${formatDateIt(data.expiredAt)}` : '';

  const blocks: Block[] = [
    fields([...comuneFields(data.comune), ['Richiesta su Selfcare del', formatDateIt(data.requestedAt)]]),
    p('Gentili,'),
    p(
      `vi informiamo che il link inviato da Selfcare via PEC a seguito della richiesta del ` +
        `${formatDateIt(data.requestedAt)} è scaduto${expired}: sono trascorsi ${validity} giorni senza che ` +
        'fosse caricato il modulo firmato digitalmente dal Sindaco (file .p7m).',
    ),
    p(
      'La richiesta non è più valida e ',
      { strong: 'deve essere ripetuta' },
      ': vi chiediamo pertanto di svolgere nuovamente la procedura, che riepiloghiamo di seguito.',
    ),
    heading('Come ripetere la richiesta'),
    steps(briefScenarioSteps(data.scenario, options)),
    heading('Dati della persona da inserire come Amministratore'),
    delegateFields(data.delegate),
    ...missingList('Cosa resta da fare', missing),
  ];
  if (data.guideUrl) {
    blocks.push(
      p('Una guida operativa con le schermate di ciascun passaggio è disponibile qui: ', link(data.guideUrl)),
    );
  }
  blocks.push(...closingForComune(data));
  return renderDocument({
    subject: `App IO – Link Selfcare scaduto: è necessario ripetere la richiesta – ${comuneLabel(data.comune)}`,
    blocks,
  });
}
