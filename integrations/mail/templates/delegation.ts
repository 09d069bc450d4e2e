import { z } from 'zod';
import {
  type Block,
  fields,
  heading,
  link,
  p,
  renderDocument,
  steps,
  type RenderedEmail,
  ui,
} from '../document';
import { formatDateIt } from '../format';
import {
  type Scenario,
  baseDataSchema,
  delegateSchema,
  httpUrlSchema,
  isoDateSchema,
  missingItemsSchema,
} from '../schemas';
import { MEASURE, comuneFields, comuneLabel, closingForComune, delegateFields, missingList } from './common';
import { defaultAwaitedItems, scenarioSteps } from './scenario';

/**
 * `delegation_instructions_a` / `_b`: to the Segretario comunale, cc the Sindaco. How to appoint the
 * partner's delegate as IO "Amministratore" on Selfcare.
 */
export const delegationInstructionsDataSchema = baseDataSchema.extend({
  delegate: delegateSchema,
  /** What the Comune still owes; defaults to the scenario's steps. */
  missing: missingItemsSchema.optional(),
  trackingFormUrl: httpUrlSchema.optional(),
  guideUrl: httpUrlSchema.optional(),
  /** A polite target date for completing the procedure. */
  replyBy: isoDateSchema.optional(),
  /** Validity of Selfcare's signed-form link, 30 days unless configured otherwise. */
  linkValidityDays: z.number().int().min(1).max(365).optional(),
});
export type DelegationInstructionsData = z.infer<typeof delegationInstructionsDataSchema>;

function render(scenario: Scenario, input: DelegationInstructionsData): RenderedEmail {
  const data = delegationInstructionsDataSchema.parse(input);
  const options = { trackingFormUrl: data.trackingFormUrl, linkValidityDays: data.linkValidityDays };
  const missing = data.missing ?? defaultAwaitedItems(scenario, data.delegate, options);

  const situation =
    scenario === 'A'
      ? [
          p(
            'Dalle nostre verifiche il vostro Ente risulta ',
            { strong: 'non ancora aderente' },
            " alla piattaforma IO nell'Area Riservata (Selfcare) di PagoPA: è pertanto necessario completare " +
              "l'intera procedura di adesione, indicando anche la persona da noi individuata come Amministratore.",
          ),
        ]
      : [
          p(
            'Dalle nostre verifiche il vostro Ente risulta ',
            { strong: 'già aderente' },
            " alla piattaforma IO nell'Area Riservata (Selfcare) di PagoPA: è sufficiente aggiungere " +
              'la persona da noi individuata come nuovo Amministratore.',
          ),
        ];

  const mismatchNote =
    scenario === 'A'
      ? p(
          "Qualora, accedendo, la pagina segnalasse che l'Ente ha già aderito, è sufficiente cliccare su ",
          ui('Aggiungi un nuovo Amministratore'),
          ' e inserire i dati sopra indicati.',
        )
      : p(
          "Qualora, accedendo, la pagina non segnalasse l'avvenuta adesione, vi preghiamo di contattarci prima " +
            "di procedere: potrebbe essere necessario completare l'intera procedura di adesione.",
        );

  const blocks: Block[] = [
    p('Alla cortese attenzione del Segretario comunale\ne, per conoscenza, del Sindaco'),
    fields(comuneFields(data.comune)),
    p('Gentili,'),
    p(
      `nell'ambito della ${MEASURE}, ${data.partnerName} curerà per conto del vostro Ente la configurazione ` +
        'dei servizi digitali sulla App IO. A tal fine vi chiediamo di delegare il ruolo di «Amministratore» ' +
        'di IO alla persona da noi indicata, seguendo i passaggi riportati di seguito (la procedura richiede ' +
        'circa 10 minuti).',
    ),
    ...situation,
    heading('Come procedere'),
    steps(scenarioSteps(scenario, options)),
    heading('Dati della persona da inserire come Amministratore'),
    delegateFields(data.delegate),
    p(
      "Vi chiediamo di riportare l'indirizzo e-mail esattamente come indicato: è l'identificativo con cui " +
        'la persona delegata opererà nel back office di IO.',
    ),
    mismatchNote,
    ...missingList('Cosa resta da fare', missing),
  ];
  if (data.replyBy) {
    blocks.push(
      p(`Vi chiediamo cortesemente di completare la procedura entro il ${formatDateIt(data.replyBy)}.`),
    );
  }
  if (data.guideUrl) {
    blocks.push(
      p('Una guida operativa con le schermate di ciascun passaggio è disponibile qui: ', link(data.guideUrl)),
    );
  }
  blocks.push(...closingForComune(data));

  const subject =
    scenario === 'A'
      ? `App IO – Adesione e delega del ruolo di Amministratore – ${comuneLabel(data.comune)}`
      : `App IO – Delega del ruolo di Amministratore – ${comuneLabel(data.comune)}`;
  return renderDocument({ subject, blocks });
}

/** Scenario A: the Comune is not yet adherent to prod-io; full onboarding on Selfcare (prod-io). */
export const renderDelegationInstructionsA = (data: DelegationInstructionsData): RenderedEmail =>
  render('A', data);

/** Scenario B: the Comune is already adherent; only "Aggiungi un nuovo Amministratore". */
export const renderDelegationInstructionsB = (data: DelegationInstructionsData): RenderedEmail =>
  render('B', data);
