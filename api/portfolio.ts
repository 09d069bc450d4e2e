import { settledWithin, untilNoneInFlight } from './page-cache';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { z } from './zod';
import { stageSchema, stages, type Stage } from '../contracts/comune';
import { COMUNE_MEMO_KEY, type ComuneMemo } from '../contracts/comune-start';
import { searchAttributes as sa } from '../contracts/search-attributes';
import { JOURNEY_MEMO_KEY, type JourneyReadModel, type JourneyTask } from '../domain/journey-tasks';

/** One Comune as the portfolio sees it: read from search attributes, without querying its workflow. */
export const comuneListItemSchema = z
  .object({
    ipaCode: z.string(),
    name: z.string(),
    province: z.string(),
    stage: stageSchema,
    scenario: z.enum(['A', 'B']).optional(),
    deadline: z.string(),
    stageSince: z.string().optional(),
    servicesActive: z.number(),
    servicesTotal: z.number(),
    atRisk: z.boolean(),
    late: z.boolean(),
    fundingAtRiskEur: z.number(),
    fundingSecuredEur: z.number(),
    fundingLostEur: z.number(),
    /** The Comune's services by status (its read model); absent for journeys started before 0.4.0. */
    serviceStatusCounts: z.record(z.string(), z.number()).optional(),
    /** The Comune's fiscal code (its read model; absent for journeys started before 0.4.0). */
    fiscalCode: z.string().optional(),
    workflowStatus: z.string(),
    workflowId: z.string(),
  })
  .openapi('ComuneListItem');
/**
 * A list item, plus what the list does not answer: the open tasks of its read model (for the inbox) and the
 * population of its start memo (for the funding report; absent for journeys started without it).
 */
export type ComuneListItem = z.infer<typeof comuneListItemSchema> & {
  tasks?: JourneyTask[];
  population?: number;
  /** Time spent in each stage left (its read model, since 0.7.0): the portfolio's stall breakdown. */
  stageMs?: Partial<Record<Stage, number>>;
};

/** Funding secured, at risk and lost of some Comuni: the sum of what each journey publishes (dashboard, report). */
export function fundingTotals(
  items: readonly Pick<ComuneListItem, 'fundingSecuredEur' | 'fundingAtRiskEur' | 'fundingLostEur'>[],
): { securedEur: number; atRiskEur: number; lostEur: number } {
  const funding = { securedEur: 0, atRiskEur: 0, lostEur: 0 };
  for (const item of items) {
    funding.securedEur += item.fundingSecuredEur;
    funding.atRiskEur += item.fundingAtRiskEur;
    funding.lostEur += item.fundingLostEur;
  }
  return funding;
}

export const listFiltersSchema = z.object({
  stage: stageSchema.optional(),
  province: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'sigla di provincia di due lettere')
    .transform((v) => v.toUpperCase())
    .optional(),
  scenario: z.enum(['A', 'B']).optional(),
  atRisk: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  late: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  deadlineBefore: z.iso.date().optional(),
  q: z.string().trim().min(1).max(100).optional(),
});
export type ListFilters = z.infer<typeof listFiltersSchema>;

/**
 * The visibility query for the filters. Every value is validated by its schema (enums, fixed patterns, ISO dates)
 * before it gets here and quoted with escaping besides: no user text is concatenated as is. Free-text search (`q`)
 * is applied in memory, never sent to Temporal.
 */
export function visibilityQuery(filters: ListFilters): string {
  const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const clauses = [`WorkflowType = 'comuneWorkflow'`];
  if (filters.stage) clauses.push(`${sa.stage.name} = ${quote(filters.stage)}`);
  if (filters.province) clauses.push(`${sa.province.name} = ${quote(filters.province)}`);
  if (filters.scenario) clauses.push(`${sa.scenario.name} = ${quote(filters.scenario)}`);
  if (filters.atRisk !== undefined) clauses.push(`${sa.atRisk.name} = ${filters.atRisk}`);
  if (filters.late !== undefined) clauses.push(`${sa.late.name} = ${filters.late}`);
  if (filters.deadlineBefore)
    clauses.push(`${sa.deadline.name} < ${quote(`${filters.deadlineBefore}T00:00:00Z`)}`);
  return clauses.join(' AND ');
}

