import path from 'node:path';
import request, { type Response, type Test } from 'supertest';
import type { Express } from 'express';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { createBulkActivities } from '../../activities/bulk';
import { createApp, type ApiContext } from '../../api/app';
import type { Role } from '../../api/auth/roles';
import { createLogger } from '../../common/logger';
import { recordSignedFormUpdate, type ComuneState } from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { comuneWorkflowId } from '../../contracts/ids';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { comuneInput, type ComuneFixtureOptions } from '../support/fixtures';
import { mockActivities, type MockBehaviour } from '../support/mock-activities';
import { createDevServerEnv, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

/**
 * One real dev server per test file, a worker on the API context's task queue (mock journey activities, real bulk
 * activities) and the API over HTTP with supertest. Helpers call the API as a role and poll eventually consistent
 * answers (visibility) until they match.
 */

type Verb = 'get' | 'post' | 'put' | 'delete';
export type Caller = Record<Verb, (path: string) => Test>;

export interface ApiHarness {
  env: TestWorkflowEnvironment;
  api: TestApiContext;
  app: Express;
  /** Calls `/api/v1<path>` with the bearer token of `role`. */
  as(role: Role): Caller;
  /** Starts a Comune journey directly on Temporal (setup, not the thing under test). */
  startComune(options: ComuneFixtureOptions): Promise<string>;
  /**
   * Records adhesion and delegation through the API and the signed form directly (its upload is covered on its
   * own), until the Comune's services start.
   */
  advanceToServices(ipa: string): Promise<ComuneState>;
  /** Polls `GET /comuni/:ipa` until `accept` holds. */
  comuneState(ipa: string, accept?: (state: ComuneState) => boolean): Promise<ComuneState>;
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

export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const env = await createDevServerEnv();
  const api = testApiContext(env.client, options.context);
  const { ctx } = api;
  // The same temporary folder as the context's, without a log line per stored document.
  ctx.documents = new FileSystemDocumentStore(path.join(api.dir, 'documents'), {
    logger: createLogger('api-test', 'silent'),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: ctx.taskQueue,
    workflowBundle: workflowBundle(),
    activities: {
      ...mockActivities(options.mock).activities,
      ...options.activities,
      ...createBulkActivities({ client: env.client, taskQueue: ctx.taskQueue, documents: ctx.documents }),
    },
  }).catch(async (err: unknown) => {
    await env.teardown();
    api.cleanup();
    throw err;
  });
  const running = worker.run();
  const app = createApp(ctx);
  const as = (role: Role) => caller(app, api.tokens[role]);
  const comuneState = (ipa: string, accept: (state: ComuneState) => boolean = () => true) =>
    eventually(
      `the state of ${ipa}`,
      async () => (await as('staff').get(`/comuni/${ipa}`).expect(200)).body as ComuneState,
      accept,
    );

  return {
    env,
    api,
    app,
    as,
    async startComune(fixture) {
      const input = comuneInput(fixture);
      await startComuneJourney(env.client, input, { taskQueue: ctx.taskQueue });
      return input.comune.ipaCode;
    },
    comuneState,
    async advanceToServices(ipa) {
      await as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
      await comuneState(ipa, (s) => s.stage === 'delegation_requested');
      await as('staff').post(`/comuni/${ipa}/delegation`).send({}).expect(200);
      await comuneState(ipa, (s) => s.stage === 'awaiting_signed_form');
      await env.client.workflow.getHandle(comuneWorkflowId(ipa)).executeUpdate(recordSignedFormUpdate, {
        args: [{ actor: 'test', document: { sha256: 'b'.repeat(64), signerName: 'Franco Ianeselli' } }],
      });
      return comuneState(ipa, (s) => s.stage !== 'awaiting_signed_form');
    },
    async teardown() {
      worker.shutdown();
      await running;
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
