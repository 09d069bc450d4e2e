import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, type Logger as TemporalLogger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createActivities,
  type ActivityDependencies,
  type Activities,
  type PartnerProfile,
} from '../../activities';
import { createLogger } from '../../common/logger';
import { cardFromCatalogue, catalogueEntry } from '../../domain/catalogue';
import { serviceCardSchema, type ServiceCard, type ServiceCardInput } from '../../domain/service-card';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { createSolidPng } from '../../integrations/documents/png';
import {
  createIoManageClient,
  createIoMessagesClient,
  type IoManageClient,
  type IoManageClientOptions,
  type IoMessagesClient,
} from '../../integrations/io';
import {
  FileSentLedger,
  SmtpMailer,
  startSmtpCatcher,
  type SmtpCatcher,
  type SmtpCatcherOptions,
} from '../../integrations/mail';
import { ManageKeyStore, type ManageKeyRecord } from '../../integrations/keys';
import { cachedClientFactory } from '../../activities/manage-keys';
import type { ManageKeyScope } from '../../contracts/service';
import { createPortalClient, type PortalClient } from '../../integrations/portal';
import { createSelfcareClient, type SelfcareClient } from '../../integrations/selfcare';
import {
  startSandbox,
  type InstitutionSeed,
  type RunningSandbox,
  type StartSandboxOptions,
} from '../../sandbox';

/** Admin and manage answers are read loosely: the clients' own tests check the schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const MANAGE_KEY = 'activities-manage-key-0001';
export const SELFCARE_KEY = 'activities-selfcare-key-0002';
export const ADMIN_TOKEN = 'activities-admin-token-0003';
export const PORTAL_CREDENTIALS = { username: 'partner', password: 'portal-password-0004' };
export const TENANT = 'comune-di-trento';

export const COMUNE = {
  name: 'Comune di Trento',
  ipaCode: 'c_l378',
  fiscalCode: '00355870221',
  pec: 'servizio.protocollo@pec.comune.trento.it',
  website: 'https://www.comune.trento.it',
};
/** A Comune already onboarded on prod-io (scenario B), and one whose adhesion is pending. */
export const ADHERENT_FC = '00355870221';
export const PENDING_FC = '00337460224';

export const PARTNER: PartnerProfile = {
  name: 'Consorzio dei Comuni Trentini',
  staffEmails: ['staff@comunitrentini.it', 'servizi.digitali@comunitrentini.it'],
  managerEmails: ['direzione@comunitrentini.it'],
  contactEmail: 'innovazione@comunitrentini.it',
  contactPhone: '0461 1920717',
};

export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const silentLogger = createLogger('activities-test', 'silent');

const silentTemporalLogger: TemporalLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface HarnessOptions {
  /** Sandbox options on top of the harness's keys, token and seeds (e.g. `reviewer`, `portal`). */
  sandbox?: Partial<StartSandboxOptions>;
  catcher?: Pick<SmtpCatcherOptions, 'rejectRecipient'>;
  /**
   * The sandbox's transitional partner-wide key (`MANAGE_KEY`) and the activities' legacy `io` client: only for
   * tests of legacy journeys and of the activities over a plain partner client. Default false: every IO call uses
   * the Comune's own key, resolved from `keyStore` (as the worker does).
   */
  legacyPartnerKey?: boolean;
}

/** An institution's manage keys as the sandbox's IO back office shows them. */
export interface InstitutionKeys {
  primary_key: string;
  secondary_key: string;
}

