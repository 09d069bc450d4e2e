import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { journeyStartInput } from '../contracts/comune-start';
import { MAX_FUNDED_SERVICES, populationBand, populationBands, type PopulationBand } from '../domain/funding';
import { freshnessSchema } from './freshness';
import { fundingTotals, type ComuneListItem } from './portfolio';
import { z } from './zod';

/**
 * The funding report for the partner's PNRR claim (issue #14): each Comune with its population band, and the funding
 * by band. The euros are the ones each journey publishes (search attributes, computed by `fundingFigures`) summed by
 * `fundingTotals`, the dashboard summary's own sum: the report's totals are the summary's `funding` to the euro.
 */

/** One Comune of the report: its list item, population and band (unknown only when its input cannot be read). */
export interface FundedComune {
  item: ComuneListItem;
  population?: number;
  band?: PopulationBand;
  /** Services that count for funding: at most `MAX_FUNDED_SERVICES`. */
  servicesFunded: number;
}

const figuresSchema = z.object({
  comuni: z.number(),
  servicesActive: z.number(),
  servicesTotal: z.number(),
  /** Services that count for funding (at most 50 per Comune). */
  servicesFunded: z.number(),
  securedEur: z.number(),
  atRiskEur: z.number(),
  lostEur: z.number(),
});
type Figures = z.infer<typeof figuresSchema>;

export const fundingReportSchema = z
  .object({
    freshness: freshnessSchema,
    /** Every population band of PNRR 1.4.3, in order, with its Comuni (none included). */
    bands: z.array(
      figuresSchema.extend({
        id: z.enum(populationBands.map((b) => b.id) as [PopulationBand['id'], ...PopulationBand['id'][]]),
        /** In Italian, e.g. «fino a 5.000 abitanti». */
        label: z.string(),
        eurPerService: z.number(),
        minimumServices: z.number(),
      }),
    ),
    /** Comuni whose population could not be read (their journey's input): counted in the totals, in no band. */
    unassigned: figuresSchema.extend({ label: z.string() }).optional(),
    /** Every Comune of the report: with no filter, `funding` of the portfolio summary to the euro. */
    totals: figuresSchema,
    generatedAt: z.string(),
  })
  .openapi('FundingReport');
export type FundingReport = z.infer<typeof fundingReportSchema>;

export const UNASSIGNED_BAND_LABEL = 'Popolazione non disponibile';

/** Populations read from journeys' start events, by workflow id (a Comune's population never changes). */
const readPopulations = new WeakMap<object, Map<string, number>>();
/** Start events read at once for journeys without the start memo (started before the report existed). */
const READ_CONCURRENCY = 8;

/**
 * The report's rows: each Comune with its population, from its start memo or, for journeys started without one, from
 * its start event (read once per Comune and kept).
 */
export async function fundedComuni(
  ctx: { client: Client; logger?: Logger },
  items: readonly ComuneListItem[],
): Promise<FundedComune[]> {
  let known = readPopulations.get(ctx);
  if (!known) readPopulations.set(ctx, (known = new Map()));
  const cache = known;
  const missing = items.filter((i) => i.population === undefined && !cache.has(i.workflowId));
  for (let next = 0; next < missing.length; next += READ_CONCURRENCY) {
    await Promise.all(
      missing.slice(next, next + READ_CONCURRENCY).map(async (i) => {
        try {
          const input = await journeyStartInput(ctx.client, i.workflowId);
          cache.set(i.workflowId, input.comune.population);
        } catch (err) {
          ctx.logger?.warn(
            { workflowId: i.workflowId, err: (err as Error).message },
            'population not readable from the journey start event',
          );
        }
      }),
    );
  }
  return items.map((item) => {
    const population = item.population ?? cache.get(item.workflowId);
    return {
      item,
      ...(population === undefined ? {} : { population, band: populationBand(population) }),
      servicesFunded: Math.min(item.servicesTotal, MAX_FUNDED_SERVICES),
    };
  });
}

function figures(rows: readonly FundedComune[]): Figures {
  let servicesActive = 0;
  let servicesTotal = 0;
  let servicesFunded = 0;
  for (const r of rows) {
    servicesActive += r.item.servicesActive;
    servicesTotal += r.item.servicesTotal;
    servicesFunded += r.servicesFunded;
  }
  return {
    comuni: rows.length,
    servicesActive,
    servicesTotal,
    servicesFunded,
    ...fundingTotals(rows.map((r) => r.item)),
  };
}

/** The funding by population band (every band, in order), the Comuni in none, and the totals. */
export function fundingByBand(
  rows: readonly FundedComune[],
): Pick<FundingReport, 'bands' | 'unassigned' | 'totals'> {
  const unassigned = rows.filter((r) => !r.band);
  return {
    bands: populationBands.map((band) => ({
      id: band.id,
      label: band.label,
      eurPerService: band.eurPerService,
      minimumServices: band.minimumServices,
      ...figures(rows.filter((r) => r.band?.id === band.id)),
    })),
    ...(unassigned.length > 0
      ? { unassigned: { label: UNASSIGNED_BAND_LABEL, ...figures(unassigned) } }
      : {}),
    totals: figures(rows),
  };
}
