import { randomBytes } from 'node:crypto';
import path from 'node:path';
import request, { type Response, type Test } from 'supertest';
import type { Express } from 'express';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { createBulkActivities } from '../../activities/bulk';
import { createApp, type ApiContext } from '../../api/app';
import { pagesIdle } from '../../api/journey-view';
import type { Role } from '../../api/auth/roles';
import { createLogger } from '../../common/logger';
import { recordSignedFormUpdate, type ComuneState } from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { comuneWorkflowId } from '../../contracts/ids';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { ManageKeyStore } from '../../integrations/keys/manage-key-store';
import { createManageKeyVerifier } from '../../integrations/keys/manage-key-verifier';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { comuneInput, type ComuneFixtureOptions } from '../support/fixtures';
import { mockActivities, type MockBehaviour } from '../support/mock-activities';
import { closePortfolio } from '../../api/portfolio-index';
import { createDevServerEnv, testReadModelSinks, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

/**
 * One real dev server per test file, a worker on the API context's task queue (mock journey activities, real bulk
 * activities) and the API over HTTP with supertest. Helpers call the API as a role and poll eventually consistent
 * answers (visibility) until they match.
 *
 * The Comuni's manage keys are real: an in-process PagoPA sandbox (each institution its own keys, no legacy
 * partner-wide key) verifies them, and a real encrypted key store in the test's folder seals them.
 */

/** The sandbox's admin token (`/__admin`), for tests that seed institutions or read their keys. */
export const SANDBOX_ADMIN_TOKEN = 'api-test-sandbox-admin-0001';
/** The partner's addresses the verifier names when PagoPA answers 403. */
export const PARTNER_ADDRESSES = ['203.0.113.10/32'];

export interface SandboxAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** The in-process PagoPA sandbox the manage keys are verified against. */
export interface HarnessSandbox {
  running: RunningSandbox;
  url: string;
  /** Calls `/__admin<path>` with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<SandboxAnswer>;
  /** Calls `/api/v1/manage<path>` with the given manage key. */
  manage(method: string, path: string, key: string, body?: unknown): Promise<SandboxAnswer>;
  /** Selfcare shows the institution onboarded on prod-io (ACTIVE): the sandbox issues its manage keys. */
  onboard(fiscalCode: string, description?: string): void;
  /** The institution's keys, as its IO back office shows them. */
  keys(fiscalCode: string): Promise<{ primary_key: string; secondary_key: string }>;
}

type Verb = 'get' | 'post' | 'put' | 'delete';
export type Caller = Record<Verb, (path: string) => Test>;

export interface ApiHarness {
  env: TestWorkflowEnvironment;
  api: TestApiContext;
  app: Express;
  /** Calls `/api/v1<path>` with the bearer token of `role`. */
  as(role: Role): Caller;
  sandbox: HarnessSandbox;
  /** The store the API seals the keys in (absent when `options.context` replaced `manageKeys`). */
  keyStore?: ManageKeyStore;
  /** Where the key store writes its files. */
  keyStoreDir: string;
  /** Starts a Comune journey directly on Temporal (setup, not the thing under test). */
  startComune(options: ComuneFixtureOptions): Promise<string>;
  /**
   * Records adhesion and delegation through the API and the signed form directly (its upload is covered on its
   * own), until the Comune reaches «Accesso a IO».
   */
  advanceToIoAccess(ipa: string): Promise<ComuneState>;
  /**
   * As `advanceToIoAccess`, then Selfcare shows the Comune onboarded (in the sandbox) and staff record its own
   * manage key, read from the sandbox's back office, through the API: until the Comune's services start.
   */
  advanceToServices(ipa: string): Promise<ComuneState>;
  /** Polls `GET /comuni/:ipa` until `accept` holds. */
  comuneState(ipa: string, accept?: (state: ComuneState) => boolean): Promise<ComuneState>;
  /** Stops the worker (no workflow task runs any more: a query would wait), keeping the API and Temporal up. */
  stopWorker(): Promise<void>;
  teardown(): Promise<void>;
}

export interface HarnessOptions {
  context?: Partial<ApiContext>;
  mock?: MockBehaviour;
  /** Replaces some mock activities (e.g. `notify` through a real mailer). */
  activities?: Partial<Activities>;
}

export function caller(app: Express, token: string): Caller {
  const withToken = (verb: Verb) => (path: string) =>
    request(app)[verb](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  return {
    get: withToken('get'),
    post: withToken('post'),
    put: withToken('put'),
    delete: withToken('delete'),
  };
}

async function sandboxCall(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<SandboxAnswer> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function startHarnessSandbox(): Promise<HarnessSandbox> {
  const running = await startSandbox({
    port: 0,
    // Real PagoPA: no partner-wide key, each institution its own (issued when onboarded on prod-io).
    legacyPartnerKeys: [],
    selfcareKey: 'api-test-selfcare-key-0001',
    portalCredentials: [],
    adminToken: SANDBOX_ADMIN_TOKEN,
    logger: createLogger('api-test-sandbox', 'silent'),
  });
  const admin = (method: string, p: string, body?: unknown) =>
    sandboxCall(
      `${running.url}/__admin${p}`,
      method,
      { authorization: `Bearer ${SANDBOX_ADMIN_TOKEN}` },
      body,
    );
  return {
    running,
    url: running.url,
    admin,
    manage: (method, p, key, body) =>
      sandboxCall(`${running.url}/api/v1/manage${p}`, method, { 'Ocp-Apim-Subscription-Key': key }, body),
    onboard(fiscalCode, description = `Ente ${fiscalCode}`) {
      running.runtime.upsertInstitution(fiscalCode, {
        description,
        onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
      });
    },
    async keys(fiscalCode) {
      const res = await admin('GET', `/institutions/${fiscalCode}/manage-keys`);
      if (res.status !== 200) throw new Error(`manage keys of ${fiscalCode}: HTTP ${res.status}`);
      return res.body as { primary_key: string; secondary_key: string };
    },
  };
}

export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const env = await createDevServerEnv();
  const api = testApiContext(env.client, options.context);
  const { ctx } = api;
  // The same temporary folder as the context's, without a log line per stored document.
  ctx.documents = new FileSystemDocumentStore(path.join(api.dir, 'documents'), {
    logger: createLogger('api-test', 'silent'),
  });
  const sandbox = await startHarnessSandbox().catch(async (err: unknown) => {
    await env.teardown();
    api.cleanup();
    throw err;
  });
  const keyStoreDir = path.join(api.dir, 'manage-keys');
  let keyStore: ManageKeyStore | undefined;
  if (!options.context || !('manageKeys' in options.context)) {
    keyStore = new ManageKeyStore(keyStoreDir, { current: { id: 'api-test', key: randomBytes(32) } });
    ctx.manageKeys = {
      store: keyStore,
      verify: createManageKeyVerifier({ baseUrl: sandbox.url, partnerAddresses: PARTNER_ADDRESSES }),
    };
  }
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: ctx.taskQueue,
    workflowBundle: workflowBundle(),
    // Without a read model in the API's context (the fallback's tests) the worker writes one nobody reads.
    sinks: testReadModelSinks(ctx.readModel),
    activities: {
      ...mockActivities(options.mock).activities,
      ...options.activities,
      ...createBulkActivities({ client: env.client, taskQueue: ctx.taskQueue, documents: ctx.documents }),
    },
  }).catch(async (err: unknown) => {
    await sandbox.running.close();
    await env.teardown();
    api.cleanup();
    throw err;
  });
  const running = worker.run();
  const app = createApp(ctx);
  const as = (role: Role) => caller(app, api.tokens[role]);
  // Without a condition: the workflow's own answer, never a page's last known state (api/page-cache.ts), so a test
  // reading once after a change elsewhere reads the change.
  const current = (state: ComuneState) =>
    (state as ComuneState & { freshness?: { source: string } }).freshness?.source !== 'cache';
  const comuneState = (ipa: string, accept: (state: ComuneState) => boolean = current) =>
    eventually(
      `the state of ${ipa}`,
      async () => (await as('staff').get(`/comuni/${ipa}`).expect(200)).body as ComuneState,
      accept,
    );
  const advanceToIoAccess = async (ipa: string) => {
    await as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
    await comuneState(ipa, (s) => s.stage === 'delegation_requested');
    await as('staff').post(`/comuni/${ipa}/delegation`).send({}).expect(200);
    await comuneState(ipa, (s) => s.stage === 'awaiting_signed_form');
    await env.client.workflow.getHandle(comuneWorkflowId(ipa)).executeUpdate(recordSignedFormUpdate, {
      args: [{ actor: 'test', document: { sha256: 'b'.repeat(64), signerName: 'Franco Ianeselli' } }],
    });
    return comuneState(ipa, (s) => s.stage === 'io_access');
  };

  return {
    env,
    api,
    app,
    as,
    sandbox,
    keyStore,
    keyStoreDir,
    async startComune(fixture) {
      const input = comuneInput(fixture);
      await startComuneJourney(env.client, input, { taskQueue: ctx.taskQueue });
      return input.comune.ipaCode;
    },
    comuneState,
    advanceToIoAccess,
    async advanceToServices(ipa) {
      const atIoAccess = await advanceToIoAccess(ipa);
      const fiscalCode = atIoAccess.fiscalCode;
      if (!fiscalCode) throw new Error(`${ipa} has no fiscal code in its state`);
      sandbox.onboard(fiscalCode, atIoAccess.name);
      const { primary_key } = await sandbox.keys(fiscalCode);
      await as('staff').post(`/comuni/${ipa}/manage-key`).send({ primaryKey: primary_key }).expect(200);
      return comuneState(ipa, (s) => s.stage !== 'io_access');
    },
    async stopWorker() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    async teardown() {
      // Background page refreshes end first (bounded by PAGE_QUERY_DEADLINE_MS), before the connection closes.
      await pagesIdle(ctx);
      await closePortfolio(ctx);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await sandbox.running.close();
      await env.teardown();
      api.cleanup();
    },
  };
}

/**
 * Polls `fetch` until `accept` holds and returns that value; on timeout the error shows the last value seen, so a
 * failure says what the API answered instead of only "timed out".
 */
export async function eventually<T>(
  what: string,
  fetch: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  let last: T | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        last = await fetch();
        return accept(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; last value: ${JSON.stringify(last, null, 1)?.slice(0, 3000)}`,
    );
  }
}

/** The fields named by a Problem's `errors`. */
export const problemFields = (res: Response): string[] =>
  ((res.body as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);

/** Polls a bulk job (`/imports/:id` or `/bulk/:kind/:id`) until it is completed. */
export function completedJob(as: Caller, path: string) {
  return eventually(
    `job ${path} completed`,
    async () => (await as.get(path).expect(200)).body as Record<string, unknown> & { status: string },
    (job) => job.status === 'completed',
    60_000,
  );
}
