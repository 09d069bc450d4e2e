import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  getComuneStateQuery,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordSignedFormUpdate,
  stopWatchUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { journeyTasks } from '../../domain/journey-tasks';
import { startActivityHarness, type ActivityHarness } from '../activities/harness';
import { comuneInput } from '../support/fixtures';
import { createDevServerEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';

/**
 * #14, as it will be checked: a completed Comune keeps watching its services on the real stack (dev server, the real
 * activities over HTTP against the sandbox). Its administrator takes a service off the app in the IO back office:
 * at the next check the service is a staff task, the secured amount drops by the band's rate, and staff and
 * managers get an e-mail; published again, it counts again.
 */
describe('the watch after completion, end to end (dev server, sandbox)', () => {
  let env: TestWorkflowEnvironment;
  let harness: ActivityHarness;
  const taskQueue = 'e2e-watch';

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      createDevServerEnv(),
      startActivityHarness({
        sandbox: { reviewer: { mode: 'approve', reviewDelayMs: 0 }, portal: { autoCreateServices: true } },
      }),
    ]);
  });
  afterAll(async () => {
    await harness?.close();
    await env?.teardown();
  });

  it('turns a service unpublished on IO into a staff task and takes it out of the secured funding', async () => {
    const input = comuneInput({
      ipaCode: 'c_l378',
      services: 5,
      logoRef: harness.logoRef,
      settings: {
        adhesionCheck: 'automatic',
        reviewPollInitialMinutes: 0.01,
        reviewPollMaxHours: 0.0005,
        watchAfterCompletionDays: 1,
        // One check every ~2 seconds.
        watchCheckEveryHours: 0.0006,
      },
    });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
      activities: harness.activities,
    });
    await worker.runUntil(async () => {
      const handle = await startComuneJourney(env.client, input, { taskQueue });
      const until = (what: string, accept: (s: ComuneState) => boolean, timeoutMs = 120_000) =>
        waitFor(
          what,
          async () => {
            const s = await handle.query(getComuneStateQuery);
            return accept(s) ? s : undefined;
          },
          { timeoutMs, intervalMs: 250 },
        );
      await until('delegation requested', (s) => s.stage === 'delegation_requested');
      await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'staff:laura.conti' }] });
      await until('awaiting the signed form', (s) => s.stage === 'awaiting_signed_form');
      await handle.executeUpdate(recordSignedFormUpdate, {
        args: [
          {
            actor: 'staff:laura.conti',
            document: { sha256: 'c'.repeat(64), signerName: 'Franco Ianeselli' },
          },
        ],
      });
      await until('the onboarding seen active', (s) => s.ioAccess?.onboardingActiveAt !== undefined);
      const record = await harness.sealKey(input.comune.ipaCode, input.comune.fiscalCode);
      await handle.executeUpdate(recordManageKeyUpdate, {
        args: [
          {
            actor: 'staff:laura.conti',
            ref: record.ref,
            fingerprint: record.fingerprint,
            hasSecondary: record.hasSecondary,
          },
        ],
      });
      const completed = await until(
        'completed and watched',
        (s) => s.stage === 'completed' && !!s.watch?.checks,
      );
      const rate = completed.funding.eurPerService;
      expect(completed.funding.securedEur).toBe(5 * rate);

      // The Comune's administrator takes TARI off the app in its IO back office.
      const tari = completed.services.find((s) => s.slug === 'tari')!;
      const io = await harness.ioAs(input.comune.fiscalCode);
      await io.unpublish(tari.ioServiceId!);
      const lost = await until('TARI no longer visible', (s) =>
        s.services.some((x) => x.slug === 'tari' && x.status === 'unpublished'),
      );
      expect(lost.funding.securedEur).toBe(4 * rate);
      expect(journeyTasks(lost)).toEqual([
        expect.objectContaining({ kind: 'service', slug: 'tari', status: 'unpublished', party: 'staff' }),
      ]);
      const mail = await waitFor('the e-mail to staff and managers', async () => {
        const outbox = await harness.catcher.outbox.listOutbox({ limit: 100 });
        return outbox.items.find((m) => m.kind === 'service_unpublished');
      });
      expect(mail.subject).toBe(`Servizi non più visibili in App IO – ${input.comune.name} (c_l378)`);

      // Published again (as PagoPA's publication would): counted again at the next check.
      await io.publish(tari.ioServiceId!);
      const back = await until('TARI visible again', (s) => s.servicesActive === 5);
      expect(back.funding.securedEur).toBe(5 * rate);

      await handle.executeUpdate(stopWatchUpdate, {
        args: [{ actor: 'manager:direzione', reason: 'verifica conclusa per la prova' }],
      });
      const final = (await handle.result()) as ComuneState;
      expect(final.watch?.stopped?.reason).toBe('verifica conclusa per la prova');
    });
  }, 300_000);
});
