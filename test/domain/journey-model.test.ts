import type { ComuneState } from '../../contracts/comune';
import {
  availableComuneSteps,
  availableServiceSteps,
  comuneSteps,
  comuneWaitsOn,
  holdsParallelSlot,
  isClosedStage,
  isWorkingStatus,
  serviceStatuses,
  stages,
} from '../../domain/journey-model';
import { EXPECTED_REVIEW_DAYS, journeyReadModel, journeyTasks, taskAction } from '../../domain/journey-tasks';
import { cardFields, serviceCardSchema } from '../../domain/service-card';

const DAY_MS = 86_400_000;

function state(overrides: Partial<ComuneState> = {}): ComuneState {
  return {
    ipaCode: 'c_l378',
    stageSince: '2026-01-10T09:00:00.000Z',
    name: 'Comune di Trento',
    province: 'TN',
    population: 117_417,
    stage: 'delegation_requested',
    scenario: 'A',
    adhesionCheck: 'manual',
    deadline: '2026-09-01T21:59:59.000Z',
    late: false,
    timeline: [],
    delegation: { requestCount: 1, requestedAt: '2026-01-10T09:00:00.000Z' },
    signedForm: { expiredCount: 0 },
    reminders: { sentInStage: 0, total: 0, staffAlerted: false, nextAt: '2026-01-17T09:00:00.000Z' },
    escalations: [],
    escalationStepsHandled: [],
    nextEscalationAt: '2026-07-03T21:59:59.000Z',
    services: [
      {
        slug: 'tari',
        name: 'TARI',
        status: 'pending',
        rejections: [],
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    ],
    servicesActive: 0,
    servicesTotal: 1,
    funding: { eurPerService: 1_099, securedEur: 0, atRiskEur: 0, lostEur: 0 },
    missing: [],
    ...overrides,
  };
}

describe('the journey model', () => {
  it('orders the stages and closes only completed and withdrawn', () => {
    expect(stages.filter(isClosedStage)).toEqual(['completed', 'withdrawn']);
  });

  it('classifies the service statuses: queued and automatic ones hold a slot, people’s statuses do not', () => {
    expect(serviceStatuses.filter(holdsParallelSlot)).toEqual([
      'pending',
      'creating',
      'configuring',
      'publishing',
    ]);
    expect(serviceStatuses.filter(isWorkingStatus)).toEqual(['creating', 'configuring', 'publishing']);
  });

  it('describes every field of the service card, and only those', () => {
    expect(cardFields.map((f) => f.name).sort()).toEqual(Object.keys(serviceCardSchema.shape).sort());
    expect(new Set(cardFields.map((f) => f.label)).size).toBe(cardFields.length);
  });

  it('offers each role the steps it may take now, with their concrete paths', () => {
    const s = state();
    expect(availableComuneSteps(s, 'staff').map((x) => x.id)).toEqual([
      'recordDelegationDone',
      'recordTrackingForm',
    ]);
    expect(availableComuneSteps(s, 'manager').map((x) => x.id)).toEqual([
      'recordDelegationDone',
      'recordTrackingForm',
      'remindNow',
      'moveDeadline',
      'withdraw',
    ]);
    expect(availableComuneSteps(s, 'staff')[0]!.path).toBe('/comuni/c_l378/delegation');
    // The delegation recorded for this request: not again, and no reminder to send.
    const recorded = state({
      delegation: { requestCount: 1, requestedAt: s.stageSince, completedAt: '2026-01-11T10:00:00.000Z' },
    });
    expect(availableComuneSteps(recorded, 'manager').map((x) => x.id)).toEqual([
      'recordTrackingForm',
      'moveDeadline',
      'withdraw',
    ]);
    // A link that expired asks for the delegation again: the earlier record no longer counts.
    const askedAgain = state({
      delegation: {
        requestCount: 2,
        requestedAt: '2026-02-20T09:00:00.000Z',
        completedAt: '2026-01-11T10:00:00.000Z',
      },
    });
    expect(availableComuneSteps(askedAgain, 'staff').map((x) => x.id)).toContain('recordDelegationDone');
    expect(availableComuneSteps(state({ stage: 'completed' }), 'admin')).toEqual([]);
    expect(
      availableServiceSteps({ slug: 'tari', status: 'rejected' }, 'c_l378', 'staff').map((x) => [
        x.id,
        x.path,
      ]),
    ).toEqual([['correctCard', '/comuni/c_l378/services/tari/card']]);
    expect(comuneSteps.withdraw.allowedIn).toEqual([
      'adhesion_check',
      'delegation_requested',
      'awaiting_signed_form',
      'services',
    ]);
  });
});

describe('who a Comune waits on', () => {
  it('refines the stage’s party with what the state says', () => {
    expect(comuneWaitsOn(state())).toBe('comune');
    expect(
      comuneWaitsOn(state({ stage: 'adhesion_check', scenario: undefined, adhesionCheck: 'automatic' })),
    ).toBe('pagopa');
    expect(comuneWaitsOn(state({ stage: 'adhesion_check', scenario: undefined }))).toBe('staff');
    const service = (status: ComuneState['services'][number]['status']) => ({
      slug: status,
      name: status,
      status,
      rejections: [],
      updatedAt: '',
    });
    expect(
      comuneWaitsOn(state({ stage: 'services', services: [service('in_review'), service('rejected')] })),
    ).toBe('staff');
    expect(
      comuneWaitsOn(state({ stage: 'services', services: [service('in_review'), service('active')] })),
    ).toBe('pagopa');
    expect(comuneWaitsOn(state({ stage: 'services', services: [service('creating')] }))).toBe('nobody');
  });
});

describe('the open tasks of a journey', () => {
  it('gives each task its own due date: the next reminder, the link’s expiry, the review, the escalation', () => {
    const delegation = journeyTasks(state());
    expect(delegation).toEqual([
      expect.objectContaining({
        kind: 'stage',
        party: 'comune',
        due: '2026-01-17T09:00:00.000Z',
        dueKind: 'reminder',
      }),
      expect.objectContaining({
        kind: 'tracking_form',
        party: 'comune',
        due: '2026-07-03T21:59:59.000Z',
        dueKind: 'escalation',
      }),
    ]);
    const signed = journeyTasks(
      state({
        stage: 'awaiting_signed_form',
        trackingForm: { recordedAt: '2026-01-12T09:00:00.000Z', recordedBy: 'staff:Giulia' },
        signedForm: {
          expiredCount: 0,
          linkSentAt: '2026-01-12T09:00:00.000Z',
          linkExpiresAt: '2026-02-11T09:00:00.000Z',
        },
      }),
    );
    expect(signed).toEqual([
      expect.objectContaining({ kind: 'stage', due: '2026-02-11T09:00:00.000Z', dueKind: 'link_expiry' }),
    ]);
    const services = journeyTasks(
      state({
        stage: 'services',
        trackingForm: { recordedAt: '2026-01-12T09:00:00.000Z', recordedBy: 'staff:Giulia' },
        services: [
          {
            slug: 'tari',
            name: 'TARI',
            status: 'in_review',
            rejections: [],
            updatedAt: '2026-03-01T10:00:00.000Z',
          },
          {
            slug: 'imu',
            name: 'IMU',
            status: 'rejected',
            rejections: [],
            updatedAt: '2026-03-02T10:00:00.000Z',
          },
          {
            slug: 'mensa',
            name: 'Mensa',
            status: 'creating',
            rejections: [],
            updatedAt: '2026-03-02T10:00:00.000Z',
          },
          {
            slug: 'asilo',
            name: 'Asilo',
            status: 'active',
            rejections: [],
            updatedAt: '2026-03-02T10:00:00.000Z',
          },
        ],
      }),
    );
    expect(services).toEqual([
      expect.objectContaining({
        kind: 'service',
        slug: 'tari',
        party: 'pagopa',
        dueKind: 'review',
        due: new Date(Date.parse('2026-03-01T10:00:00.000Z') + EXPECTED_REVIEW_DAYS * DAY_MS).toISOString(),
      }),
      expect.objectContaining({ kind: 'service', slug: 'imu', party: 'staff', dueKind: 'escalation' }),
    ]);
    expect(taskAction(services[1]!)).toMatch(/motivo del rifiuto/);
  });

  it('falls back to the contract deadline only when nothing comes sooner, and tells managers of a late Comune', () => {
    const late = journeyTasks(
      state({
        stage: 'adhesion_check',
        scenario: undefined,
        late: true,
        lateSince: '2026-09-02T00:00:00.000Z',
        nextEscalationAt: undefined,
      }),
    );
    expect(late).toEqual([
      expect.objectContaining({ kind: 'stage', party: 'staff', dueKind: 'deadline' }),
      expect.objectContaining({ kind: 'late', party: 'manager', since: '2026-09-02T00:00:00.000Z' }),
    ]);
    expect(journeyTasks(state({ stage: 'withdrawn' }))).toEqual([]);
    expect(
      journeyTasks(state({ stage: 'adhesion_check', scenario: undefined, adhesionCheck: 'automatic' }))[0],
    ).toMatchObject({
      party: 'pagopa',
    });
  });

  it('counts the services by status, adding up to the total', () => {
    const model = journeyReadModel(
      state({
        services: [
          { slug: 'a', name: 'A', status: 'pending', rejections: [], updatedAt: '' },
          { slug: 'b', name: 'B', status: 'pending', rejections: [], updatedAt: '' },
          { slug: 'c', name: 'C', status: 'active', rejections: [], updatedAt: '' },
        ],
      }),
    );
    expect(model.serviceStatusCounts).toEqual({ pending: 2, active: 1 });
  });
});
