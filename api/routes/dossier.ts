import { WorkflowNotFoundError } from '@temporalio/client';
import { getJourneyFactsQuery, type ComuneState, type JourneyFacts } from '../../contracts/comune';
import { serviceDocumentKey, type JourneyFactsDocument } from '../../contracts/read-model';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import { getServiceStateQuery, type ServiceState } from '../../contracts/service';
import { buildDossier, type Dossier } from '../../domain/dossier';
import { parties, serviceStatuses, stages } from '../../domain/journey-model';
import type { ApiContext } from '../context';
import { dossierCsv, dossierPdf, itInstant } from '../dossier-documents';
import type { ApiBuilder } from '../endpoint';
import { freshnessSchema, type Freshness } from '../freshness';
import { fromReadModel, readComune } from '../journey-view';
import { HttpProblem } from '../problem';
import { temporalCall } from '../temporal-errors';
import { z } from '../zod';
import { ipaParam } from './params';

/**
 * The funding dossier of one Comune (issue #14): the evidence for the PNRR 1.4.3 claim, built from the journey's
 * records (domain/dossier.ts) as JSON, CSV or a printable PDF. Reads the Comune, the facts of its input and each
 * service's state from the read model the worker writes; a document missing there is asked of its workflow with a
 * query (closed workflows answer them too). Nothing secret: no manage key, no fingerprint.
 */

const partyTimeSchema = z.object({
  party: z.enum(parties),
  partyLabel: z.string(),
  ms: z.number(),
  days: z.number(),
});

const dossierSchema = z
  .object({
    freshness: freshnessSchema,
    title: z.string(),
    generatedAt: z.string(),
    complete: z.boolean(),
    statusLabel: z.string().openapi({ description: '«concluso» o «non concluso»' }),
    comune: z.object({
      name: z.string(),
      ipaCode: z.string(),
      fiscalCode: z.string().optional(),
      istatCode: z.string().optional(),
      province: z.string(),
      population: z.number(),
      band: z.object({ id: z.string(), label: z.string(), eurPerService: z.number() }),
    }),
    contract: z.object({
      contractDate: z.string().optional(),
      deadline: z.string(),
      initialDeadline: z.string().optional(),
      completedAt: z.string().optional(),
      pastDeadline: z.boolean(),
      daysLate: z.number().optional(),
      timeliness: z
        .string()
        .openapi({ description: '«entro i termini», «in ritardo di N giorni», «non concluso»' }),
    }),
    services: z.array(
      z.object({
        slug: z.string(),
        name: z.string(),
        status: z.enum(serviceStatuses),
        statusLabel: z.string(),
        started: z.boolean(),
        ioServiceId: z.string().optional(),
        topicId: z.number().optional(),
        topic: z.string().optional(),
        firstSubmittedAt: z.string().optional(),
        rejections: z.array(
          z.object({ round: z.number(), at: z.string(), reason: z.string(), by: z.string().optional() }),
        ),
        approvedAt: z.string().optional(),
        approvedBy: z.string().optional(),
        publishedAt: z.string().optional(),
        approvedDaysLate: z.number().optional(),
        reviewWait: partyTimeSchema,
        correctionWait: partyTimeSchema,
      }),
    ),
    lateServices: z.array(
      z.object({ slug: z.string(), name: z.string(), approvedAt: z.string(), daysLate: z.number() }),
    ),
    funding: z.object({
      fundedServices: z.number(),
      maxFundedServices: z.number(),
      eurPerService: z.number(),
      amountEur: z.number(),
      journeySecuredEur: z.number(),
      agreesWithJourney: z.boolean(),
    }),
    signedForm: z
      .object({
        signerName: z.string(),
        signerFiscalCode: z.string().optional(),
        signingTime: z.string().optional(),
        sha256: z.string(),
        recordedAt: z.string(),
        recordedBy: z.string(),
      })
      .optional(),
    manualSteps: z.array(
      z.object({
        at: z.string(),
        step: z.string(),
        actor: z.string(),
        detail: z.string().optional(),
        service: z.string().optional(),
      }),
    ),
    waiting: z.object({
      stages: z.array(
        z.object({
          stage: z.enum(stages),
          label: z.string(),
          from: z.string(),
          to: z.string().optional(),
          ms: z.number(),
          days: z.number(),
          waitsOn: z.enum(parties),
          waitsOnLabel: z.string(),
        }),
      ),
      byParty: z.array(partyTimeSchema),
    }),
    missing: z.array(z.string()),
  })
  .openapi('FundingDossier');

/** Services read at once from Temporal: a Comune has at most 50. */
const SERVICE_READS_AT_ONCE = 10;

