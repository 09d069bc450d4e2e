import { createLogger } from '../../common/logger';
import {
  ConcurrencyLimiter,
  HttpIoManageClient,
  HttpIoMessagesClient,
  SANDBOX_FISCAL_CODE,
} from '../../integrations/io';
import { HttpSelfcareClient } from '../../integrations/selfcare';
import { loadContract, recordingFetch, type Exchange } from './contract';

/**
 * Answers PagoPA's spec allows and the sandbox never gives: each fixture is first proved spec-valid against our
 * description (the recorded exchange conforms), then the client must accept it.
 */

const contract = loadContract();
const silentLogger = createLogger('spec-valid', 'silent');
const ORG_FC = '00355870221';
const BASE = 'https://api.io.example';

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A fetch answering from `route`, recording every exchange. */
function stubbed(route: (method: string, url: URL) => Answer): {
  fetch: typeof fetch;
  exchanges: Exchange[];
} {
  const exchanges: Exchange[] = [];
  const inner: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const answer = route(request.method, new URL(request.url));
    const json = answer.status >= 300 ? 'application/problem+json' : 'application/json';
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { ...(answer.body === undefined ? {} : { 'content-type': json }), ...answer.headers },
    });
  };
  return { fetch: recordingFetch(exchanges, inner), exchanges };
}

/** Every request conformed, and every answer (the fixtures) is valid against the description. */
function expectConforming(exchanges: Exchange[]): void {
  expect(exchanges.length).toBeGreaterThan(0);
  const problems = exchanges.flatMap((ex) => [
    ...contract.checkRequest(ex).problems.map((p) => `request ${ex.method} ${ex.url.pathname}: ${p}`),
    ...contract.checkResponse(ex).problems.map((p) => `answer ${ex.method} ${ex.url.pathname}: ${p}`),
  ]);
  expect(problems).toEqual([]);
}

function service(id: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    status: { value: 'draft' },
    last_update: '2024-03-01T10:00:00.000Z',
    name,
    description: `Il servizio ${name}.`,
    organization: { name: 'Comune di Trento', fiscal_code: ORG_FC },
    metadata: { scope: 'LOCAL' },
    ...extra,
  };
}

function manageClient(fetchFn: typeof fetch, pageSize = 3) {
  return new HttpIoManageClient({
    baseUrl: BASE,
    manageKey: 'manage-key',
    logger: silentLogger,
    fetch: fetchFn,
    pageSize,
    creationLimiter: new ConcurrencyLimiter(1),
    retry: { maxAttempts: 1 },
  });
}

/** `GET /services` pages by offset; anything else 404. */
function listing(pages: Record<number, unknown[]>, limit = 3) {
  return stubbed((method, url) => {
    if (method !== 'GET' || url.pathname !== '/api/v1/manage/services') return { status: 404 };
    const offset = Number(url.searchParams.get('offset'));
    const value = pages[offset] ?? [];
    return { status: 200, body: { value, pagination: { offset, limit, count: value.length } } };
  });
}

describe('service ids and numbers', () => {
  it('an old non-ULID id (a service migrated from the old developer portal) is read everywhere', async () => {
    const old = service('01234567890', 'Servizi anagrafici', {
      status: { value: 'approved' },
      version: 3,
      metadata: { scope: 'LOCAL', topic: { id: 11, name: 'Servizi anagrafici e civici' } },
    });
    const { fetch, exchanges } = stubbed((method, url) => {
      const p = url.pathname;
      if (p === '/api/v1/manage/services/01234567890' && method === 'GET') return { status: 200, body: old };
      if (p === '/api/v1/manage/services/01234567890/release' && method === 'GET') {
        return { status: 200, body: { ...old, status: 'published' } };
      }
      if (p === '/api/v1/manage/services/01234567890/history') {
        return {
          status: 200,
          body: {
            items: [{ ...old, status: { kind: 'lifecycle', value: 'approved' } }],
            continuationToken: 'abc',
          },
        };
      }
      return { status: 404 };
    });
    const io = manageClient(fetch);
    expect((await io.getService('01234567890')).id).toBe('01234567890');
    expect((await io.getRelease('01234567890'))?.status).toBe('published');
    const history = await io.getHistory('01234567890');
    expect(history.items[0]?.id).toBe('01234567890');
    expect(history.continuationToken).toBe('abc');
    expectConforming(exchanges);
  });

  it('numbers the spec types as `number` may be non-integers (topic id, pagination)', async () => {
    const page = {
      value: [
        service('01HZX3Y5M8Q2W7E9R4T6Y1U3I5', 'Tributi', {
          metadata: { scope: 'LOCAL', topic: { id: 10.5, name: 'x' } },
        }),
      ],
      pagination: { offset: 0, limit: 2.5, count: 1.0 },
    };
    const { fetch, exchanges } = stubbed(() => ({ status: 200, body: page }));
    const listed = await manageClient(fetch).listServices({ limit: 3, offset: 0 });
    expect(listed.value[0]?.metadata.topic?.id).toBe(10.5);
    expect(listed.pagination?.limit).toBe(2.5);
    expectConforming(exchanges);
  });

  it('a page with only `value` (no pagination) and a history without items are read', async () => {
    const { fetch, exchanges } = stubbed((_m, url) =>
      url.pathname.endsWith('/history') ? { status: 200, body: {} } : { status: 200, body: { value: [] } },
    );
    const io = manageClient(fetch);
    expect((await io.listServices()).value).toEqual([]);
    expect((await io.getHistory('x')).items).toEqual([]);
    expectConforming(exchanges);
  });

  it('beyond the spec, leniently: a non-integer or beyond-int32 max_allowed_payment_amount is read too', async () => {
    const { fetch } = stubbed(() => ({
      status: 200,
      body: service('01234567890', 'Pagamenti', { max_allowed_payment_amount: 9_999_999_999.5 }),
    }));
    expect((await manageClient(fetch).getService('01234567890')).max_allowed_payment_amount).toBe(
      9_999_999_999.5,
    );
  });
});

