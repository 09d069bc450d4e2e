/**
 * PNRR 1.4.3 "Adozione App IO": funding per activated service and minimum package, by population band
 * (seed 003). Pure: used by workflows (funding at risk in escalations) and the API (portfolio summary).
 */
export const populationBands = [
  { id: 'a', label: 'fino a 5.000 abitanti', maxPopulation: 5_000, eurPerService: 243, minimumServices: 3 },
  {
    id: 'b',
    label: '5.001 - 20.000 abitanti',
    maxPopulation: 20_000,
    eurPerService: 343,
    minimumServices: 3,
  },
  {
    id: 'c',
    label: '20.001 - 100.000 abitanti',
    maxPopulation: 100_000,
    eurPerService: 728,
    minimumServices: 5,
  },
  {
    id: 'd',
    label: '100.001 - 250.000 abitanti',
    maxPopulation: 250_000,
    eurPerService: 1_099,
    minimumServices: 5,
  },
  {
    id: 'e',
    label: 'oltre 250.000 abitanti',
    maxPopulation: Number.POSITIVE_INFINITY,
    eurPerService: 3_187,
    minimumServices: 5,
  },
] as const;

export type PopulationBand = (typeof populationBands)[number];

/** At most 50 services per Comune are funded. */
export const MAX_FUNDED_SERVICES = 50;

export function populationBand(population: number): PopulationBand {
  if (!Number.isInteger(population) || population < 0) {
    throw new RangeError(`population must be a non-negative integer, got ${population}`);
  }
  // The last band is unbounded, so find() always matches.
  return populationBands.find((band) => population <= band.maxPopulation)!;
}

export interface FundingFigures {
  eurPerService: number;
  /** Approved and published services (capped at the funded maximum). */
  securedEur: number;
  /** Services not yet active, still in time. */
  atRiskEur: number;
  /** Services not active when the deadline has passed. */
  lostEur: number;
}

export function fundingFigures(args: {
  population: number;
  servicesTotal: number;
  servicesActive: number;
  deadlinePassed: boolean;
}): FundingFigures {
  const { eurPerService } = populationBand(args.population);
  const total = Math.min(args.servicesTotal, MAX_FUNDED_SERVICES);
  const active = Math.min(args.servicesActive, total);
  const pending = (total - active) * eurPerService;
  return {
    eurPerService,
    securedEur: active * eurPerService,
    atRiskEur: args.deadlinePassed ? 0 : pending,
    lostEur: args.deadlinePassed ? pending : 0,
  };
}
