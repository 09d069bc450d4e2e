import { freshnessSchema, portfolioFreshness } from '../freshness';
import {
  isClosedStage,
  parties,
  serviceStatusClasses,
  serviceStatusLabels,
  serviceStatusModel,
  serviceStatuses,
  stageLabels,
  stageModel,
  stages,
  type ServiceStatus,
  type Stage,
} from '../../domain/journey-model';
import { dueKindLabels, dueKinds, taskAction, taskKinds, type JourneyTask } from '../../domain/journey-tasks';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import {
  fundedComuni,
  fundingByBand,
  fundingReportSchema,
  type FundedComune,
  type FundingReport,
} from '../funding-report';
import { stallBreakdown, stallReportSchema } from '../stall-report';
import { portfolioReader } from '../portfolio-index';
import { fundingTotals, listFiltersSchema, oncePerList, sortItems, type ComuneListItem } from '../portfolio';
import { z } from '../zod';

const summarySchema = z
  .object({
    freshness: freshnessSchema,
    comuni: z.number(),
    byStage: z.record(z.string(), z.number()),
    late: z.number(),
    atRisk: z.number(),
    services: z.object({
      active: z.number(),
      total: z.number(),
      /** Every service by status: with `unclassified`, they add up to `total`. */
      byStatus: z.record(z.string(), z.number()),
      /** The same by the model's classes: queued, working, waiting on people, done. */
      byClass: z.record(z.string(), z.number()),
      /** Services of journeys started before 0.4.0, whose status by service is not in visibility. */
      unclassified: z.number(),
    }),
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
    /** Unique per task: `<ipa>:<kind>[:<service slug>]`. */
    id: z.string(),
    kind: z.enum(taskKinds),
    ipaCode: z.string(),
    comuneName: z.string(),
    serviceSlug: z.string().optional(),
    serviceName: z.string().optional(),
    /** The Comune's stage, or the service's status for a service task. */
    status: z.string(),
    statusLabel: z.string(),
    action: z.string(),
    /** Who the task waits on: the Comune, staff, a manager or PagoPA. */
    who: z.enum(parties),
    since: z.string().optional(),
    due: z.string(),
    dueKind: z.enum(dueKinds),
    dueLabel: z.string(),
    /** The due date has passed. */
    overdue: z.boolean(),
    /** The Comune is past its contract deadline. */
    late: z.boolean(),
  })
  .openapi('InboxItem');
type InboxItem = z.infer<typeof inboxItemSchema>;

/** Tasks of a journey started before 0.4.0, which keeps no read model: its stage's task, due by the deadline. */
function tasksWithoutReadModel(c: ComuneListItem): JourneyTask[] {
  const tasks: JourneyTask[] = [];
  const stage = stageModel[c.stage];
  if (stage.task) {
    tasks.push({
      kind: 'stage',
      party: stage.waitsOn,
      status: c.stage,
      ...(c.stageSince ? { since: c.stageSince } : {}),
      due: c.deadline,
      dueKind: 'deadline',
    });
  }
  if (c.late && !isClosedStage(c.stage)) {
    tasks.push({ kind: 'late', party: 'manager', status: c.stage, due: c.deadline, dueKind: 'deadline' });
  }
  return tasks;
}

/** An inbox item without `overdue`, which moves with the clock: worked out for the page answered. */
type InboxEntry = Omit<InboxItem, 'overdue'>;

function inboxItem(c: ComuneListItem, task: JourneyTask): InboxEntry {
  const service = task.kind === 'service';
  return {
    id: `${c.ipaCode}:${task.kind}${task.slug ? `:${task.slug}` : ''}`,
    kind: task.kind,
    ipaCode: c.ipaCode,
    comuneName: c.name,
    ...(task.slug ? { serviceSlug: task.slug } : {}),
    ...(task.serviceName ? { serviceName: task.serviceName } : {}),
    status: task.status,
    statusLabel: service
      ? serviceStatusLabels[task.status as ServiceStatus]
      : stageLabels[task.status as Stage],
    action: taskAction(task),
    who: task.party,
    ...(task.since ? { since: task.since } : {}),
    due: task.due,
    dueKind: task.dueKind,
    dueLabel: dueKindLabels[task.dueKind],
    late: c.late,
  };
}

interface InboxQuery {
  who?: InboxItem['who'] | undefined;
  status?: string | undefined;
  sort: 'due' | 'since' | 'comune';
  order: 'asc' | 'desc';
}

/**
 * The open tasks of the Comuni, filtered and sorted as asked: built once per portfolio list and query (at most 50
 * queries per list). Shared: read it, never change it.
 */
function inboxOf(comuni: ComuneListItem[], query: InboxQuery): InboxEntry[] {
  const key = `inbox ${query.who ?? ''} ${query.status ?? ''} ${query.sort} ${query.order}`;
  return oncePerList(comuni, key, () => buildInbox(comuni, query), 50);
}

