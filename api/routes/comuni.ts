import { freshnessSchema, portfolioFreshness } from '../freshness';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import { parties } from '../../domain/journey-model';
import { comuneView, readComune, readServiceView } from '../journey-view';
import { restartWithdrawnComune, startComuneJourney } from '../../contracts/comune-start';
import { actorLabel } from '../auth/roles';
import { buildComuneInput } from '../import/registration';
import { HttpProblem } from '../problem';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { comuneListItemSchema, listFiltersSchema, sortItems, sortKeys } from '../portfolio';
import { portfolioReader } from '../portfolio-index';
import { temporalCall } from '../temporal-errors';
import { z } from '../zod';
import { ipaParam, serviceParams } from './params';

const listQuerySchema = listFiltersSchema.extend({
  sort: z.enum(sortKeys).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** A step the caller may take now, from the journey model (domain/journey-model.ts). */
const availableStepSchema = z
  .object({ id: z.string(), label: z.string(), method: z.enum(['post', 'put']), path: z.string() })
  .openapi('AvailableStep');

/** The workflow's state is the source of truth; documented by its main fields. */

const comuneStateSchema = z
  .object({
    freshness: freshnessSchema,
    ipaCode: z.string(),
    name: z.string(),
    stage: z.string(),
    scenario: z.enum(['A', 'B']).optional(),
    deadline: z.string(),
    late: z.boolean(),
    timeline: z.array(
      z.object({ at: z.string(), step: z.string(), actor: z.string(), detail: z.string().optional() }),
    ),
    services: z.array(
      z
        .object({
          slug: z.string(),
          name: z.string(),
          status: z.string(),
          availableSteps: z.array(availableStepSchema),
        })
        .loose(),
    ),
    funding: z.object({
      eurPerService: z.number(),
      securedEur: z.number(),
      atRiskEur: z.number(),
      lostEur: z.number(),
    }),
    missing: z.array(z.string()),
    waitsOn: z.enum(parties),
    availableSteps: z.array(availableStepSchema),
    temporalUiUrl: z.string(),
  })
  .loose()
  .openapi('ComuneState');

const serviceStateSchema = z
  .object({
    freshness: freshnessSchema,
    slug: z.string(),
    name: z.string(),
    status: z.string(),
    card: z.record(z.string(), z.unknown()),
    issues: z.array(z.object({ field: z.string(), message: z.string() })),
    rounds: z.array(
      z.object({ round: z.number(), submittedAt: z.string(), outcome: z.string().optional() }).loose(),
    ),
    started: z.boolean(),
    place: z.object({
      comuneStage: z.string(),
      comuneStageLabel: z.string(),
      waitsOn: z.enum(parties),
      waitingFor: z.string(),
      queue: z.object({ position: z.number(), of: z.number() }).optional(),
    }),
    availableSteps: z.array(availableStepSchema),
    temporalUiUrl: z.string(),
  })
  .loose()
  .openapi('ServiceState');

export function workflowUiUrl(ctx: ApiContext, workflowId: string): string {
  return `${ctx.temporalUiUrl}/namespaces/${encodeURIComponent(ctx.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function registerComuniRoutes(api: ApiBuilder, ctx: ApiContext): void {
  api.add({
    method: 'get',
    path: '/comuni',
    summary: 'Elenco dei Comuni, con filtri, ordinamento e paginazione',
    tags: ['Comuni'],
    role: 'staff',
    query: listQuerySchema,
    response: z.object({
      freshness: freshnessSchema,
      total: z.number(),
      limit: z.number(),
      offset: z.number(),
      items: z.array(comuneListItemSchema),
    }),
    handler: async ({ query }) => {
      const read = await portfolioReader(ctx).listFresh(query);
      const all = sortItems(read.items, query.sort, query.order);
      return {
        freshness: portfolioFreshness(read),
        total: all.length,
        limit: query.limit,
        offset: query.offset,
        items: all
          .slice(query.offset, query.offset + query.limit)
          .map(({ tasks: _tasks, population: _population, stageMs: _stageMs, ...item }) => item),
      };
    },
  });

  api.add({
    method: 'get',
    path: '/comuni/:ipa',
    summary: 'Stato completo di un Comune: fase, cronologia, servizi, scadenze, fondi',
    tags: ['Comuni'],
    role: 'staff',
    params: ipaParam,
    response: comuneStateSchema,
    errors: { 404: 'Comune non trovato' },
    handler: async ({ params, actor, res }) => {
      const workflowId = comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      const read = await readComune(ctx, params.ipa);
      const view = comuneView(read.state, actor.role);
      // The interface has no index signature; the schema documents its main fields and lets the rest through.
      return {
        ...view,
        freshness: read.freshness,
        temporalUiUrl: workflowUiUrl(ctx, workflowId),
      } as unknown as z.infer<typeof comuneStateSchema>;
    },
  });

  api.add({
    method: 'get',
    path: '/comuni/:ipa/services/:slug',
    summary:
      'Stato di un servizio: scheda, problemi, esiti delle revisioni, posto nel percorso; anche prima che parta',
    tags: ['Servizi'],
    role: 'staff',
    params: serviceParams,
    response: serviceStateSchema,
    errors: { 404: 'Servizio non trovato' },
    handler: async ({ params, actor, res }) => {
      const view = await readServiceView(ctx, params.ipa, params.slug, actor.role);
      const workflowId = view.started
        ? serviceWorkflowId(params.ipa, params.slug)
        : comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      return { ...view, temporalUiUrl: workflowUiUrl(ctx, workflowId) } as unknown as z.infer<
        typeof serviceStateSchema
      >;
    },
  });

  api.add({
    method: 'post',
    path: '/comuni',
    summary:
      'Avvia il percorso di un Comune (mai due volte: un Comune in corso, completato o ritirato risponde 409)',
    tags: ['Comuni'],
    role: 'manager',
    body: z.record(z.string(), z.unknown()).openapi('ComuneRegistration', {
      description:
        'Come una voce di /imports/json: ipaCode, istatCode, fiscalCode, pec, secretary, mayor, contractDate, …',
    }),
    successStatus: 201,
    response: z.object({ ipaCode: z.string(), workflowId: z.string() }),
    errors: { 409: 'Percorso del Comune già in corso o concluso', 422: 'Dati del Comune non validi' },
    handler: async ({ body, actor, res }) => {
      const result = buildComuneInput(body as never, ctx.registrationDefaults);
      if (!result.ok) {
        throw new HttpProblem(
          422,
          'Dati del Comune non validi',
          result.errors.map((e) => `${e.field}: ${e.message}`).join('; '),
          result.errors.map((e) => ({ field: `body.${e.field}`, message: e.message })),
        );
      }
      const workflowId = comuneWorkflowId(result.input.comune.ipaCode);
      res.locals.workflowId = workflowId;
      await temporalCall(() => startComuneJourney(ctx.client, result.input, { taskQueue: ctx.taskQueue }));
      ctx.logger.info({ workflowId, actor: actorLabel(actor) }, 'Comune started');
      return { ipaCode: result.input.comune.ipaCode, workflowId };
    },
  });

  api.add({
    method: 'post',
    path: '/comuni/:ipa/restart',
    summary: 'Riavvia il percorso di un Comune ritirato, con i dati con cui era stato avviato e il motivo',
    description:
      'Solo per un Comune ritirato: un nuovo percorso con lo stesso identificativo, la cui cronologia registra ' +
      'il riavvio (chi e perché). Un Comune in corso o completato risponde 409.',
    tags: ['Comuni'],
    role: 'manager',
    params: ipaParam,
    body: z.object({
      reason: z
        .string({ error: (i) => (i.input === undefined ? 'motivo obbligatorio' : 'motivo: atteso un testo') })
        .trim()
        .min(3, 'motivo: almeno 3 caratteri')
        .max(500, 'motivo: al massimo 500 caratteri'),
    }),
    successStatus: 201,
    response: z.object({
      ipaCode: z.string(),
      workflowId: z.string(),
      runId: z.string(),
      previousRunId: z.string(),
    }),
    errors: { 404: 'Comune non trovato', 409: 'Percorso in corso o completato: non si riavvia' },
    handler: async ({ params, body, actor, res }) => {
      const workflowId = comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      const by = actorLabel(actor);
      const { handle, previousRunId } = await temporalCall(() =>
        restartWithdrawnComune(
          ctx.client,
          params.ipa,
          { by, reason: body.reason },
          { taskQueue: ctx.taskQueue },
        ),
      );
      ctx.logger.info({ workflowId, previousRunId, actor: by }, 'Comune restarted after withdrawal');
      return { ipaCode: params.ipa, workflowId, runId: handle.firstExecutionRunId, previousRunId };
    },
  });
}