describe('the duplicate guard pages until an empty page', () => {
  it('a short page (count < limit) is followed by a page holding the service', async () => {
    const { fetch, exchanges } = listing({
      0: [service('A1', 'Tributi locali'), service('A2', 'Servizi sociali')],
      3: [service('B1', 'Polizia locale'), service('01234567890', 'Ufficio tecnico')],
    });
    const found = await manageClient(fetch).findServiceByName(ORG_FC, ' ufficio   TECNICO');
    expect(found?.id).toBe('01234567890');
    // The offset moves by the limit asked for: PagoPA counts subscriptions, not the services it returned.
    expect(exchanges.map((ex) => ex.url.searchParams.get('offset'))).toEqual(['0', '3']);
    expectConforming(exchanges);
  });

  it('an absent service is searched until the empty page, whatever count says', async () => {
    const { fetch, exchanges } = listing({
      0: [service('A1', 'Tributi locali')],
      3: [service('B1', 'Polizia locale')],
      6: [service('C1', 'Biblioteca comunale')],
    });
    expect(await manageClient(fetch).findServiceByName(ORG_FC, 'Ufficio tecnico')).toBeNull();
    expect(exchanges.map((ex) => ex.url.searchParams.get('offset'))).toEqual(['0', '3', '6', '9']);
    expectConforming(exchanges);
  });

  it('deleted services stay listed and are ignored; another organisation never matches', async () => {
    const { fetch, exchanges } = listing({
      0: [
        service('D1', 'Ufficio tecnico', { status: { value: 'deleted' } }),
        service('O1', 'Ufficio tecnico', {
          organization: { name: 'Comune di Pergine', fiscal_code: '00337460224' },
        }),
      ],
      3: [service('L1', 'Ufficio tecnico', { status: { value: 'approved' } })],
    });
    expect((await manageClient(fetch).findServiceByName(ORG_FC, 'Ufficio tecnico'))?.id).toBe('L1');
    expectConforming(exchanges);

    const onlyDeleted = listing({ 0: [service('D1', 'Ufficio tecnico', { status: { value: 'deleted' } })] });
    expect(await manageClient(onlyDeleted.fetch).findServiceByName(ORG_FC, 'Ufficio tecnico')).toBeNull();
  });
});

describe('messages and Selfcare', () => {
  it('a 201 without a message id (optional in the spec) is accepted', async () => {
    const { fetch, exchanges } = stubbed(() => ({
      status: 201,
      body: {},
      headers: { location: '/api/v1/messages/AAAAAA00A00A000A/01HZX' },
    }));
    const messages = new HttpIoMessagesClient({ baseUrl: BASE, logger: silentLogger, fetch });
    const sent = await messages.sendMessage('service-key', {
      fiscal_code: SANDBOX_FISCAL_CODE,
      content: { subject: 'Messaggio di prova', markdown: 'Questo è un messaggio di prova. '.repeat(4) },
    });
    expect(sent.id).toBeUndefined();
    expectConforming(exchanges);
  });

  it('an institution with only id, origin and originId, and onboardings without product or status', async () => {
    const { fetch, exchanges } = stubbed(() => ({
      status: 200,
      body: {
        institutions: [
          {
            id: 'inst-1',
            origin: 'IPA',
            originId: 'c_l378',
            onboarding: [
              {},
              { productId: 'prod-io' },
              { status: 'ACTIVE' },
              { productId: 'prod-io', status: 'PENDING' },
            ],
          },
        ],
      },
    }));
    const selfcare = new HttpSelfcareClient({
      baseUrl: BASE,
      subscriptionKey: 'k',
      logger: silentLogger,
      fetch,
    });
    expect(await selfcare.getIoOnboardingStatus(ORG_FC)).toEqual({
      adherent: false,
      found: true,
      status: 'PENDING',
      institutionId: 'inst-1',
    });
    expectConforming(exchanges);
  });
});
