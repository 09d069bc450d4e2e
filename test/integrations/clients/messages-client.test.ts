import { HttpNonRetryableError, HttpRetryableError } from '../../../integrations/http';
import {
  HttpIoManageClient,
  HttpIoMessagesClient,
  SANDBOX_FISCAL_CODE,
  type ServiceKeys,
} from '../../../integrations/io';
import {
  capturingLogger,
  MANAGE_KEY,
  servicePayload,
  silentLogger,
  startTestSandbox,
  type TestSandbox,
} from '../../sandbox/harness';

const CITIZEN = 'RSSMRA80A01H501U';
const content = {
  subject: 'Benvenuto nel servizio',
  markdown:
    'Questo è un messaggio di prova del Comune, inviato per verificare il servizio prima della revisione.',
};

describe('IO messages client against the sandbox', () => {
  let t: TestSandbox;
  let keys: ServiceKeys;
  let messages: HttpIoMessagesClient;

  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'manual' } });
    const manage = new HttpIoManageClient({ baseUrl: t.url, manageKey: MANAGE_KEY, logger: silentLogger });
    const service = await manage.createService(servicePayload({ name: 'Servizio di prova messaggi' }));
    keys = await manage.getKeys(service.id);
    messages = new HttpIoMessagesClient({ baseUrl: t.url, logger: silentLogger, retry: { baseDelayMs: 5 } });
  });
  afterAll(() => t.stop());
  afterEach(() => t.admin('DELETE', '/faults'));

  it('201 {id} to SANDBOX_FISCAL_CODE from an unpublished service', async () => {
    const res = await messages.sendMessage(keys.primary_key, {
      fiscal_code: SANDBOX_FISCAL_CODE,
      time_to_live: 3600,
      content,
    });
    expect(res.id).toEqual(expect.any(String));
  });

  it('403 (non-retryable) for a recipient that is not authorized', async () => {
    const err = await messages
      .sendMessage(keys.primary_key, { fiscal_code: CITIZEN, content })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ status: 403, retryable: false });
  });

  it('validates subject/markdown lengths before sending', async () => {
    const err = await messages
      .sendMessage(keys.primary_key, {
        fiscal_code: SANDBOX_FISCAL_CODE,
        content: { ...content, subject: 'Corto' },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'invalid_request',
      issues: [expect.stringContaining('content.subject')],
    });
  });

  it('401 with a key that is not a service key', async () => {
    await expect(
      messages.sendMessage('nope', { fiscal_code: SANDBOX_FISCAL_CODE, content }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('a 5xx on send is not retried (no duplicate message), and is reported retryable', async () => {
    await t.admin('PUT', '/faults', { failNext: 1 });
    const err = await messages
      .sendMessage(keys.primary_key, { fiscal_code: SANDBOX_FISCAL_CODE, content })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRetryableError);
    expect(err).toMatchObject({ attempts: 1, status: 500 });
  });

  it('getProfile → sender_allowed; the fiscal code and key stay out of logs', async () => {
    const { logger, output } = capturingLogger();
    const client = new HttpIoMessagesClient({ baseUrl: t.url, logger });
    expect(await client.getProfile(keys.secondary_key, CITIZEN)).toMatchObject({ sender_allowed: true });
    expect(output()).toContain('/profiles/{fiscal_code}');
    expect(output()).not.toContain(CITIZEN);
    expect(output()).not.toContain(keys.secondary_key);
  });

  it('getProfile refuses a malformed fiscal code before sending (invalid_request, value not echoed)', async () => {
    const err = await messages.getProfile(keys.primary_key, 'rssmra80a01h501u').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ kind: 'invalid_request', attempts: 0 });
    expect((err as Error).message).not.toContain('rssmra80a01h501u');
  });
});
