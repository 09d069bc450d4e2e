import { stageLabels, stages, type Stage } from '../../contracts/comune';
import { searchAttributes as sa } from '../../contracts/search-attributes';
import { serviceStatusLabels, serviceStatuses } from '../../contracts/service';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { listFiltersSchema, portfolioReader, sortItems, type ComuneListItem } from '../portfolio';
import { z } from '../zod';

const summarySchema = z
  .object({
    comuni: z.number(),
    byStage: z.record(z.string(), z.number()),
    late: z.number(),
    atRisk: z.number(),
    services: z.object({ active: z.number(), total: z.number(), byStatus: z.record(z.string(), z.number()) }),
    funding: z.object({ securedEur: z.number(), atRiskEur: z.number(), lostEur: z.number() }),
    deadlines: z.array(
      z.object({
        date: z.string(),
        comuni: z.number(),
        servicesTotal: z.number(),
        servicesActive: z.number(),
      }),
    ),
    generatedAt: z.string(),
  })
  .openapi('PortfolioSummary');

const inboxItemSchema = z
  .object({
    kind: z.enum(['comune', 'service']),
    ipaCode: z.string(),
    comuneName: z.string(),
    serviceSlug: z.string().optional(),
    stage: z.string(),
    action: z.string(),
    /** Who should act: staff, the Comune (secretary or mayor), or a manager. */
    who: z.enum(['staff', 'comune', 'manager']),
    since: z.string().optional(),
    due: z.string().optional(),
    late: z.boolean(),
  })
  .openapi('InboxItem');
type InboxItem = z.infer<typeof inboxItemSchema>;

const comuneTasks: Partial<Record<Stage, { who: InboxItem['who']; action: string }[]>> = {
  adhesion_check: [
    { who: 'staff', action: 'Verificare su Selfcare l’adesione a App IO e registrarne l’esito' },
  ],
  delegation_requested: [
    { who: 'comune', action: 'Il Segretario delega il partner come Amministratore su Selfcare' },
    { who: 'staff', action: 'Registrare la delega appena completata' },
  ],
  awaiting_signed_form: [
    { who: 'comune', action: 'Il Sindaco firma (CAdES) e carica il modulo ricevuto via PEC' },
    { who: 'staff', action: 'Caricare il modulo firmato (.p7m) nel back office' },
  ],
};

