import { createLogger } from '../../common/logger';
import {
  ConcurrencyLimiter,
  HttpIoManageClient,
  HttpIoMessagesClient,
  SANDBOX_FISCAL_CODE,
  serviceToPayload,
  type IoManageClient,
  type IoMessagesClient,
  type ServicePayload,
} from '../../integrations/io';
import { HttpSelfcareClient, type SelfcareClient } from '../../integrations/selfcare';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { loadContract, recordingFetch, type Contract, type Exchange } from './contract';

/**
 * Every method of our PagoPA clients, run against the sandbox through a recording fetch: each request they send
 * and each answer the sandbox gives is validated against our OpenAPI descriptions (integrations/pagopa-openapi).
 * A drift on either side fails here, operation by operation.
 */

const silentLogger = createLogger('conformance', 'silent');
const ADMIN_TOKEN = 'conformance-admin-token-0001';
const SELFCARE_KEY = 'conformance-selfcare-key-0002';
/** Used only when the sandbox cannot give the institution's own manage key. */
const LEGACY_MANAGE_KEY = 'conformance-legacy-manage-key-0003';
const ORG_FC = '00355870221';
const PENDING_FC = '00337460224';
const UNKNOWN_FC = '99999999999';
const CITIZEN_FC = 'SPNDNL80R13C555X';
/** A 1×1 PNG. */
const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AwAI/AL+p5qgoAAAAABJRU5ErkJggg==';

function payload(name: string, overrides: Partial<ServicePayload['metadata']> = {}): ServicePayload {
  return {
    name,
    description: `Il servizio **${name}** del Comune di Trento.`,
    organization: { name: 'Comune di Trento', fiscal_code: ORG_FC },
    authorized_cidrs: ['127.0.0.1/32'],
    authorized_recipients: [],
    max_allowed_payment_amount: 0,
    require_secure_channel: false,
    metadata: {
      scope: 'LOCAL',
      topic_id: 11,
      privacy_url: 'https://www.comune.trento.it/privacy',
      email: 'protocollo@comune.trento.it',
      ...overrides,
    },
  };
}

/** Records which methods of `target` were called. */
function counted<T extends object>(target: T, name: string, called: Set<string>): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        called.add(`${name}.${prop}`);
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}

/** The public methods of a client class (its prototype, without the constructor). */
const methodsOf = (name: string, proto: object): string[] =>
  Object.getOwnPropertyNames(proto)
    .filter((m) => m !== 'constructor')
    .map((m) => `${name}.${m}`);

const settle = <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => e as Error);

let contract: Contract;
let sandbox: RunningSandbox;
const exchanges: Exchange[] = [];
const called = new Set<string>();
/** Exchanges made right after the deleted service was deleted (the listing must still show it). */
let listingAfterDelete: Exchange[] = [];
let deletedId = '';
let keyKind: 'institution' | 'legacy partner' = 'institution';

