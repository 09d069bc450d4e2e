import type { ComuneState } from '../../contracts/comune';
import {
  availableComuneSteps,
  availableServiceSteps,
  comuneStepRefusal,
  comuneSteps,
  comuneWaitsOn,
  holdsParallelSlot,
  isClosedStage,
  isWorkingStatus,
  manageKeyUsable,
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
      'io_access',
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

describe('the stage «Accesso a IO» in the model and the tasks', () => {
  const key = { ref: 'mk_c_l378_a1b2c3d4e5f6', recordedAt: '2026-02-02T09:00:00.000Z' };
  const keyRefused = { at: '2026-03-01T09:00:00.000Z', cause: '401', ref: key.ref };
  const access = (io: Partial<NonNullable<ComuneState['ioAccess']>>): Partial<ComuneState> => ({
    stage: 'io_access',
    ioAccess: { check: 'manual', pausedServices: [], ...io },
  });

  it('sits between the signed form and the services, waiting on staff (or on Selfcare while it checks)', () => {
    expect(stages.indexOf('io_access')).toBe(stages.indexOf('awaiting_signed_form') + 1);
    expect(stages.indexOf('services')).toBe(stages.indexOf('io_access') + 1);
    expect(comuneWaitsOn(state(access({ check: 'automatic' })))).toBe('pagopa');
    expect(
      comuneWaitsOn(state(access({ check: 'automatic', onboardingActiveAt: '2026-02-01T09:00:00.000Z' }))),
    ).toBe('staff');
    expect(comuneWaitsOn(state(access({ check: 'manual' })))).toBe('staff');
    // A refused key makes the services stage wait on staff, whatever the services' own statuses.
    const inReview = {
      slug: 'tari',
      name: 'TARI',
      status: 'in_review' as const,
      rejections: [],
      updatedAt: '',
    };
    expect(comuneWaitsOn(state({ stage: 'services', services: [inReview] }))).toBe('pagopa');
    expect(
      comuneWaitsOn(
        state({
          stage: 'services',
          services: [inReview],
          ioAccess: {
            check: 'manual',
            manageKey: { ...key, fingerprint: 'a1b2c3d4e5f6', hasSecondary: false, recordedBy: 's' },
            keyRefused,
            pausedServices: ['tari'],
          },
        }),
      ),
    ).toBe('staff');
  });

  it('allows the onboarding outcome once, and the key at «Accesso a IO» and again at the services', () => {
    expect(comuneStepRefusal(comuneSteps.recordOnboarding, state(access({})))).toBeUndefined();
    expect(
      comuneStepRefusal(comuneSteps.recordOnboarding, state(access({ onboardingActiveAt: key.recordedAt }))),
    ).toBe('L’adesione su Selfcare è già registrata come attiva.');
    expect(comuneStepRefusal(comuneSteps.recordManageKey, state(access({})))).toBeUndefined();
    expect(comuneStepRefusal(comuneSteps.recordManageKey, state({ stage: 'services' }))).toBeUndefined();
    expect(comuneStepRefusal(comuneSteps.recordManageKey, state({ stage: 'awaiting_signed_form' }))).toBe(
      '«Registrare la chiave di gestione» non è possibile ora: il Comune è nella fase «In attesa del modulo firmato» (ammessa in: Accesso a IO, Servizi in lavorazione).',
    );
    expect(availableComuneSteps(state(access({})), 'staff').map((x) => [x.id, x.path])).toEqual([
      ['recordOnboarding', '/comuni/c_l378/onboarding'],
      ['recordManageKey', '/comuni/c_l378/manage-key'],
      ['recordTrackingForm', '/comuni/c_l378/tracking-form'],
    ]);
  });

  it('tells a usable key from a refused or missing one', () => {
    const manageKey = { ...key, fingerprint: 'a1b2c3d4e5f6', hasSecondary: false, recordedBy: 's' };
    expect(manageKeyUsable({})).toBe(false);
    expect(manageKeyUsable({ ioAccess: { check: 'manual' } })).toBe(false);
    expect(manageKeyUsable({ ioAccess: { check: 'manual', manageKey } })).toBe(true);
    expect(manageKeyUsable({ ioAccess: { check: 'manual', manageKey, keyRefused } })).toBe(false);
  });

  it('gives «Accesso a IO» a stage task until the key is recorded, and one manage_key task for a refused key', () => {
    const stageOnly = (s: ComuneState) => journeyTasks(s).filter((t) => t.kind !== 'tracking_form');
    expect(stageOnly(state(access({ check: 'automatic' })))).toEqual([
      expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'pagopa' }),
    ]);
    expect(taskAction({ kind: 'stage', status: 'io_access', party: 'pagopa' })).toContain(
      'verifica automatica',
    );
    expect(stageOnly(state(access({ onboardingActiveAt: key.recordedAt })))).toEqual([
      expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'staff' }),
    ]);
    const manageKey = { ...key, fingerprint: 'a1b2c3d4e5f6', hasSecondary: false, recordedBy: 's' };
    expect(stageOnly(state(access({ manageKey })))).toEqual([]);

    const paused = (slug: string) => ({
      slug,
      name: slug,
      status: 'awaiting_key' as const,
      rejections: [],
      updatedAt: '',
    });
    const refused = state({
      stage: 'services',
      trackingForm: { recordedAt: key.recordedAt, recordedBy: 's' },
      services: [paused('tari'), paused('mensa'), paused('imu')],
      ioAccess: { check: 'manual', manageKey, keyRefused, pausedServices: ['tari', 'mensa', 'imu'] },
    });
    const tasks = journeyTasks(refused);
    // One task for the Comune, whatever the number of paused services; none of theirs.
    expect(tasks).toEqual([
      expect.objectContaining({
        kind: 'manage_key',
        party: 'staff',
        status: 'services',
        since: keyRefused.at,
      }),
    ]);
    expect(taskAction(tasks[0]!)).toContain('Chiave di gestione da aggiornare');
    expect(journeyReadModel(refused).serviceStatusCounts).toEqual({ awaiting_key: 3 });
    expect(holdsParallelSlot('awaiting_key')).toBe(false);
  });
});
