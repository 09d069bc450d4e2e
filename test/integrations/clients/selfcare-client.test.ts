import { HttpNonRetryableError } from '../../../integrations/http';
import { HttpSelfcareClient } from '../../../integrations/selfcare';
import { SELFCARE_KEY, silentLogger, startTestSandbox, type TestSandbox } from '../../sandbox/harness';

const ACTIVE_FC = '00355870221';
const PENDING_FC = '00123450220';

describe('Selfcare client against the sandbox', () => {
  let t: TestSandbox;
  let client: HttpSelfcareClient;

  beforeAll(async () => {
    t = await startTestSandbox({
      institutions: {
        [ACTIVE_FC]: {
          description: 'Comune di Trento',
          originId: 'c_l378',
          onboarding: [
            { productId: 'prod-pagopa', status: 'ACTIVE' },
            { productId: 'prod-io', status: 'ACTIVE' },
          ],
        },
      },
    });
    client = new HttpSelfcareClient({ baseUrl: t.url, subscriptionKey: SELFCARE_KEY, logger: silentLogger });
  });
  afterAll(() => t.stop());

  it('ACTIVE on prod-io: adherent (scenario B)', async () => {
    const status = await client.getIoOnboardingStatus(ACTIVE_FC);
    expect(status).toEqual({
      adherent: true,
      found: true,
      status: 'ACTIVE',
      institutionId: expect.any(String),
    });
    const [institution] = await client.getInstitutionsByTaxCode(ACTIVE_FC);
    expect(institution?.originId).toBe('c_l378');
  });

  it('unknown tax code: not found, not adherent (scenario A)', async () => {
    expect(await client.getIoOnboardingStatus('99999999999')).toEqual({ adherent: false, found: false });
    expect(await client.getInstitutionsByTaxCode('99999999999')).toEqual([]);
  });

  it('PENDING (contract sent, not signed yet): found, not adherent', async () => {
    await t.admin('PUT', `/selfcare/institutions/${PENDING_FC}`, {
      description: 'Comune di Esempio',
      onboarding: [{ productId: 'prod-io', status: 'PENDING' }],
    });
    expect(await client.getIoOnboardingStatus(PENDING_FC)).toMatchObject({
      adherent: false,
      found: true,
      status: 'PENDING',
    });
  });

  it('onboarded on other products only: found, no prod-io status', async () => {
    await t.admin('PUT', `/selfcare/institutions/${PENDING_FC}`, {
      description: 'Comune di Esempio',
      onboarding: [{ productId: 'prod-pagopa', status: 'ACTIVE' }],
    });
    const status = await client.getIoOnboardingStatus(PENDING_FC);
    expect(status).toMatchObject({ adherent: false, found: true });
    expect(status.status).toBeUndefined();
  });

  it('a wrong subscription key is a non-retryable 401', async () => {
    const wrong = new HttpSelfcareClient({ baseUrl: t.url, subscriptionKey: 'wrong', logger: silentLogger });
    const err = await wrong.getIoOnboardingStatus(ACTIVE_FC).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ status: 401 });
  });
});