async function admin(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sandbox.url}/__admin${p}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The Comune's own manage key, as its IO back office shows it; the legacy partner key on older sandboxes. */
async function manageKey(): Promise<string> {
  const res = await admin('GET', `/institutions/${ORG_FC}/manage-keys`);
  const key = (res.body as { primary_key?: unknown } | undefined)?.primary_key;
  if (res.status === 200 && typeof key === 'string') return key;
  keyKind = 'legacy partner';
  return LEGACY_MANAGE_KEY;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  contract = loadContract();
  sandbox = await startSandbox({
    port: 0,
    legacyPartnerKeys: [{ key: LEGACY_MANAGE_KEY, organizationFiscalCode: 'any' }],
    selfcareKey: SELFCARE_KEY,
    adminToken: ADMIN_TOKEN,
    portalCredentials: [],
    reviewer: { mode: 'manual' },
    institutions: {
      [ORG_FC]: {
        description: 'Comune di Trento',
        originId: 'c_l378',
        digitalAddress: 'servizio.protocollo@pec.comune.trento.it',
        onboarding: [
          { productId: 'prod-pagopa', status: 'ACTIVE' },
          { productId: 'prod-io', status: 'ACTIVE' },
        ],
      },
      [PENDING_FC]: {
        description: 'Comune di Pergine Valsugana',
        onboarding: [{ productId: 'prod-io', status: 'PENDING' }],
      },
    },
    logger: silentLogger,
  });
  const record = recordingFetch(exchanges);
  const common = { baseUrl: sandbox.url, logger: silentLogger, fetch: record, retry: { baseDelayMs: 5 } };
  const io: IoManageClient = counted(
    new HttpIoManageClient({
      ...common,
      manageKey: await manageKey(),
      pageSize: 2,
      creationLimiter: new ConcurrencyLimiter(5),
    }),
    'manage',
    called,
  );
  const messages: IoMessagesClient = counted(new HttpIoMessagesClient(common), 'messages', called);
  const selfcare: SelfcareClient = counted(
    new HttpSelfcareClient({ ...common, subscriptionKey: SELFCARE_KEY }),
    'selfcare',
    called,
  );

  // The happy path of one service: create, edit, logo, keys, review, approval, publication, history.
  const s1 = await io.createService(payload('Tassa sui rifiuti (TARI)'));
  await io.getService(s1.id);
  await io.updateService(s1.id, {
    ...serviceToPayload(s1),
    metadata: { ...serviceToPayload(s1).metadata, phone: '0461 884111' },
  });
  await io.uploadLogo(s1.id, TINY_PNG_BASE64);
  await settle(io.uploadLogo(s1.id, Buffer.from('not a png image at all').toString('base64'))); // 400
  const keys = await io.getKeys(s1.id);
  await io.regenerateKey(s1.id, 'secondary');
  await io.getRelease(s1.id); // 404: never published
  await settle(io.publish(s1.id)); // refused: not approved
  await io.submitForReview(s1.id, { auto_publish: false });
  await settle(io.submitForReview(s1.id, { auto_publish: false })); // 409
  await settle(io.updateService(s1.id, serviceToPayload(s1))); // 409 while submitted
  await admin('POST', `/services/${s1.id}/review`, { decision: 'approve' });
  await io.getReviewStatus(s1.id);
  // PagoPA writes the published copy later: POST /release may answer 404 for a while.
  await waitFor(async () => !((await settle(io.publish(s1.id))) instanceof Error));
  await io.getRelease(s1.id);
  await io.unpublish(s1.id);
  await io.getHistory(s1.id, { order: 'ASC', limit: 100 });

  // Messages with the service's own key.
  await messages.sendMessage(keys.primary_key, {
    fiscal_code: SANDBOX_FISCAL_CODE,
    time_to_live: 3600,
    content: {
      subject: 'Messaggio di prova: TARI',
      markdown:
        'Questo è un messaggio di prova del servizio **TARI**, inviato per verificare la configurazione ' +
        'prima della richiesta di pubblicazione.',
    },
  });
  await settle(
    messages.sendMessage(keys.primary_key, {
      fiscal_code: CITIZEN_FC,
      content: {
        subject: 'Avviso di pagamento TARI',
        markdown:
          'Gentile contribuente, è disponibile il tuo avviso di pagamento della TARI: lo trovi nella sezione ' +
          'dedicata del portale del Comune.',
      },
    }),
  ); // 403: not published, not an authorised recipient
  await messages.getProfile(keys.primary_key, CITIZEN_FC);

  // A rejection, a delete, the listing after it, a duplicate guard across pages, a 404 and a 429.
  const s2 = await io.createService(payload('Servizio senza privacy', { privacy_url: 'comune.it/privacy' }));
  await io.submitForReview(s2.id, { auto_publish: false });
  await admin('POST', `/services/${s2.id}/review`, { decision: 'reject', reason: 'privacy non valida' });
  await io.getReviewStatus(s2.id);
  await io.createService(payload('Servizi anagrafici'));
  await io.createService(payload('Polizia locale'));
  await io.deleteService(s2.id);
  deletedId = s2.id;
  const before = exchanges.length;
  await io.listServices({ limit: 100, offset: 0 });
  listingAfterDelete = exchanges.slice(before);
  await io.findServiceByName(ORG_FC, 'polizia   LOCALE');
  await io.findServiceByName(ORG_FC, 'Servizio che non esiste');
  await settle(io.getService('01ARZ3NDEKTSV4RRFFQ69G5FAV')); // 404
  await settle(io.deleteService('01ARZ3NDEKTSV4RRFFQ69G5FAV')); // 404
  await admin('PUT', '/faults', {
    rateLimitBurst: { requests: 1, retryAfterSeconds: 0 },
    pathPrefix: '/api/v1/manage',
  });
  await io.listServices({ limit: 1, offset: 0 }); // 429, then retried in-client
  await admin('DELETE', '/faults');

  // Selfcare.
  await selfcare.getInstitutionsByTaxCode(ORG_FC);
  await selfcare.getIoOnboardingStatus(PENDING_FC);
  await selfcare.getIoOnboardingStatus(UNKNOWN_FC); // 404
});

