import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { z } from './zod';
import { stageSchema, stages, type Stage } from '../contracts/comune';
import { searchAttributes as sa } from '../contracts/search-attributes';

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
    workflowStatus: z.string(),
    workflowId: z.string(),
  })
  .openapi('ComuneListItem');
export type ComuneListItem = z.infer<typeof comuneListItemSchema>;

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

function toItem(wf: WorkflowExecutionInfo): ComuneListItem | undefined {
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
    workflowStatus: wf.status.name,
    workflowId: wf.workflowId,
  };
}

/** Every Comune matching the filters (visibility pages of 1,000: about 8 calls for all 7,904 Comuni). */
export async function listComuni(client: Client, filters: ListFilters): Promise<ComuneListItem[]> {
  const items: ComuneListItem[] = [];
  for await (const wf of client.workflow.list({ query: visibilityQuery(filters), pageSize: 1000 })) {
    const item = toItem(wf);
    if (item) items.push(item);
  }
  if (!filters.q) return items;
  const needle = filters.q.toLowerCase();
  return items.filter((i) => i.name.toLowerCase().includes(needle) || i.ipaCode.includes(needle));
}

export const sortKeys = [
  'name',
  'deadline',
  'stage',
  'fundingAtRiskEur',
  'servicesActive',
  'province',
] as const;

export function sortItems(
  items: ComuneListItem[],
  sort: (typeof sortKeys)[number],
  order: 'asc' | 'desc',
): ComuneListItem[] {
  const stageRank = (s: Stage) => stages.indexOf(s);
  const key = (i: ComuneListItem): string | number =>
    sort === 'stage' ? stageRank(i.stage) : (i[sort] as string | number);
  const sign = order === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const cmp =
      typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb), 'it');
    return cmp !== 0 ? sign * cmp : a.ipaCode.localeCompare(b.ipaCode);
  });
}