const serviceTasks: Partial<Record<string, string>> = {
  needs_correction: 'Correggere la scheda del servizio e reinviarla',
  rejected: 'Correggere la scheda secondo il motivo del rifiuto PagoPA e reinviarla',
};

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote always; neutralise formulas for spreadsheet programs.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function registerPortfolioRoutes(api: ApiBuilder, ctx: ApiContext): void {
  api.add({
    method: 'get',
    path: '/portfolio/summary',
    summary: 'Riepilogo del portafoglio: Comuni e servizi per fase, fondi ottenuti, a rischio e persi',
    tags: ['Portafoglio'],
    role: 'manager',
    response: summarySchema,
    handler: async () => {
      const [items, byStatus] = await Promise.all([
        portfolioReader(ctx).list({}),
        Promise.all(
          serviceStatuses.map(async (status) => {
            const { count } = await ctx.client.workflow.count(
              `WorkflowType = 'serviceWorkflow' AND ${sa.serviceStatus.name} = '${status}'`,
            );
            return [status, count] as const;
          }),
        ),
      ]);
      const byStage = Object.fromEntries(stages.map((s) => [s, 0])) as Record<Stage, number>;
      const deadlines = new Map<string, { comuni: number; servicesTotal: number; servicesActive: number }>();
      let late = 0;
      let atRisk = 0;
      const services = { active: 0, total: 0 };
      const funding = { securedEur: 0, atRiskEur: 0, lostEur: 0 };
      for (const item of items) {
        byStage[item.stage] += 1;
        if (item.late) late += 1;
        if (item.atRisk) atRisk += 1;
        services.active += item.servicesActive;
        services.total += item.servicesTotal;
        funding.securedEur += item.fundingSecuredEur;
        funding.atRiskEur += item.fundingAtRiskEur;
        funding.lostEur += item.fundingLostEur;
        const day = item.deadline.slice(0, 10);
        const d = deadlines.get(day) ?? { comuni: 0, servicesTotal: 0, servicesActive: 0 };
        d.comuni += 1;
        d.servicesTotal += item.servicesTotal;
        d.servicesActive += item.servicesActive;
        deadlines.set(day, d);
      }
      return {
        comuni: items.length,
        byStage,
        late,
        atRisk,
        services: { ...services, byStatus: Object.fromEntries(byStatus) },
        funding,
        deadlines: [...deadlines.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([date, d]) => ({ date, ...d })),
        generatedAt: new Date().toISOString(),
      };
    },
  });

  api.add({
    method: 'get',
    path: '/portfolio/export.csv',
    summary: 'Esporta il portafoglio (con gli stessi filtri dell’elenco) in CSV',
    tags: ['Portafoglio'],
    role: 'manager',
    query: listFiltersSchema,
    response: 'csv',
    handler: async ({ query, res }) => {
      const items = sortItems(await portfolioReader(ctx).list(query), 'name', 'asc');
      const header = [
        'Codice IPA',
        'Comune',
        'Provincia',
        'Fase',
        'Scenario',
        'Scadenza',
        'Servizi attivi',
        'Servizi totali',
        'In ritardo',
        'A rischio',
        'Fondi ottenuti (EUR)',
        'Fondi a rischio (EUR)',
        'Fondi persi (EUR)',
      ];
      const row = (i: ComuneListItem) => [
        i.ipaCode,
        i.name,
        i.province,
        stageLabels[i.stage],
        i.scenario ?? '',
        i.deadline.slice(0, 10),
        i.servicesActive,
        i.servicesTotal,
        i.late ? 'sì' : 'no',
        i.atRisk ? 'sì' : 'no',
        i.fundingSecuredEur,
        i.fundingAtRiskEur,
        i.fundingLostEur,
      ];
      res.setHeader('Content-Disposition', 'attachment; filename="portafoglio-comuni.csv"');
      return [
        '\ufeff' + header.map(csvCell).join(';'),
        ...items.map((i) => row(i).map(csvCell).join(';')),
      ].join('\r\n');
    },
  });

  api.add({
    method: 'get',
    path: '/inbox',
    summary: 'Attività in attesa di una persona: chi deve agire, da quando, entro quando',
    tags: ['Portafoglio'],
    role: 'staff',
    query: z.object({
      who: z.enum(['staff', 'comune', 'manager']).optional(),
      stage: z
        .string()
        .regex(/^[a-z_]{3,30}$/)
        .optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
    response: z.object({ total: z.number(), items: z.array(inboxItemSchema) }),
    handler: async ({ query }) => {
      const items: InboxItem[] = [];
      for (const c of await portfolioReader(ctx).list({})) {
        for (const task of comuneTasks[c.stage] ?? []) {
          items.push({
            kind: 'comune',
            ipaCode: c.ipaCode,
            comuneName: c.name,
            stage: c.stage,
            action: task.action,
            who: task.who,
            since: c.stageSince,
            due: c.deadline,
            late: c.late,
          });
        }
        if (c.late && c.stage !== 'completed' && c.stage !== 'withdrawn') {
          items.push({
            kind: 'comune',
            ipaCode: c.ipaCode,
            comuneName: c.name,
            stage: c.stage,
            action: 'Scadenza superata: decidere se spostarla o ritirare il Comune',
            who: 'manager',
            since: c.deadline,
            due: c.deadline,
            late: true,
          });
        }
      }
      const query_ = `WorkflowType = 'serviceWorkflow' AND ExecutionStatus = 'Running' AND ${sa.serviceStatus.name} IN ('needs_correction', 'rejected')`;
      for await (const wf of ctx.client.workflow.list({ query: query_, pageSize: 1000 })) {
        const status = wf.typedSearchAttributes.get(sa.serviceStatus) ?? '';
        const [, ipa = '', slug = ''] = wf.workflowId.split(':');
        items.push({
          kind: 'service',
          ipaCode: ipa,
          comuneName: wf.typedSearchAttributes.get(sa.comuneName) ?? ipa,
          serviceSlug: slug,
          stage: status,
          action: serviceTasks[status] ?? serviceStatusLabels.needs_correction,
          who: 'staff',
          since: wf.typedSearchAttributes.get(sa.stageSince)?.toISOString(),
          due: wf.typedSearchAttributes.get(sa.deadline)?.toISOString(),
          late: false,
        });
      }
      const filtered = items
        .filter((i) => (!query.who || i.who === query.who) && (!query.stage || i.stage === query.stage))
        .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
      return { total: filtered.length, items: filtered.slice(0, query.limit) };
    },
  });
}