function buildInbox(comuni: ComuneListItem[], query: InboxQuery): InboxEntry[] {
  const items: InboxEntry[] = [];
  for (const c of comuni) {
    // A closed journey has no task, but a completed one still watching its services has one for each service no
    // longer visible in App IO (its read model says so).
    const tasks = isClosedStage(c.stage)
      ? c.stage === 'completed'
        ? (c.tasks ?? [])
        : []
      : (c.tasks ?? tasksWithoutReadModel(c));
    for (const task of tasks) items.push(inboxItem(c, task));
  }
  const sign = query.order === 'asc' ? 1 : -1;
  const sortKey = (i: InboxEntry) =>
    query.sort === 'due' ? i.due : query.sort === 'since' ? (i.since ?? '') : i.comuneName;
  return items
    .filter((i) => (!query.who || i.who === query.who) && (!query.status || i.status === query.status))
    .sort((a, b) => sign * (sortKey(a).localeCompare(sortKey(b)) || a.id.localeCompare(b.id)));
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote always; neutralise formulas for spreadsheet programs.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** A CSV table: quoted cells separated by `;`, lines by CRLF. */
function csvLines(rows: readonly (readonly unknown[])[]): string[] {
  return rows.map((r) => r.map(csvCell).join(';'));
}

/** Today in Rome (`AAAA-MM-GG`): the day in an exported file's name. */
function exportDay(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome' }).format(new Date());
}

/** One line of the funding report's summary: a band (or the Comuni in none, or the total) and its figures. */
function bandCsvRow(label: string, eurPerService: number | undefined, f: FundingReport['totals']): unknown[] {
  return [
    label,
    eurPerService ?? '',
    f.comuni,
    f.servicesActive,
    f.servicesTotal,
    f.servicesFunded,
    f.securedEur,
    f.atRiskEur,
    f.lostEur,
  ];
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
      const read = await portfolioReader(ctx).listFresh({});
      const items = read.items;
      const byStatus = Object.fromEntries(serviceStatuses.map((st) => [st, 0])) as Record<
        ServiceStatus,
        number
      >;
      // Journeys started before 0.4.0 keep no read model: only their active services are known by status.
      let unclassified = 0;
      const byStage = Object.fromEntries(stages.map((s) => [s, 0])) as Record<Stage, number>;
      const deadlines = new Map<string, { comuni: number; servicesTotal: number; servicesActive: number }>();
      let late = 0;
      let atRisk = 0;
      const services = { active: 0, total: 0 };
      // The same sum as the funding report's totals (`GET /portfolio/funding`): they agree to the euro.
      const funding = fundingTotals(items);
      for (const item of items) {
        byStage[item.stage] += 1;
        if (item.late) late += 1;
        if (item.atRisk) atRisk += 1;
        services.active += item.servicesActive;
        services.total += item.servicesTotal;
        if (item.serviceStatusCounts) {
          for (const [st, n] of Object.entries(item.serviceStatusCounts)) byStatus[st as ServiceStatus] += n;
        } else {
          byStatus.active += item.servicesActive;
          unclassified += item.servicesTotal - item.servicesActive;
        }
        const day = item.deadline.slice(0, 10);
        const d = deadlines.get(day) ?? { comuni: 0, servicesTotal: 0, servicesActive: 0 };
        d.comuni += 1;
        d.servicesTotal += item.servicesTotal;
        d.servicesActive += item.servicesActive;
        deadlines.set(day, d);
      }
      return {
        freshness: portfolioFreshness(read),
        comuni: items.length,
        byStage,
        late,
        atRisk,
        services: {
          ...services,
          byStatus,
          byClass: Object.fromEntries(
            serviceStatusClasses.map((c) => [
              c,
              serviceStatuses
                .filter((st) => serviceStatusModel[st].class === c)
                .reduce((sum, st) => sum + byStatus[st], 0),
            ]),
          ),
          unclassified,
        },
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
      res.setHeader('Content-Disposition', `attachment; filename="portafoglio-comuni-${exportDay()}.csv"`);
      return '\ufeff' + csvLines([header, ...items.map(row)]).join('\r\n');
    },
  });

  api.add({
    method: 'get',
    path: '/portfolio/funding',
    summary:
      'Fondi per fascia di popolazione (PNRR 1.4.3): Comuni, servizi, fondi ottenuti, a rischio e persi, con gli stessi filtri dell’elenco',
    description:
      'Senza filtri i totali coincidono all’euro con `funding` del riepilogo (`GET /portfolio/summary`): ' +
      'sono la stessa somma degli stessi importi pubblicati da ogni percorso.',
    tags: ['Portafoglio'],
    role: 'manager',
    query: listFiltersSchema,
    response: fundingReportSchema,
    handler: async ({ query }) => {
      const read = await portfolioReader(ctx).listFresh(query);
      const rows = await fundedComuni(ctx, read.items);
      return {
        freshness: portfolioFreshness(read),
        ...fundingByBand(rows),
        generatedAt: new Date().toISOString(),
      };
    },
  });

  api.add({
    method: 'get',
    path: '/portfolio/stalls',
    summary:
      'Dove si fermano i percorsi: per ogni fase i Comuni che vi sono ora e da quanto, e il tempo speso in essa, con chi si attende',
    description:
      'Letto dalla visibilità (fase attuale e da quando, tempo speso nelle fasi concluse che ogni percorso tiene nel ' +
      'suo memo dalla 0.7.0), senza interrogare i percorsi. Stessi filtri dell’elenco.',
    tags: ['Portafoglio'],
    role: 'manager',
    query: listFiltersSchema,
    response: stallReportSchema,
    handler: async ({ query }) => {
      const read = await portfolioReader(ctx).listFresh(query);
      return {
        freshness: portfolioFreshness(read),
        ...stallBreakdown(read.items, read.readAt),
        generatedAt: new Date().toISOString(),
      };
    },
  });

  api.add({
    method: 'get',
    path: '/portfolio/funding.csv',
    summary:
      'Report dei fondi in CSV (con gli stessi filtri dell’elenco): un Comune per riga, poi il riepilogo per fascia di popolazione',
    tags: ['Portafoglio'],
    role: 'manager',
    query: listFiltersSchema,
    response: 'csv',
    handler: async ({ query, res }) => {
      const items = sortItems(await portfolioReader(ctx).list(query), 'name', 'asc');
      const rows = await fundedComuni(ctx, items);
      const report = fundingByBand(rows);
      const comune = (r: FundedComune) => [
        r.item.ipaCode,
        r.item.name,
        r.item.province,
        r.population ?? '',
        r.band?.label ?? '',
        stageLabels[r.item.stage],
        r.item.deadline.slice(0, 10),
        r.item.stage === 'completed' ? (r.item.stageSince?.slice(0, 10) ?? '') : '',
        r.item.servicesActive,
        r.item.servicesTotal,
        r.servicesFunded,
        r.band?.eurPerService ?? '',
        r.item.fundingSecuredEur,
        r.item.fundingAtRiskEur,
        r.item.fundingLostEur,
        r.item.late ? 'sì' : 'no',
      ];
      res.setHeader('Content-Disposition', `attachment; filename="report-fondi-comuni-${exportDay()}.csv"`);
      return (
        '\ufeff' +
        [
          ...csvLines([
            [
              'Codice IPA',
              'Comune',
              'Provincia',
              'Abitanti',
              'Fascia di popolazione',
              'Fase',
              'Scadenza',
              'Completato il',
              'Servizi attivi',
              'Servizi totali',
              'Servizi finanziabili (max 50)',
              'Importo per servizio (EUR)',
              'Fondi ottenuti (EUR)',
              'Fondi a rischio (EUR)',
              'Fondi persi (EUR)',
              'In ritardo',
            ],
            ...rows.map(comune),
          ]),
          '',
          ...csvLines([
            ['Riepilogo per fascia di popolazione'],
            [
              'Fascia di popolazione',
              'Importo per servizio (EUR)',
              'Comuni',
              'Servizi attivi',
              'Servizi totali',
              'Servizi finanziabili (max 50)',
              'Fondi ottenuti (EUR)',
              'Fondi a rischio (EUR)',
              'Fondi persi (EUR)',
            ],
            ...report.bands.map((b) => bandCsvRow(b.label, b.eurPerService, b)),
            ...(report.unassigned ? [bandCsvRow(report.unassigned.label, undefined, report.unassigned)] : []),
            bandCsvRow('Totale', undefined, report.totals),
          ]),
        ].join('\r\n')
      );
    },
  });

  api.add({
    method: 'get',
    path: '/inbox',
    summary:
      'Attività aperte di ogni percorso, chiunque debbano aspettare: da quando, entro quando (paginate, ordinabili)',
    tags: ['Portafoglio'],
    role: 'staff',
    query: z.object({
      who: z.enum(parties).optional(),
      /** A stage of the Comune or a status of a service. */
      status: z.enum([...stages, ...serviceStatuses]).optional(),
      q: z.string().trim().min(1).max(100).optional(),
      sort: z.enum(['due', 'since', 'comune']).default('due'),
      order: z.enum(['asc', 'desc']).default('asc'),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    response: z.object({
      freshness: freshnessSchema,
      total: z.number(),
      limit: z.number(),
      offset: z.number(),
      items: z.array(inboxItemSchema),
    }),
    handler: async ({ query }) => {
      const nowMs = Date.now();
      const read = await portfolioReader(ctx).listFresh(query.q ? { q: query.q } : {});
      const inbox = inboxOf(read.items, query);
      return {
        freshness: portfolioFreshness(read),
        total: inbox.length,
        limit: query.limit,
        offset: query.offset,
        items: inbox
          .slice(query.offset, query.offset + query.limit)
          .map((item) => ({ ...item, overdue: Date.parse(item.due) < nowMs })),
      };
    },
  });
}