export interface ActivityHarness {
  dir: string;
  sandbox: RunningSandbox;
  url: string;
  /** A manage client with the legacy partner key `MANAGE_KEY` (refused by the sandbox unless `legacyPartnerKey`). */
  io: IoManageClient;
  messages: IoMessagesClient;
  selfcare: SelfcareClient;
  portal: PortalClient;
  documents: FileSystemDocumentStore;
  catcher: SmtpCatcher;
  mailer: SmtpMailer;
  /** The sha256 of a valid 300×300 white PNG in the document store. */
  logoRef: string;
  /** The KEK (base64, 32 bytes) and the folder of the Comuni's sealed manage keys (what MANAGE_KEYS_KEK/_DIR say). */
  kek: string;
  keysDir: string;
  /** The Comuni's manage keys, sealed as the API does; the activities resolve them at call time. */
  keyStore: ManageKeyStore;
  deps: ActivityDependencies;
  /** `createActivities(deps)`: the activities the worker registers. */
  activities: Activities;
  /** Activities over other dependencies (a slower client, no Selfcare...). */
  build(deps: ActivityDependencies): Activities;
  /** A manage client on the sandbox with other options (e.g. a short `timeoutMs`). */
  ioClient(options?: Partial<IoManageClientOptions>): IoManageClient;
  /** Calls the sandbox admin API (`/__admin`). */
  admin(method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** The sandbox's services (admin view) with this name. */
  servicesNamed(name: string): Promise<Json[]>;
  /** The sandbox's services (admin view) owned by this institution (the key that created them). */
  servicesOwnedBy(fiscalCode: string): Promise<Json[]>;
  /** Selfcare shows the institution's prod-io onboarding ACTIVE: the sandbox issues its own manage keys. */
  activate(fiscalCode: string, description: string): Promise<void>;
  /** The institution's manage keys, read in the sandbox's IO back office (admin API). */
  institutionKeys(fiscalCode: string): Promise<InstitutionKeys>;
  /** Regenerates the institution's primary key in the back office: the old one is refused from then on. */
  regenerateKey(fiscalCode: string): Promise<InstitutionKeys>;
  /** Reads the institution's current key in the sandbox and seals it in `keyStore` for the Comune (as the API does). */
  sealKey(ipaCode: string, fiscalCode: string, keys?: InstitutionKeys): Promise<ManageKeyRecord>;
  /** The key scope the service workflow passes for a Comune of 0.5.0 (its own key). */
  scope(ipaCode?: string): ManageKeyScope;
  /** A manage client calling with this institution's current own key. */
  ioAs(fiscalCode: string, options?: Partial<IoManageClientOptions>): Promise<IoManageClient>;
  /** A valid card for a catalogue entry of the Comune di Trento, with overrides. */
  card(slug: string, overrides?: Partial<ServiceCardInput>): ServiceCard;
  close(): Promise<void>;
}

/** Runs an activity as a worker would: inside a real activity context (Context.current(), log, heartbeat). */
export function runActivity<P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: silentTemporalLogger }).run(fn, ...args);
}

/**
 * Runs an activity as attempt `attempt` of a retried activity, with the heartbeat details its previous attempt
 * left; returns its outcome and the heartbeats it sent.
 */
export async function runAttempt<P extends unknown[], R>(
  previous: { heartbeatDetails?: unknown; isLocal?: boolean },
  fn: (...args: P) => Promise<R>,
  ...args: P
): Promise<{ outcome: Promise<R>; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment(previous, { logger: silentTemporalLogger });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const outcome: Promise<R> = env.run(fn, ...args) as Promise<R>;
  await outcome.catch(() => undefined);
  return { outcome, heartbeats };
}

