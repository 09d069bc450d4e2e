import { MAX_FUNDED_SERVICES, fundingFigures, populationBand, populationBands } from '../../domain/funding';

describe('populationBand', () => {
  it.each([
    [0, 'a', 243, 3],
    [1, 'a', 243, 3],
    [5_000, 'a', 243, 3],
    [5_001, 'b', 343, 3],
    [20_000, 'b', 343, 3],
    [20_001, 'c', 728, 5],
    [100_000, 'c', 728, 5],
    [100_001, 'd', 1_099, 5],
    [250_000, 'd', 1_099, 5],
    [250_001, 'e', 3_187, 5],
    [2_761_632, 'e', 3_187, 5],
  ])('population %i is band %s (€%i per service, minimum %i)', (population, id, eur, minimum) => {
    const band = populationBand(population);
    expect(band.id).toBe(id);
    expect(band.eurPerService).toBe(eur);
    expect(band.minimumServices).toBe(minimum);
  });

  it('has the minimum package of 3 services up to 20,000 inhabitants and 5 above', () => {
    expect(populationBand(5_000).minimumServices).toBe(3);
    expect(populationBand(20_000).minimumServices).toBe(3);
    expect(populationBand(20_001).minimumServices).toBe(5);
    expect(populationBand(250_001).minimumServices).toBe(5);
  });

  it('lists five bands in increasing order, the last unbounded', () => {
    expect(populationBands.map((b) => b.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const maxima = populationBands.map((b) => b.maxPopulation);
    expect([...maxima].sort((x, y) => x - y)).toEqual(maxima);
    expect(populationBands[populationBands.length - 1]!.maxPopulation).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_SAFE_INTEGER])(
    'throws a RangeError for population %p',
    (population) => {
      expect(() => populationBand(population)).toThrow(RangeError);
    },
  );

  it('makes fundingFigures throw on an invalid population too', () => {
    expect(() =>
      fundingFigures({ population: -5, servicesTotal: 3, servicesActive: 0, deadlinePassed: false }),
    ).toThrow(RangeError);
  });
});

describe('fundingFigures', () => {
  it('funds at most 50 services', () => {
    expect(MAX_FUNDED_SERVICES).toBe(50);
  });

  it('splits secured and at-risk money before the deadline', () => {
    expect(
      fundingFigures({ population: 4_000, servicesTotal: 11, servicesActive: 4, deadlinePassed: false }),
    ).toEqual({ eurPerService: 243, securedEur: 4 * 243, atRiskEur: 7 * 243, lostEur: 0 });
  });

  it('turns the at-risk money into lost money after the deadline', () => {
    expect(
      fundingFigures({ population: 4_000, servicesTotal: 11, servicesActive: 4, deadlinePassed: true }),
    ).toEqual({ eurPerService: 243, securedEur: 4 * 243, atRiskEur: 0, lostEur: 7 * 243 });
  });

  it('uses the band of the population', () => {
    expect(
      fundingFigures({ population: 117_417, servicesTotal: 5, servicesActive: 2, deadlinePassed: false }),
    ).toEqual({ eurPerService: 1_099, securedEur: 2 * 1_099, atRiskEur: 3 * 1_099, lostEur: 0 });
    expect(
      fundingFigures({ population: 250_001, servicesTotal: 5, servicesActive: 5, deadlinePassed: true }),
    ).toEqual({ eurPerService: 3_187, securedEur: 5 * 3_187, atRiskEur: 0, lostEur: 0 });
  });

  it('has nothing at risk or lost when every service is active', () => {
    for (const deadlinePassed of [false, true]) {
      expect(
        fundingFigures({ population: 30_000, servicesTotal: 11, servicesActive: 11, deadlinePassed }),
      ).toEqual({ eurPerService: 728, securedEur: 11 * 728, atRiskEur: 0, lostEur: 0 });
    }
  });

  it('has nothing secured when no service is active', () => {
    expect(
      fundingFigures({ population: 10_000, servicesTotal: 3, servicesActive: 0, deadlinePassed: false }),
    ).toEqual({ eurPerService: 343, securedEur: 0, atRiskEur: 3 * 343, lostEur: 0 });
    expect(
      fundingFigures({ population: 10_000, servicesTotal: 0, servicesActive: 0, deadlinePassed: true }),
    ).toEqual({ eurPerService: 343, securedEur: 0, atRiskEur: 0, lostEur: 0 });
  });

  it('caps the total at 50 funded services', () => {
    expect(
      fundingFigures({ population: 4_000, servicesTotal: 60, servicesActive: 10, deadlinePassed: false }),
    ).toEqual({ eurPerService: 243, securedEur: 10 * 243, atRiskEur: 40 * 243, lostEur: 0 });
    expect(
      fundingFigures({ population: 4_000, servicesTotal: 60, servicesActive: 55, deadlinePassed: true }),
    ).toEqual({ eurPerService: 243, securedEur: 50 * 243, atRiskEur: 0, lostEur: 0 });
    expect(
      fundingFigures({ population: 4_000, servicesTotal: 50, servicesActive: 50, deadlinePassed: false })
        .securedEur,
    ).toBe(50 * 243);
  });

  it('clamps active services to the total (never negative pending money)', () => {
    const figures = fundingFigures({
      population: 4_000,
      servicesTotal: 3,
      servicesActive: 7,
      deadlinePassed: false,
    });
    expect(figures).toEqual({ eurPerService: 243, securedEur: 3 * 243, atRiskEur: 0, lostEur: 0 });
    const late = fundingFigures({
      population: 4_000,
      servicesTotal: 3,
      servicesActive: 7,
      deadlinePassed: true,
    });
    expect(late.lostEur).toBe(0);
  });

  it('always sums secured + at risk + lost to the funded total', () => {
    for (const population of [100, 5_001, 20_001, 100_001, 250_001]) {
      for (const servicesTotal of [0, 3, 11, 50, 51, 80]) {
        for (const servicesActive of [0, 1, 3, 11, 50, 90]) {
          for (const deadlinePassed of [false, true]) {
            const f = fundingFigures({ population, servicesTotal, servicesActive, deadlinePassed });
            const funded = Math.min(servicesTotal, MAX_FUNDED_SERVICES) * f.eurPerService;
            expect(f.securedEur + f.atRiskEur + f.lostEur).toBe(funded);
            expect(deadlinePassed ? f.atRiskEur : f.lostEur).toBe(0);
          }
        }
      }
    }
  });
});