afterAll(async () => {
  await sandbox?.close();
});

/** Lists `(operation, problem)` for every exchange, grouped by operation. */
function problemsByOperation(kind: 'request' | 'response'): Map<string, string[]> {
  const byOperation = new Map<string, string[]>();
  for (const ex of exchanges) {
    const verdict = kind === 'request' ? contract.checkRequest(ex) : contract.checkResponse(ex);
    const key = `${verdict.api ?? '?'}:${verdict.operationId ?? '?'}`;
    const list = byOperation.get(key) ?? [];
    const where = `${ex.method} ${ex.url.pathname}${ex.url.search} → ${ex.status}`;
    list.push(...verdict.problems.map((p) => `${where}: ${p}`));
    byOperation.set(key, list);
  }
  return byOperation;
}

/** Every operation described, known before the contract loads (the test names need them). */
const DESCRIBED_OPERATIONS = [
  'io-manage:createService',
  'io-manage:getServices',
  'io-manage:getService',
  'io-manage:updateService',
  'io-manage:deleteService',
  'io-manage:updateServiceLogo',
  'io-manage:getServiceHistory',
  'io-manage:getServiceKeys',
  'io-manage:regenerateServiceKey',
  'io-manage:reviewService',
  'io-manage:releaseService',
  'io-manage:getPublishedService',
  'io-manage:unpublishService',
  'io-messages:submitMessageforUserWithFiscalCodeInBody',
  'io-messages:getProfile',
  'selfcare:getInstitutionsUsingGET',
];

describe('coverage', () => {
  it('the descriptions describe exactly the operations listed here', () => {
    expect([...contract.operations()].sort()).toEqual([...DESCRIBED_OPERATIONS].sort());
  });

  it('every method of every client was exercised', () => {
    const expected = [
      ...methodsOf('manage', HttpIoManageClient.prototype),
      ...methodsOf('messages', HttpIoMessagesClient.prototype),
      ...methodsOf('selfcare', HttpSelfcareClient.prototype),
    ].sort();
    expect([...called].sort()).toEqual(expected);
  });

  it('every described operation was called, and every request is a described operation', () => {
    const seen = new Set(
      exchanges.map((ex) => contract.checkRequest(ex)).map((v) => `${v.api}:${v.operationId}`),
    );
    expect([...seen].sort()).toEqual([...DESCRIBED_OPERATIONS].sort());
  });

  it(`the Comune's own manage key was used (not a legacy partner key)`, () => {
    expect(keyKind).toBe('institution');
  });
});

describe('requests our clients send conform to the description', () => {
  it.each(DESCRIBED_OPERATIONS)('%s', (operation) => {
    expect(problemsByOperation('request').get(operation) ?? ['never called']).toEqual([]);
  });
});

describe('answers the sandbox gives conform to the description', () => {
  it.each(DESCRIBED_OPERATIONS)('%s', (operation) => {
    expect(problemsByOperation('response').get(operation) ?? ['never called']).toEqual([]);
  });
});

describe('sandbox behaviour the description states (x-behaviour, descriptions)', () => {
  const pages = () =>
    exchanges
      .filter((ex) => ex.status === 200 && contract.checkRequest(ex).operationId === 'getServices')
      .map((ex) => JSON.parse(ex.responseBody) as { value?: unknown[]; pagination?: { count?: number } });

  it('getServices: pagination.count is the number of services in the page, not a total', () => {
    const wrong = pages().filter(
      (p) => p.pagination?.count !== undefined && p.pagination.count !== p.value?.length,
    );
    expect(wrong.map((p) => ({ count: p.pagination?.count, items: p.value?.length }))).toEqual([]);
  });

  it('getServices: deleted services stay listed, with status deleted', () => {
    const listed = listingAfterDelete
      .filter((ex) => ex.status === 200)
      .flatMap(
        (ex) => (JSON.parse(ex.responseBody) as { value: { id: string; status: { value: string } }[] }).value,
      );
    expect(listed.find((s) => s.id === deletedId)?.status.value).toBe('deleted');
  });
});
