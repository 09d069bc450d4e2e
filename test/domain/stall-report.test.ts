import type { TimelineEntry } from '../../contracts/comune';
import type { ComuneListItem } from '../../api/portfolio';
import { STALLED_AFTER_DAYS, percentShares, stallBreakdown } from '../../api/stall-report';
import { DAY_MS } from '../../domain/deadlines';
import { closedStageMs } from '../../domain/stage-times';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const at = (days: number) => new Date(T0 + days * DAY_MS).toISOString();

describe('closedStageMs: the time a journey spent in each stage it has left', () => {
  it('sums a stage entered twice, and leaves out the stage still open', () => {
    const timeline: TimelineEntry[] = [
      { at: at(0), step: 'Percorso avviato', actor: 'sistema' },
      { at: at(1), step: 'Fase: delegation_requested', actor: 'sistema' },
      { at: at(11), step: 'Fase: awaiting_signed_form', actor: 'sistema' },
      // The Selfcare link expired: the delegation is asked for again.
      { at: at(41), step: 'Fase: delegation_requested', actor: 'sistema' },
      { at: at(46), step: 'Fase: awaiting_signed_form', actor: 'sistema' },
      { at: at(50), step: 'Modulo firmato registrato', actor: 'Giulia Verdi (staff)' },
      { at: at(50), step: 'Fase: io_access', actor: 'sistema' },
    ];
    expect(closedStageMs(timeline)).toEqual({
      adhesion_check: 1 * DAY_MS,
      delegation_requested: 15 * DAY_MS,
      awaiting_signed_form: 34 * DAY_MS,
    });
    expect(closedStageMs([])).toEqual({});
  });
});

describe('stallBreakdown: where the portfolio stalls', () => {
  const item = (
    over: Partial<ComuneListItem> & Pick<ComuneListItem, 'ipaCode' | 'stage'>,
  ): ComuneListItem => ({
    name: `Comune ${over.ipaCode}`,
    province: 'TN',
    deadline: at(240),
    servicesActive: 0,
    servicesTotal: 5,
    atRisk: false,
    late: false,
    fundingAtRiskEur: 0,
    fundingSecuredEur: 0,
    fundingLostEur: 0,
    workflowStatus: 'RUNNING',
    workflowId: `comune:${over.ipaCode}`,
    stageMs: {},
    ...over,
  });
  const now = T0 + 100 * DAY_MS;

  it('counts the Comuni in each stage now, for how long, the stalled ones, and the days all spent in it', () => {
    const report = stallBreakdown(
      [
        // Waiting on the Comune for 40, 10 and 50 days: two stalled, median 40.
        item({ ipaCode: 'c_1', stage: 'delegation_requested', stageSince: at(60), fundingAtRiskEur: 100 }),
        item({ ipaCode: 'c_2', stage: 'delegation_requested', stageSince: at(90), fundingAtRiskEur: 200 }),
        item({
          ipaCode: 'c_3',
          stage: 'delegation_requested',
          stageSince: at(50),
          stageMs: { adhesion_check: 2 * DAY_MS },
        }),
        // In its services, three rejected (staff) and one in review (PagoPA).
        item({
          ipaCode: 'c_4',
          stage: 'services',
          stageSince: at(95),
          stageMs: { adhesion_check: 0, delegation_requested: 20 * DAY_MS, io_access: 4 * DAY_MS },
          serviceStatusCounts: { rejected: 3, in_review: 1, active: 1 },
        }),
        // Completed: its stages count as spent, nothing as now.
        item({
          ipaCode: 'c_5',
          stage: 'completed',
          stageSince: at(70),
          stageMs: { delegation_requested: 10 * DAY_MS, services: 30 * DAY_MS },
        }),
        // Started before 0.7.0: its memo has no stage times, only its current stage counts.
        item({ ipaCode: 'c_6', stage: 'awaiting_signed_form', stageSince: at(99), stageMs: undefined }),
      ],
      now,
    );
    const stage = (id: string) => report.stages.find((s) => s.stage === id)!;

    expect(report.comuni).toBe(6);
    expect(report.withoutStageHistory).toBe(1);
    expect(stage('delegation_requested').now).toEqual({
      comuni: 3,
      medianDays: 40,
      maxDays: 50,
      stalled: 2,
      fundingAtRiskEur: 300,
      longest: { ipaCode: 'c_3', name: 'Comune c_3', days: 50 },
    });
    expect(STALLED_AFTER_DAYS).toBe(30);
    // 40 + 10 + 50 now, 20 (c_4) and 10 (c_5) left: 130 days over 5 Comuni.
    expect(stage('delegation_requested').spent).toEqual({ comuni: 5, totalDays: 130, averageDays: 26 });
    // A stage passed in no time still counts the Comune that passed it.
    expect(stage('adhesion_check').spent).toEqual({ comuni: 2, totalDays: 2, averageDays: 1 });
    expect(stage('services').now).toMatchObject({ comuni: 1, medianDays: 5, stalled: 0 });
    expect(stage('services').spent).toEqual({ comuni: 2, totalDays: 35, averageDays: 17.5 });
    expect(stage('awaiting_signed_form').now.comuni).toBe(1);
    expect(report.stages.reduce((sum, s) => sum + s.now.comuni, 0)).toBe(5);

    // By party: the Comune 130 + 1 (form) days, staff 2 + 4, PagoPA 35; shares of 172 days, adding up to 100.
    expect(report.byParty).toEqual([
      { party: 'comune', partyLabel: 'Comune', days: 131, share: 76 },
      { party: 'staff', partyLabel: 'Personale del partner', days: 6, share: 4 },
      { party: 'pagopa', partyLabel: 'PagoPA', days: 35, share: 20 },
    ]);
    expect(report.servicesWaitingOn).toEqual([
      { party: 'comune', partyLabel: 'Comune', services: 0 },
      { party: 'staff', partyLabel: 'Personale del partner', services: 3 },
      { party: 'pagopa', partyLabel: 'PagoPA', services: 1 },
      // The active service is done: it waits on nobody and is not counted.
      { party: 'nobody', partyLabel: 'Nessuno (automatico)', services: 0 },
    ]);
    expect(report.byParty.reduce((sum, p) => sum + p.share, 0)).toBe(100);
  });

  it('rounds shares so they add up to 100', () => {
    expect(percentShares([1, 1, 1])).toEqual([34, 33, 33]);
    expect(percentShares([0, 0])).toEqual([0, 0]);
    // Three points short after flooring: the largest remainders get them.
    expect(percentShares([2.9, 77.9, 17.8, 1.4])).toEqual([3, 78, 18, 1]);
    expect(percentShares([131, 6, 35])).toEqual([76, 4, 20]);
  });

  it('answers an empty portfolio with zeros', () => {
    const report = stallBreakdown([], now);
    expect(report.comuni).toBe(0);
    expect(report.stages.every((s) => s.now.comuni === 0 && s.spent.totalDays === 0)).toBe(true);
    expect(report.byParty.every((p) => p.share === 0)).toBe(true);
  });
});
