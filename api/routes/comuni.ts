import { getComuneStateQuery } from '../../contracts/comune';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import { getServiceStateQuery } from '../../contracts/service';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { comuneListItemSchema, listFiltersSchema, portfolioReader, sortItems, sortKeys } from '../portfolio';
import { temporalCall } from '../temporal-errors';
import { z } from '../zod';
import { ipaParam, serviceParams } from './params';

const listQuerySchema = listFiltersSchema.extend({
  sort: z.enum(sortKeys).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** The workflow's state is the source of truth; documented by its main fields. */
const comuneStateSchema = z
  .object({
    ipaCode: z.string(),
    name: z.string(),
    stage: z.string(),
    scenario: z.enum(['A', 'B']).optional(),
    deadline: z.string(),
    late: z.boolean(),
    timeline: z.array(
      z.object({ at: z.string(), step: z.string(), actor: z.string(), detail: z.string().optional() }),
    ),
    services: z.array(z.object({ slug: z.string(), name: z.string(), status: z.string() }).loose()),
    funding: z.object({
      eurPerService: z.number(),
      securedEur: z.number(),
      atRiskEur: z.number(),
      lostEur: z.number(),
    }),
    missing: z.array(z.string()),
    temporalUiUrl: z.string(),
  })
  .loose()
  .openapi('ComuneState');

const serviceStateSchema = z
  .object({
    slug: z.string(),
    name: z.string(),
    status: z.string(),
    card: z.record(z.string(), z.unknown()),
    issues: z.array(z.object({ field: z.string(), message: z.string() })),
    rounds: z.array(
      z.object({ round: z.number(), submittedAt: z.string(), outcome: z.string().optional() }).loose(),
    ),
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
      total: z.number(),
      limit: z.number(),
      offset: z.number(),
      items: z.array(comuneListItemSchema),
    }),
    handler: async ({ query }) => {
      const all = sortItems(await portfolioReader(ctx).list(query), query.sort, query.order);
      return {
        total: all.length,
        limit: query.limit,
        offset: query.offset,
        items: all.slice(query.offset, query.offset + query.limit),
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
    handler: async ({ params, res }) => {
      const workflowId = comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      const state = await temporalCall(() =>
        ctx.client.workflow.getHandle(workflowId).query(getComuneStateQuery),
      );
      // The interface has no index signature; the schema documents its main fields and lets the rest through.
      return { ...state, temporalUiUrl: workflowUiUrl(ctx, workflowId) } as unknown as z.infer<
        typeof comuneStateSchema
      >;
    },
  });

  api.add({
    method: 'get',
    path: '/comuni/:ipa/services/:slug',
    summary: 'Stato di un servizio: scheda, problemi, esiti delle revisioni',
    tags: ['Servizi'],
    role: 'staff',
    params: serviceParams,
    response: serviceStateSchema,
    errors: { 404: 'Servizio non trovato' },
    handler: async ({ params, res }) => {
      const workflowId = serviceWorkflowId(params.ipa, params.slug);
      res.locals.workflowId = workflowId;
      const state = await temporalCall(
        () => ctx.client.workflow.getHandle(workflowId).query(getServiceStateQuery),
        'Servizio',
      );
      return { ...state, temporalUiUrl: workflowUiUrl(ctx, workflowId) } as unknown as z.infer<
        typeof serviceStateSchema
      >;
    },
  });
}