/** A Comune's list item as visibility has it (its search attributes and memos). */
export function comuneItemFromVisibility(wf: WorkflowExecutionInfo): ComuneListItem | undefined {
  const get = <T>(key: { name: string }) => wf.typedSearchAttributes.get(key as never) as T | undefined;
  const stage = get<string>(sa.stage);
  if (!stage || !(stages as readonly string[]).includes(stage)) return undefined;
  const deadline = get<Date>(sa.deadline);
  const since = get<Date>(sa.stageSince);
  return {
    ipaCode: get<string>(sa.ipaCode) ?? wf.workflowId.replace(/^comune:/, ''),
    name: get<string>(sa.comuneName) ?? '',
    province: get<string>(sa.province) ?? '',
    stage: stage as Stage,
    ...(get<string>(sa.scenario) ? { scenario: get<'A' | 'B'>(sa.scenario) } : {}),
    deadline: deadline ? deadline.toISOString() : '',
    ...(since ? { stageSince: since.toISOString() } : {}),
    servicesActive: get<number>(sa.servicesActive) ?? 0,
    servicesTotal: get<number>(sa.servicesTotal) ?? 0,
    atRisk: get<boolean>(sa.atRisk) ?? false,
    late: get<boolean>(sa.late) ?? false,
    fundingAtRiskEur: get<number>(sa.fundingAtRiskEur) ?? 0,
    fundingSecuredEur: get<number>(sa.fundingSecuredEur) ?? 0,
    fundingLostEur: get<number>(sa.fundingLostEur) ?? 0,
    ...readModelOf(wf),
    ...populationOf(wf),
    workflowStatus: wf.status.name,
    workflowId: wf.workflowId,
  };
}

/** The journey's read model from its memo, when it keeps one (journeys started since 0.4.0). */
function readModelOf(
  wf: WorkflowExecutionInfo,
): Pick<ComuneListItem, 'serviceStatusCounts' | 'tasks' | 'fiscalCode' | 'stageMs'> {
  const model = wf.memo?.[JOURNEY_MEMO_KEY] as JourneyReadModel | undefined;
  if (!model || model.v !== 1) return {};
  return {
    ...(model.fiscalCode ? { fiscalCode: model.fiscalCode } : {}),
    serviceStatusCounts: model.serviceStatusCounts as Record<string, number>,
    tasks: model.tasks,
    ...(model.stageMs ? { stageMs: model.stageMs } : {}),
  };
}

/** The population in the journey's start memo, when it has one (journeys started since the funding report). */
function populationOf(wf: WorkflowExecutionInfo): Pick<ComuneListItem, 'population'> {
  const memo = wf.memo?.[COMUNE_MEMO_KEY] as Partial<ComuneMemo> | undefined;
  const population = memo?.v === 1 ? memo.population : undefined;
  return typeof population === 'number' && Number.isInteger(population) && population >= 0
    ? { population }
    : {};
}

/** Every Comune matching the filters (visibility pages of 1,000: about 8 calls for all 7,904 Comuni). */
export async function listComuni(client: Client, filters: ListFilters): Promise<ComuneListItem[]> {
  const items: ComuneListItem[] = [];
  for await (const wf of client.workflow.list({ query: visibilityQuery(filters), pageSize: 1000 })) {
    const item = comuneItemFromVisibility(wf);
    if (item) items.push(item);
  }
  return filters.q ? searchItems(items, filters.q) : items;
}

