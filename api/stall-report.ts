import {
  isClosedStage,
  partyLabels,
  parties,
  serviceStatusModel,
  stageLabels,
  stageModel,
  stages,
  type Party,
  type ServiceStatus,
  type Stage,
} from '../domain/journey-model';
import { DAY_MS } from '../domain/deadlines';
import { MAIN_PARTIES, timeByParty, toDays } from '../domain/stage-times';
import { freshnessSchema } from './freshness';
import type { ComuneListItem } from './portfolio';
import { z } from './zod';

/**
 * Where journeys stall, over the whole portfolio (issue #14, item 4): for each stage, the Comuni in it now and for how
 * long, and the time all journeys have spent in it, on whom it waited (the journey model's `waitsOn`). Read from
 * visibility only: the current stage and its start (search attributes) and the time spent in each stage left (the
 * read model each journey keeps in its memo since 0.7.0). No workflow is queried.
 */

/** A Comune in the same stage for longer than this is counted as stalled. */
export const STALLED_AFTER_DAYS = 30;

const partySchema = z.enum(parties);

const stageRowSchema = z.object({
  stage: z.enum(stages),
  /** In Italian, from the journey model. */
  label: z.string(),
  waitsOn: partySchema,
  waitsOnLabel: z.string(),
  now: z.object({
    /** Comuni in this stage now. */
    comuni: z.number(),
    /** Days in the stage so far: the median and the longest. */
    medianDays: z.number(),
    maxDays: z.number(),
    /** Comuni in it for more than `stalledAfterDays`. */
    stalled: z.number(),
    /** The funding still to obtain of the Comuni in it. */
    fundingAtRiskEur: z.number(),
    /** The Comune in it for longest. */
    longest: z.object({ ipaCode: z.string(), name: z.string(), days: z.number() }).optional(),
  }),
  spent: z.object({
    /** Comuni that have spent time in this stage (left or still in it). */
    comuni: z.number(),
    /** Days all of them have spent in it, and per Comune. */
    totalDays: z.number(),
    averageDays: z.number(),
  }),
});

export const stallReportSchema = z
  .object({
    freshness: freshnessSchema,
    comuni: z.number(),
    stalledAfterDays: z.number(),
    stages: z.array(stageRowSchema),
    /** The days spent over all stages, by whom they waited on; `share` in percent (rounded). */
    byParty: z.array(
      z.object({ party: partySchema, partyLabel: z.string(), days: z.number(), share: z.number() }),
    ),
    /** The services of the journeys in «Servizi in lavorazione», by whom each waits on now. */
    servicesWaitingOn: z.array(
      z.object({ party: partySchema, partyLabel: z.string(), services: z.number() }),
    ),
    /**
     * Comuni whose memo has no stage times (journeys that have not published since 0.7.0): only their current stage
     * counts in `spent`.
     */
    withoutStageHistory: z.number(),
    generatedAt: z.string(),
  })
  .openapi('StallReport');
export type StallReport = z.infer<typeof stallReportSchema>;

const OPEN_STAGES = stages.filter((s) => !isClosedStage(s));

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Whole percentages of `values` that add up to 100 (largest remainders), or all 0 when they sum to 0. */
export function percentShares(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0) return values.map(() => 0);
  const exact = values.map((v) => (v / total) * 100);
  const shares = exact.map(Math.floor);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest);
  const missing = 100 - shares.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) shares[order[k]!.i]! += 1;
  return shares;
}

/** The stall breakdown of `items` (the list's Comuni, its filters applied) at `nowMs`. */
export function stallBreakdown(
  items: readonly ComuneListItem[],
  nowMs: number,
): Omit<StallReport, 'freshness' | 'generatedAt'> {
  const spentMs = new Map<Stage, number>();
  const spentBy = new Map<Stage, number>();
  const openMs = new Map<Stage, { item: ComuneListItem; ms: number }[]>();
  const services = new Map<Party, number>();
  let withoutStageHistory = 0;

  for (const item of items) {
    const spentHere = new Map<Stage, number>();
    for (const [stage, ms] of Object.entries(item.stageMs ?? {}) as [Stage, number][]) {
      if (ms >= 0) spentHere.set(stage, ms);
    }
    if (!item.stageMs) withoutStageHistory += 1;
    // A journey still open is in its stage since `stageSince`; a withdrawn or completed one waits on nobody.
    if (!isClosedStage(item.stage) && item.stageSince && item.workflowStatus === 'RUNNING') {
      const ms = Math.max(0, nowMs - Date.parse(item.stageSince));
      spentHere.set(item.stage, (spentHere.get(item.stage) ?? 0) + ms);
      const inStage = openMs.get(item.stage) ?? [];
      inStage.push({ item, ms });
      openMs.set(item.stage, inStage);
      if (item.stage === 'services') {
        for (const [status, n] of Object.entries(item.serviceStatusCounts ?? {})) {
          const model = serviceStatusModel[status as ServiceStatus];
          // Services done (active, cancelled) wait on nobody and are not at work.
          const party = model && model.class !== 'done' ? model.waitsOn : undefined;
          if (party && n > 0) services.set(party, (services.get(party) ?? 0) + n);
        }
      }
    }
    for (const [stage, ms] of spentHere) {
      spentMs.set(stage, (spentMs.get(stage) ?? 0) + ms);
      spentBy.set(stage, (spentBy.get(stage) ?? 0) + 1);
    }
  }

  const rows = OPEN_STAGES.map((stage) => {
    const open = openMs.get(stage) ?? [];
    const longest = open.reduce<{ item: ComuneListItem; ms: number } | undefined>(
      (a, b) => (a && a.ms >= b.ms ? a : b),
      undefined,
    );
    const total = spentMs.get(stage) ?? 0;
    const by = spentBy.get(stage) ?? 0;
    return {
      stage,
      label: stageLabels[stage],
      waitsOn: stageModel[stage].waitsOn,
      waitsOnLabel: partyLabels[stageModel[stage].waitsOn],
      now: {
        comuni: open.length,
        medianDays: toDays(median(open.map((o) => o.ms))),
        maxDays: toDays(longest?.ms ?? 0),
        stalled: open.filter((o) => o.ms > STALLED_AFTER_DAYS * DAY_MS).length,
        fundingAtRiskEur: open.reduce((sum, o) => sum + o.item.fundingAtRiskEur, 0),
        ...(longest
          ? {
              longest: {
                ipaCode: longest.item.ipaCode,
                name: longest.item.name,
                days: toDays(longest.ms),
              },
            }
          : {}),
      },
      spent: {
        comuni: by,
        totalDays: toDays(total),
        averageDays: by > 0 ? toDays(total / by) : 0,
      },
    };
  });

  // The days spent, added up by whom each stage waits on: the dossier's own sum, over the portfolio.
  const partyTimes = timeByParty(
    OPEN_STAGES.map((stage) => ({ waitsOn: stageModel[stage].waitsOn, ms: spentMs.get(stage) ?? 0 })),
  );
  const shares = percentShares(partyTimes.map((p) => p.ms));
  const byParty = partyTimes.map((p, i) => ({
    party: p.party,
    partyLabel: p.partyLabel,
    days: p.days,
    share: shares[i]!,
  }));
  const servicesWaitingOn = [...MAIN_PARTIES, 'nobody' as const].map((party) => ({
    party,
    partyLabel: partyLabels[party],
    services: services.get(party) ?? 0,
  }));

  return {
    comuni: items.length,
    stalledAfterDays: STALLED_AFTER_DAYS,
    stages: rows,
    byParty,
    servicesWaitingOn,
    withoutStageHistory,
  };
}
