import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  getComuneStateQuery,
  recordDelegationDoneUpdate,
  recordSignedFormUpdate,
  recordTrackingFormUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import { correctCardUpdate, getServiceStateQuery } from '../../contracts/service';
import { startActivityHarness, type ActivityHarness } from '../activities/harness';
import { comuneInput } from '../support/fixtures';
import { createDevServerEnv, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { recordHistoriesIfAsked } from '../support/record-histories';

/**
 * End to end on a real dev server: the real activities and clients against the sandbox over HTTP, a real SMTP
 * server, one Comune with 11 services, one of them rejected once, driven to completion by staff steps.
 */
describe('a Comune journey end to end (dev server, sandbox, SMTP)', () => {
  let env: TestWorkflowEnvironment;
  let harness: ActivityHarness;
  const taskQueue = 'e2e-journey';

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      createDevServerEnv(),
      startActivityHarness({
        sandbox: {
          reviewer: { mode: 'approve', reviewDelayMs: 0, rejectOnce: [/^Mensa scolastica$/i] },
          portal: { autoCreateServices: true },
        },
      }),
    ]);
  });
  afterAll(async () => {
    await harness?.close();
    await env?.teardown();
  });

  it('completes 11 services, one after a rejection, with no duplicate and no key in history', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: harness.activities,
    });
    const input = comuneInput({
      ipaCode: 'c_l378',
      services: 11,
      logoRef: harness.logoRef,
      settings: { adhesionCheck: 'automatic', reviewPollInitialMinutes: 0.01, reviewPollMaxHours: 0.0005 },
    });
    const ipa = input.comune.ipaCode;

    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('comuneWorkflow', {
        taskQueue,
        workflowId: comuneWorkflowId(ipa),
        args: [input],
      });
      const stateIs = (predicate: (s: ComuneState) => boolean) => async () => {
        const s = await handle.query(getComuneStateQuery);
        return predicate(s) ? s : undefined;
      };

      // Selfcare in the sandbox knows Trento as adherent: scenario B, decided automatically.
      const delegation = await waitFor(
        'delegation requested',
        stateIs((s) => s.stage === 'delegation_requested'),
      );
      expect(delegation.scenario).toBe('B');
      await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'staff:laura.conti' }] });
      await handle.executeUpdate(recordTrackingFormUpdate, { args: [{ actor: 'staff:laura.conti' }] });
      await waitFor(
        'awaiting the signed form',
        stateIs((s) => s.stage === 'awaiting_signed_form'),
      );
      await handle.executeUpdate(recordSignedFormUpdate, {
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

      // The reviewer rejects "Mensa scolastica" once: staff correct its card and it goes back for review.
      const mensa = env.client.workflow.getHandle(serviceWorkflowId(ipa, 'mensa'));
      const rejected = await waitFor(
        'the Mensa service to be rejected',
        async () => {
          const s = await mensa.query(getServiceStateQuery).catch(() => undefined);
          return s?.status === 'rejected' ? s : undefined;
        },
        { timeoutMs: 90_000 },
      );
      expect(rejected.rounds[0]?.reason).toMatch(/dati incompleti o incorretti/);
      await mensa.executeUpdate(correctCardUpdate, {
        args: [
          {
            actor: 'staff:laura.conti',
            card: {
              ...rejected.card,
              description:
                'Iscrizioni, ricariche del borsellino elettronico, avvisi di pagamento e menù della refezione scolastica.',
            },
          },
        ],
      });

      const result: ComuneState = await handle.result();
      expect(result.stage).toBe('completed');
      expect(result.servicesActive).toBe(11);
      expect(result.services.find((s) => s.slug === 'mensa')?.rejections).toHaveLength(1);
      expect(result.funding.securedEur).toBe(11 * 1_099);

      // Exactly 11 services on IO for the Comune, each approved and published: no duplicate from retries.
      const page = await harness.io.listServices({ limit: 100, offset: 0 });
      const ours = page.value.filter((s) => s.organization.fiscal_code === input.comune.fiscalCode);
      expect(ours).toHaveLength(11);
      for (const service of ours) {
        expect(service.status.value).toBe('approved');
        expect((await harness.io.getRelease(service.id))?.status).toBe('published');
      }

      // The e-mails that went out: scenario B instructions to the Comune, the rejection to staff.
      const outbox = await harness.catcher.outbox.listOutbox({ limit: 100 });
      const subjects = outbox.items.map((m) => m.subject);
      expect(subjects.some((s) => /Amministratore/i.test(s))).toBe(true);
      expect(
        outbox.items.some(
          (m) => /Mensa scolastica/.test(m.subject) && m.to.includes(harness.deps.partner.staffEmails[0]!),
        ),
      ).toBe(true);
      // And, over real SMTP, the Comune's notice that its 11 services are active.
      const completedNotice = outbox.items.filter((m) => /Percorso completato: 11 servizi/.test(m.subject));
      expect(completedNotice).toHaveLength(1);
      expect(completedNotice[0]!.to).toContain(input.contacts.secretary.email);

      // No key value of any service appears in any history of the journey.
      const keys: string[] = [];
      for (const service of ours) {
        const k = await harness.io.getKeys(service.id);
        keys.push(k.primary_key, k.secondary_key);
      }
      const handles: WorkflowHandle[] = [
        handle,
        ...input.services.map((s) => env.client.workflow.getHandle(serviceWorkflowId(ipa, s.slug))),
      ];
      for (const h of handles) {
        const text = JSON.stringify(await h.fetchHistory());
        for (const key of keys) expect(text.includes(key)).toBe(false);
      }
      await recordHistoriesIfAsked('e2e', [handle, mensa, handles[1]!]);
    });
  });
});