/** The items whose name matches the search, or whose IPA code contains it, or whose fiscal code is it. */
export function searchItems(items: ComuneListItem[], q: string): ComuneListItem[] {
  const matches = nameSearch(q);
  const code = q.trim().toLowerCase();
  return items.filter((i) => matches(i.name) || i.ipaCode.includes(code) || i.fiscalCode === code);
}

/** Lower case without accents: «Pinè» and «pine» compare equal. */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/**
 * A search on Comune names as people type them: the query is a phrase found anywhere in the name, accents and case do
 * not matter, and a word ending in a full stop is an abbreviation («s. michele» finds «San Michele all'Adige»).
 */
export function nameSearch(query: string): (name: string) => boolean {
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = foldForSearch(query)
    .trim()
    .split(/\s+/)
    .map((w) => (w.length > 1 && w.endsWith('.') ? `${escape(w.slice(0, -1))}[^\\s'’-]*\\.?` : escape(w)))
    .join("[\\s'’-]+");
  const regex = new RegExp(pattern);
  return (name) => regex.test(foldForSearch(name));
}

/** One filter's reads. */
interface PortfolioEntry {
  /** The last successful read; `at` is when it started. */
  latest?: { at: number; items: ComuneListItem[] };
  inFlight?: Promise<ComuneListItem[]>;
}

/**
 * The portfolio read once and shared for a moment. Listing all 7,904 Comuni is eight visibility pages plus a sort:
 * done per request, eight managers refreshing their console kept the machine busy enough to slow every journey
 * (BENCHMARKS.md). Concurrent requests for the same filters share one read (single flight), and its result
 * serves for `maxAgeMs`: visibility itself lags the workflows by about as much under load, so nothing that was
 * accurate becomes stale. Past that, up to `maxStaleMs`, a request gets the last result at once while one read
 * refreshes it in the background (stale while revalidate): under load a read takes seconds, and without this every
 * request after each expiry waited for it (list p50 2 s with 1,000 Comuni). Older than `maxStaleMs`, a request
 * waits for a new read, for at most `maxWaitMs`: when visibility is slower than that (a full read took minutes with
 * all 7,904 Comuni being imported, BENCHMARKS.md) it answers with the last result, whose `readAt` says how old it
 * is, while the read goes on. Only the first read of some filters always waits. Bulk actions read visibility
 * directly.
 */
export class PortfolioReader {
  private readonly entries = new Map<string, PortfolioEntry>();
  private readonly maxAgeMs: number;
  private readonly maxStaleMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(
    private readonly read: (filters: ListFilters) => Promise<ComuneListItem[]>,
    options: { maxAgeMs?: number; maxStaleMs?: number; maxWaitMs?: number; now?: () => number } = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 2_000;
    this.maxStaleMs = Math.max(this.maxAgeMs, options.maxStaleMs ?? 15_000);
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.now = options.now ?? (() => Date.now());
  }

  list(filters: ListFilters): Promise<ComuneListItem[]> {
    return this.listFresh(filters).then((r) => r.items);
  }

  /** The list with the time of the visibility read it comes from (`readAt`, ms): how fresh the answer is. */
  listFresh(
    filters: ListFilters,
  ): Promise<{ items: ComuneListItem[]; readAt: number; source: 'visibility' }> {
    return this.listFromVisibility(filters).then((r) => ({ ...r, source: 'visibility' as const }));
  }

  /** Nothing to stop: reads end by themselves. */
  close(): Promise<void> {
    return this.idle();
  }

