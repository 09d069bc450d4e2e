import { pagesIdle } from '../../api/journey-view';
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../activities';
import { cachedClientFactory } from '../../activities/manage-keys';
import { createApp } from '../../api/app';
import { redactedPaths, type Logger } from '../../common/logger';
import { getComuneStateQuery, type ComuneState } from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { createIoManageClient } from '../../integrations/io';
import { createManageKeyVerifier } from '../../integrations/keys/manage-key-verifier';
import {
  ADHERENT_FC,
  COMUNE,
  startActivityHarness,
  type ActivityHarness,
  type Json,
} from '../activities/harness';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { comuneInput } from '../support/fixtures';
import { historyText } from '../support/history-text';
import { createDevServerEnv, testReadModelSinks, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

/**
 * «Accesso a IO» on the real stack: the API (verifier on the sandbox's manage API, the encrypted key store), a dev
 * server, the real workflows and activities over HTTP against the sandbox, with no partner-wide key anywhere. A new
 * Comune cannot reach its services without a verified key of its own; a key regenerated in the IO back office
 * mid-journey pauses the services (awaiting_key, one «manage_key» task in the inbox) until staff record the new
 * key, then they resume with no duplicate; no manage key is in any history, log line or API answer of the run.
 */

/** A pino logger at debug level keeping every line, to look for secrets in it. */
function capturingLogger(name: string): { logger: Logger; output: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino(
    { name, level: 'debug', redact: { paths: redactedPaths, censor: '[REDACTED]' } },
    stream,
  );
  return { logger, output: () => lines.join('') };
}

describe('«Accesso a IO» end to end: each Comune its own manage key (API, dev server, sandbox)', () => {
  const taskQueue = 'e2e-manage-key';
  const ipa = COMUNE.ipaCode;
  const fiscalCode = ADHERENT_FC;
  const logs = capturingLogger('e2e');
  /** Every API answer of the run, as received. */
  const answers: string[] = [];
  let env: TestWorkflowEnvironment;
  let harness: ActivityHarness;
  let api: TestApiContext;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      createDevServerEnv(),
      startActivityHarness({
        sandbox: { reviewer: { mode: 'manual' }, portal: { autoCreateServices: true }, logger: logs.logger },
      }),
    ]);
    api = testApiContext(env.client, {
      taskQueue,
      logger: logs.logger,
      manageKeys: {
        store: harness.keyStore,
        verify: createManageKeyVerifier({ baseUrl: harness.url, partnerAddresses: ['127.0.0.1/32'] }),
      },
    });
    server = createApp(api.ctx).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    api?.cleanup();
    await harness?.close();
    if (api) await pagesIdle(api.ctx); // background page refreshes end before the connection closes
    await env?.teardown();
  });

  async function call(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${api.tokens.staff}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(`${method} ${route} ${res.status} ${text}`);
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
  }
  const recordKey = (primaryKey: string, secondaryKey?: string) =>
    call('POST', `/comuni/${ipa}/manage-key`, { primaryKey, ...(secondaryKey ? { secondaryKey } : {}) });

  it('no services without a verified key of its own; a regenerated key pauses them until the new one is recorded', async () => {
    // The worker as worker/dependencies.ts wires it: each Comune's key from the store, no partner-wide client.
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(api.ctx.readModel),
      activities: createActivities({
        ...harness.deps,
        manageKeys: {
          store: harness.keyStore,
          clientFor: cachedClientFactory((manageKey) =>
            createIoManageClient({ baseUrl: harness.url, manageKey, logger: logs.logger }),
          ),
        },
      }),
    });
    expect(harness.deps.io).toBeUndefined();

    await worker.runUntil(async () => {
      const input = comuneInput({
        ipaCode: ipa,
        services: 5,
        logoRef: harness.logoRef,
        settings: { adhesionCheck: 'automatic', reviewPollInitialMinutes: 0.01, reviewPollMaxHours: 0.0005 },
      });
      const names = input.services.map((s) => s.card.service_name);
      const handle = await startComuneJourney(env.client, input, { taskQueue });
      const stateIs = (what: string, accept: (s: ComuneState) => boolean, timeoutMs = 60_000) =>
        waitFor(
          what,
          async () => {
            const s = await handle.query(getComuneStateQuery);
            return accept(s) ? s : undefined;
          },
          { timeoutMs, intervalMs: 100 },
        );
      // The page as the API answers it once it shows `accept` (a page may lag a busy worker: it says so in freshness).
      const pageShows = (what: string, accept: (page: Json) => boolean) =>
        waitFor(
          `the page: ${what}`,
          async () => {
            const page = await comune();
            return accept(page) ? page : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 100 },
        );
      const servicesOnIo = async () =>
        (await harness.servicesOwnedBy(fiscalCode)).filter((s: Json) => names.includes(s.name));
      const comune = async () => (await call('GET', `/comuni/${ipa}`)).body;

      // Trento: adherent (scenario B). Staff record the delegation and the tracking form.
      await stateIs('delegation requested', (s) => s.stage === 'delegation_requested');
      expect((await call('POST', `/comuni/${ipa}/delegation`, {})).status).toBe(200);
      await stateIs('the signed form', (s) => s.stage === 'awaiting_signed_form');
      const early = await harness.institutionKeys(fiscalCode);
      // Not yet the time of the key: refused before anything is verified or stored.
      expect((await recordKey(early.primary_key)).status).toBe(409);
      expect(await harness.keyStore.describe(ipa)).toBeUndefined();
      await handle.executeUpdate('recordSignedForm', {
        args: [
          {
            actor: 'staff:laura.conti',
            document: {
              sha256: 'c'.repeat(64),
              signerName: 'Franco Ianeselli',
              signerFiscalCode: 'NSLFNC79A01L378X',
            },
          },
        ],
      });

      // «Accesso a IO»: the journey reads Trento's prod-io onboarding ACTIVE on Selfcare, then waits for the key.
      await stateIs(
        'the onboarding seen active',
        (s) => s.stage === 'io_access' && !!s.ioAccess?.onboardingActiveAt,
      );
      const old = await harness.institutionKeys(fiscalCode);
      // A key PagoPA refuses (401) and one the partner's address may not use (403): 422, nothing stored.
      const refused = await recordKey('not-the-key-of-trento-0000');
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0].field).toBe('body.primaryKey');
      await harness.admin('PUT', `/institutions/${fiscalCode}/manage-keys/cidrs`, {
        cidrs: ['203.0.113.0/24'],
      });
      const notAuthorised = await recordKey(old.primary_key);
      expect(notAuthorised.status).toBe(422);
      expect(notAuthorised.body.detail).toMatch(/403/);
      await harness.admin('PUT', `/institutions/${fiscalCode}/manage-keys/cidrs`, {
        cidrs: ['127.0.0.1/32'],
      });
      expect(await harness.keyStore.describe(ipa)).toBeUndefined();
      // Meanwhile the Comune stays in «Accesso a IO» and nothing reached IO.
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await pageShows('still «Accesso a IO»', (p) => p.stage === 'io_access')).stage).toBe(
        'io_access',
      );
      expect(await servicesOnIo()).toEqual([]);

      // The verified key: sealed, only its reference in the journey; the services start.
      const recorded = await recordKey(old.primary_key, old.secondary_key);
      expect(recorded.status).toBe(200);
      const firstRef = (await harness.keyStore.describe(ipa))!.ref;
      await stateIs(
        'every service in review',
        (s) => s.stage === 'services' && s.services.every((x) => x.status === 'in_review'),
      );
      expect(await servicesOnIo()).toHaveLength(5);

      // The key regenerated in the IO back office mid-journey: the review polls are refused, the services pause.
      const renewed = await harness.regenerateKey(fiscalCode);
      const paused = await stateIs('every service awaiting the key', (s) =>
        s.services.every((x) => x.status === 'awaiting_key'),
      );
      expect(paused.ioAccess?.keyRefused?.ref).toBe(firstRef);
      await pageShows('every service awaiting the key', (p) =>
        (p.services as Json[]).every((s) => s.status === 'awaiting_key'),
      );
      const task = await waitFor(
        'the manage_key task in the inbox',
        async () => {
          const inbox = await call('GET', '/inbox?limit=500');
          return (inbox.body.items as Json[]).find((i) => i.ipaCode === ipa && i.kind === 'manage_key');
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(task.who).toBe('staff');

      // The old key again is refused (401); the new one resumes the services from where they stopped.
      expect((await recordKey(old.primary_key)).status).toBe(422);
      expect((await recordKey(renewed.primary_key, renewed.secondary_key)).status).toBe(200);
      expect((await harness.keyStore.describe(ipa))!.ref).not.toBe(firstRef);
      await stateIs(
        'the services back in review',
        (s) => s.ioAccess?.keyRefused === undefined && s.services.every((x) => x.status === 'in_review'),
      );
      await waitFor(
        'the manage_key task gone from the inbox',
        async () => {
          const inbox = await call('GET', '/inbox?limit=500');
          const open = (inbox.body.items as Json[]).some((i) => i.ipaCode === ipa && i.kind === 'manage_key');
          return open ? undefined : true;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );

      // PagoPA approves: the journey completes with one service per name, all in Trento's institution.
      for (const s of await servicesOnIo()) {
        expect(
          (await harness.admin('POST', `/services/${s.id}/review`, { decision: 'approve' })).status,
        ).toBe(200);
      }
      const result: ComuneState = await handle.result();
      expect(result.stage).toBe('completed');
      const onIo = await servicesOnIo();
      expect(onIo.map((s: Json) => s.name).sort()).toEqual([...names].sort());
      for (const name of names) {
        const sameName = (await harness.servicesNamed(name)).filter(
          (s: Json) => s.organization_fiscal_code === fiscalCode,
        );
        expect(sameName).toHaveLength(1);
      }
      await pageShows('completed', (p) => p.stage === 'completed');

      // No manage key, old or new, in any workflow history, log line, API answer or read-model document of the run.
      const secrets = [old.primary_key, old.secondary_key, renewed.primary_key];
      const histories: string[] = [];
      for await (const wf of env.client.workflow.list()) {
        histories.push(await historyText(env.client.workflow.getHandle(wf.workflowId, wf.runId)));
      }
      expect(histories.length).toBeGreaterThanOrEqual(4);
      // The pages' read model on disk, every document the worker wrote (the journey's and each service's).
      const readModelDir = api.ctx.readModel!.dir;
      const readModel = fs
        .readdirSync(readModelDir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
      expect(readModel.length).toBeGreaterThanOrEqual(4);
      const haystacks = {
        histories: histories.join('\n'),
        logs: logs.output(),
        answers: answers.join('\n'),
        readModel: readModel.join('\n'),
      };
      expect(haystacks.logs).toContain('manage key verified and sealed');
      // The histories hold the keys' references (decoded payloads are searched), never the keys.
      const currentRef = (await harness.keyStore.describe(ipa))!.ref;
      expect([firstRef, currentRef].map((ref) => haystacks.histories.includes(ref))).toEqual([true, true]);
      for (const [where, text] of Object.entries(haystacks)) {
        for (const secret of secrets)
          expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
      }
    });
  }, 240_000);
});