/** The ApplicationFailure an activity failed with (fails the test when it succeeded or threw something else). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(outcome.error)}`, { cause: outcome.error });
  }
  return outcome.error;
}

/** Polls until `check` holds (the sandbox works asynchronously after a client gave up). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

function institutions(): Record<string, InstitutionSeed> {
  return {
    [ADHERENT_FC]: {
      description: 'Comune di Trento',
      digitalAddress: COMUNE.pec,
      onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
    },
    [PENDING_FC]: {
      description: 'Comune di Pergine Valsugana',
      onboarding: [
        { productId: 'prod-pagopa', status: 'ACTIVE' },
        { productId: 'prod-io', status: 'PENDING' },
      ],
    },
  };
}

export async function startActivityHarness(options: HarnessOptions = {}): Promise<ActivityHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'io-activities-'));
  const legacy = options.legacyPartnerKey === true;
  const sandbox = await startSandbox({
    port: 0,
    ...(legacy ? { legacyPartnerKeys: [{ key: MANAGE_KEY, organizationFiscalCode: 'any' }] } : {}),
    selfcareKey: SELFCARE_KEY,
    adminToken: ADMIN_TOKEN,
    portalCredentials: [{ tenant: '*', ...PORTAL_CREDENTIALS }],
    institutions: institutions(),
    logger: silentLogger,
    ...options.sandbox,
  });
  const url = sandbox.url;
  const ioClient = (extra: Partial<IoManageClientOptions> = {}) =>
    createIoManageClient({ baseUrl: url, manageKey: MANAGE_KEY, logger: silentLogger, ...extra });
  const io = ioClient();
  const messages = createIoMessagesClient({ baseUrl: url, logger: silentLogger });
  const selfcare = createSelfcareClient({
    baseUrl: url,
    subscriptionKey: SELFCARE_KEY,
    logger: silentLogger,
  });
  const portal = createPortalClient({
    baseUrl: `${url}/portal`,
    credentials: PORTAL_CREDENTIALS,
    logger: silentLogger,
  });

  const documents = new FileSystemDocumentStore(path.join(dir, 'documents'), { logger: silentLogger });
  const logo = await documents.put(createSolidPng(300, 300, [255, 255, 255, 255]), {
    contentType: 'image/png',
    originalName: 'stemma-trento.png',
  });

  const catcher = await startSmtpCatcher({
    port: 0,
    outboxDir: path.join(dir, 'outbox'),
    logger: silentLogger,
    ...options.catcher,
  });
  const mailer = new SmtpMailer(
    {
      host: catcher.host,
      port: catcher.port,
      secure: false,
      from: 'Consorzio dei Comuni Trentini <noreply@comunitrentini.it>',
      connectionTimeoutMs: 5_000,
      greetingTimeoutMs: 5_000,
      socketTimeoutMs: 5_000,
    },
    { ledger: new FileSentLedger(path.join(dir, 'ledger')), logger: silentLogger },
  );

  const kek = randomBytes(32).toString('base64');
  const keysDir = path.join(dir, 'manage-keys');
  const keyStore = new ManageKeyStore(keysDir, { current: { id: 'kek1', key: Buffer.from(kek, 'base64') } });
  // As worker/dependencies.ts wires it: the Comune's key from the store at each call, one client per key.
  const manageKeys = {
    store: keyStore,
    clientFor: cachedClientFactory((manageKey) =>
      createIoManageClient({ baseUrl: url, manageKey, logger: silentLogger }),
    ),
  };
  const deps: ActivityDependencies = {
    ...(legacy ? { io } : {}),
    manageKeys,
    messages,
    selfcare,
    portal,
    mailer,
    documents,
    partner: PARTNER,
  };

  const admin = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${url}/__admin${p}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
  };
  const institutionKeys = async (fiscalCode: string): Promise<InstitutionKeys> => {
    const res = await admin('GET', `/institutions/${fiscalCode}/manage-keys`);
    if (res.status !== 200) throw new Error(`manage keys of ${fiscalCode}: HTTP ${res.status}`);
    return res.body as InstitutionKeys;
  };

  return {
    dir,
    sandbox,
    url,
    io,
    messages,
    selfcare,
    portal,
    documents,
    catcher,
    mailer,
    logoRef: logo.sha256,
    kek,
    keysDir,
    keyStore,
    deps,
    activities: createActivities(deps),
    build: (other) => createActivities(other),
    ioClient,
    admin,
    async servicesNamed(name) {
      const { body } = await admin('GET', '/services');
      return (body.services as Json[]).filter((s) => s.name === name);
    },
    async servicesOwnedBy(fiscalCode) {
      const { body } = await admin('GET', '/services');
      return (body.services as Json[]).filter((s) => s.owner === fiscalCode);
    },
    async activate(fiscalCode, description) {
      const res = await admin('PUT', `/selfcare/institutions/${fiscalCode}`, {
        description,
        onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
      });
      if (res.status >= 300) throw new Error(`activating ${fiscalCode}: HTTP ${res.status}`);
    },
    institutionKeys,
    async regenerateKey(fiscalCode) {
      const res = await admin('PUT', `/institutions/${fiscalCode}/manage-keys/primary`);
      if (res.status !== 200) throw new Error(`regenerating the key of ${fiscalCode}: HTTP ${res.status}`);
      return res.body as InstitutionKeys;
    },
    async sealKey(ipaCode, fiscalCode, keys) {
      const k = keys ?? (await institutionKeys(fiscalCode));
      return keyStore.put({
        ipaCode,
        organizationFiscalCode: fiscalCode,
        secret: { primary: k.primary_key, secondary: k.secondary_key },
        recordedBy: 'staff:laura.conti',
      });
    },
    scope: (ipaCode = COMUNE.ipaCode) => ({ comuneIpa: ipaCode, source: 'comune' }),
    async ioAs(fiscalCode, extra = {}) {
      const k = await institutionKeys(fiscalCode);
      return createIoManageClient({ baseUrl: url, manageKey: k.primary_key, logger: silentLogger, ...extra });
    },
    card(slug, overrides = {}) {
      const entry = catalogueEntry(slug);
      if (!entry) throw new Error(`no catalogue entry ${slug}`);
      const input = cardFromCatalogue(entry, COMUNE, {
        authorizedCidrs: '127.0.0.1/32',
        logoRef: logo.sha256,
        supportUrl: 'https://www.comune.trento.it/assistenza',
        phone: '0461 884111',
      });
      return serviceCardSchema.parse({ ...input, ...overrides });
    },
    async close() {
      mailer.close();
      await catcher.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP proxy in front of the sandbox that forwards each request at once and holds the answer back for
 * `delayMs`: the server has done the work, the caller sees a timeout (a "lost response"). With `slowAnswers`,
 * only that many answers are delayed; the following ones pass at once.
 */
export async function startSlowResponseProxy(
  target: string,
  delayMs: number,
  slowAnswers = Infinity,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  let answered = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer: IncomingMessage) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            const delay = answered++ < slowAnswers ? delayMs : 0;
            setTimeout(() => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            }, delay);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `base` with some methods replaced (e.g. a `createService` through a client with a short timeout). */
export function overrideClient<T extends object>(base: T, overrides: Partial<T>): T {
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof T];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** An IoManageClient that sends `createService` through `creator` and everything else through `base`. */
export function withCreateServiceFrom(base: IoManageClient, creator: IoManageClient): IoManageClient {
  return overrideClient(base, { createService: creator.createService.bind(creator) });
}