async function readDossier(
  ctx: ApiContext,
  ipa: string,
): Promise<{ dossier: Dossier; freshness: Freshness }> {
  let state: ComuneState;
  let freshness: Freshness;
  try {
    ({ state, freshness } = await readComune(ctx, ipa));
  } catch (err) {
    if (err instanceof HttpProblem && err.status === 404)
      throw new HttpProblem(404, 'Comune non trovato', `nessun percorso per il codice IPA «${ipa}»`);
    throw err;
  }
  // From the read model, as the pages are (api/journey-view.ts); a journey started before 0.10.0 that has not run
  // since, or a document unreadable, is asked with a query.
  const written = await fromReadModel<JourneyFactsDocument>(ctx, ipa, 'facts');
  const facts =
    (written && factsOf(written.value)) ??
    (await temporalCall(() =>
      ctx.client.workflow.getHandle(comuneWorkflowId(ipa)).query(getJourneyFactsQuery),
    ));
  const services = new Map<string, ServiceState>();
  const slugs = state.services.map((s) => s.slug);
  for (let i = 0; i < slugs.length; i += SERVICE_READS_AT_ONCE) {
    const batch = await Promise.all(
      slugs.slice(i, i + SERVICE_READS_AT_ONCE).map(
        async (slug) =>
          (await fromReadModel<ServiceState>(ctx, ipa, serviceDocumentKey(slug)))?.value ??
          temporalCall(() =>
            ctx.client.workflow
              .getHandle(serviceWorkflowId(ipa, slug))
              .query(getServiceStateQuery)
              // A service whose workflow never started: the dossier reads it from the Comune's summary.
              .catch((err: unknown) => {
                if (err instanceof WorkflowNotFoundError) return undefined;
                throw err;
              }),
          ),
      ),
    );
    for (const own of batch) if (own) services.set(own.slug, own);
  }
  const dossier = buildDossier({ state, facts, services, generatedAt: new Date().toISOString() });
  return { dossier, freshness };
}

/** The dossier's facts: the input's, without the escalation ladder the document also carries. */
function factsOf({ escalationLadderDays: _ladder, ...facts }: JourneyFactsDocument): JourneyFacts {
  return facts;
}

/** The day in Rome, for the file names. */
const romeDay = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome' }).format(new Date());

export function registerDossierRoutes(api: ApiBuilder, ctx: ApiContext): void {
  api.add({
    method: 'get',
    path: '/comuni/:ipa/dossier',
    summary:
      'Fascicolo per la richiesta dei fondi PNRR 1.4.3 di un Comune: i dati (JSON, o CSV con format=csv)',
    description:
      'Dal percorso registrato: il Comune e la sua fascia, contratto, scadenza e conclusione, ogni servizio (ID IO, ' +
      'argomento, invii, rifiuti con motivo, approvazione e pubblicazione), i fondi, il modulo firmato, i passi ' +
      'registrati dal personale e i tempi di attesa per fase. Un Comune non concluso è «non concluso», con cosa manca. ' +
      'Con `format=csv`: UTF-8 con BOM, separato da `;`, una riga per servizio con le colonne del Comune.',
    tags: ['Comuni'],
    role: 'staff',
    params: ipaParam,
    query: z.object({
      format: z
        .enum(['json', 'csv'], { error: 'formato: json oppure csv' })
        .default('json')
        .openapi({ description: 'json (predefinito) o csv' }),
    }),
    response: dossierSchema,
    alsoCsv: true,
    errors: { 404: 'Comune non trovato' },
    handler: async ({ params, query, res }) => {
      res.locals.workflowId = comuneWorkflowId(params.ipa);
      const { dossier, freshness } = await readDossier(ctx, params.ipa);
      if (query.format === 'csv') {
        res
          .status(200)
          .type('text/csv; charset=utf-8')
          .setHeader('Content-Disposition', `attachment; filename="fascicolo-${params.ipa}-${romeDay()}.csv"`)
          .send(dossierCsv(dossier));
        return undefined;
      }
      return { freshness, ...dossier };
    },
  });

  api.add({
    method: 'get',
    path: '/comuni/:ipa/dossier.pdf',
    summary: 'Fascicolo per la richiesta dei fondi PNRR 1.4.3 di un Comune, in PDF da stampare',
    tags: ['Comuni'],
    role: 'staff',
    params: ipaParam,
    response: 'pdf',
    errors: { 404: 'Comune non trovato' },
    handler: async ({ params, res }) => {
      res.locals.workflowId = comuneWorkflowId(params.ipa);
      const { dossier, freshness } = await readDossier(ctx, params.ipa);
      const pdf = await dossierPdf(dossier, {
        ...(freshness.source === 'cache'
          ? { freshnessNote: `Stato del Comune al ${itInstant(freshness.asOf)} (ultimo noto).` }
          : {}),
      });
      res.setHeader('Content-Disposition', `attachment; filename="fascicolo-${params.ipa}-${romeDay()}.pdf"`);
      return pdf;
    },
  });
}