  private listFromVisibility(filters: ListFilters): Promise<{ items: ComuneListItem[]; readAt: number }> {
    if (this.maxAgeMs <= 0) {
      const at = this.now();
      return this.read(filters).then((items) => ({ items, readAt: at }));
    }
    const key = `${visibilityQuery(filters)}\n${filters.q ?? ''}`;
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (k !== key && !e.inFlight && (!e.latest || now - e.latest.at > this.maxStaleMs))
        this.entries.delete(k);
    }
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = {}));
    const { latest } = entry;
    const served = (l: { at: number; items: ComuneListItem[] }) => ({ items: l.items, readAt: l.at });
    if (latest && now - latest.at <= this.maxAgeMs) return Promise.resolve(served(latest));
    const refresh = entry.inFlight ?? this.startRead(key, entry, filters, now);
    if (latest && now - latest.at <= this.maxStaleMs) return Promise.resolve(served(latest));
    if (!latest) return refresh.then((items) => ({ items, readAt: now }));
    // An old result: the new read if it comes within maxWaitMs, otherwise the old one, saying how old.
    return settledWithin(refresh, this.maxWaitMs).then((fresh) =>
      fresh ? { items: fresh.value, readAt: now } : served(latest),
    );
  }

  /** Resolves when no read is in flight (background refreshes included): for an orderly shutdown. */
  idle(): Promise<void> {
    return untilNoneInFlight(() => this.entries.values());
  }

  private startRead(
    key: string,
    entry: PortfolioEntry,
    filters: ListFilters,
    at: number,
  ): Promise<ComuneListItem[]> {
    const flight = this.read(filters).then(
      (items) => {
        if (!entry.latest || entry.latest.at <= at) entry.latest = { at, items };
        return items;
      },
      (err: unknown) => {
        // A failed read is not kept: the next request tries again.
        if (!entry.latest && this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    entry.inFlight = flight;
    void flight
      .finally(() => {
        if (entry.inFlight === flight) delete entry.inFlight;
      })
      .catch(() => undefined); // a background refresh's failure is the next request's to retry
    return flight;
  }
}

export const sortKeys = [
  'name',
  'deadline',
  'stage',
  'fundingAtRiskEur',
  'servicesActive',
  'province',
] as const;

/** One collator for every comparison: `localeCompare(x, 'it')` builds one per call, 30× slower on 7,904 names. */
const italianCollator = new Intl.Collator('it');

/** What was worked out from a portfolio list, by the list and a key (the same list asked the same way). */
const fromLists = new WeakMap<readonly ComuneListItem[], Map<string, unknown>>();

/**
 * `compute()` once per portfolio list and key: the portfolio index answers the same array until its items change, so
 * a list sorted or an inbox built from it serves every request until then (at most `keep` keys per list). The answer
 * is shared: callers read it, never change it.
 */
export function oncePerList<T>(
  list: readonly ComuneListItem[],
  key: string,
  compute: () => T,
  keep = Number.POSITIVE_INFINITY,
): T {
  let byKey = fromLists.get(list);
  if (!byKey) fromLists.set(list, (byKey = new Map()));
  if (byKey.has(key)) return byKey.get(key) as T;
  const value = compute();
  if (byKey.size < keep) byKey.set(key, value);
  return value;
}

/**
 * The items in the order asked for, ties by IPA code. The answer is shared (the same list sorted the same way is
 * sorted once: 7,904 names take tens of milliseconds): callers read it, never change it.
 */
export function sortItems(
  items: ComuneListItem[],
  sort: (typeof sortKeys)[number],
  order: 'asc' | 'desc',
): ComuneListItem[] {
  return oncePerList(items, `sort ${sort} ${order}`, () => sortedCopy(items, sort, order));
}

function sortedCopy(
  items: ComuneListItem[],
  sort: (typeof sortKeys)[number],
  order: 'asc' | 'desc',
): ComuneListItem[] {
  const stageRank = (s: Stage) => stages.indexOf(s);
  const collator = italianCollator;
  const key = (i: ComuneListItem): string | number =>
    sort === 'stage' ? stageRank(i.stage) : (i[sort] as string | number);
  const sign = order === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const cmp =
      typeof ka === 'number' && typeof kb === 'number' ? ka - kb : collator.compare(String(ka), String(kb));
    return cmp !== 0 ? sign * cmp : a.ipaCode < b.ipaCode ? -1 : a.ipaCode > b.ipaCode ? 1 : 0;
  });
}
