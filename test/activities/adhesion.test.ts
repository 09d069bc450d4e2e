import {
  ADHERENT_FC,
  failureOf,
  PENDING_FC,
  runActivity,
  startActivityHarness,
  type ActivityHarness,
} from './harness';

let h: ActivityHarness;

beforeAll(async () => {
  h = await startActivityHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('checkAdhesion', () => {
  it('without Selfcare access: non-retryable SelfcareNotConfigured (staff record the adhesion)', async () => {
    const { selfcare: _selfcare, ...withoutSelfcare } = h.deps;
    const activities = h.build(withoutSelfcare);
    const failure = await failureOf(runActivity(activities.checkAdhesion, { fiscalCode: ADHERENT_FC }));
    expect(failure).toMatchObject({ type: 'SelfcareNotConfigured', nonRetryable: true });
  });

  it('an institution ACTIVE on prod-io is adherent (scenario B)', async () => {
    expect(await runActivity(h.activities.checkAdhesion, { fiscalCode: ADHERENT_FC })).toEqual({
      adherent: true,
      found: true,
      status: 'ACTIVE',
    });
  });

  it('a pending onboarding is not an adhesion (scenario A)', async () => {
    expect(await runActivity(h.activities.checkAdhesion, { fiscalCode: PENDING_FC })).toEqual({
      adherent: false,
      found: true,
      status: 'PENDING',
    });
  });

  it('an institution onboarded on other products only is found but not adherent', async () => {
    const seeded = await h.admin('PUT', '/selfcare/institutions/00150470226', {
      description: 'Comune di Rovereto',
      onboarding: [{ productId: 'prod-pagopa', status: 'ACTIVE' }],
    });
    expect(seeded.status).toBe(200);
    expect(await runActivity(h.activities.checkAdhesion, { fiscalCode: '00150470226' })).toEqual({
      adherent: false,
      found: true,
    });
  });

  it('an institution Selfcare does not know is neither found nor adherent', async () => {
    expect(await runActivity(h.activities.checkAdhesion, { fiscalCode: '00000000000' })).toEqual({
      adherent: false,
      found: false,
    });
  });
});
