import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  getComuneStateQuery,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordSignedFormUpdate,
  recordTrackingFormUpdate,
  type ComuneInput,
  type ComuneState,
} from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { serviceWorkflowId } from '../../contracts/ids';
import { correctCardUpdate, getServiceStateQuery } from '../../contracts/service';
import type { ActivityHarness } from '../activities/harness';
import { comuneInput } from './fixtures';
import { historyText } from './history-text';
import { waitFor } from './wait';

/** Trento (117,417 inhabitants) is in the 100,001–250,000 band. */
const TRENTO_EUR_PER_SERVICE = 1_099;

/** Trento with 11 services, its adhesion checked on the sandbox's Selfcare, reviews polled every ~0.6 s. */
export function elevenServiceTrento(harness: ActivityHarness): ComuneInput {
  return comuneInput({
    ipaCode: 'c_l378',
    services: 11,
    logoRef: harness.logoRef,
    settings: { adhesionCheck: 'automatic', reviewPollInitialMinutes: 0.01, reviewPollMaxHours: 0.0005 },
  });
}

export interface DrivenJourney {
  handle: WorkflowHandle;
  result: ComuneState;
  /** The Comune's workflow, then its 11 services'. */
  handles: WorkflowHandle[];
  mensa: WorkflowHandle;
}

/**
 * The end-to-end journey shared by the dev-server suite (test/e2e) and the real-engine suite (test/engine): a
 * worker on `taskQueue` runs the real activities against `harness` (sandbox with a reviewer that rejects «Mensa
 * scolastica» once, SMTP catcher). Staff record the delegation, the tracking form and the signed form, then, once
 * the journey saw the onboarding active on Selfcare, the Comune's own manage key; they correct the rejected card; the journey must complete with 11 published services, none duplicated, the expected e-mails
 * and no service key in any history. Call it inside `worker.runUntil`.
 */
export async function driveElevenServiceJourney(
  client: Client,
  harness: ActivityHarness,
  taskQueue: string,
  input: ComuneInput,
): Promise<DrivenJourney> {
  const ipa = input.comune.ipaCode;
  const handle = await startComuneJourney(client, input, { taskQueue });
  const stateIs = (predicate: (s: ComuneState) => boolean) => async () => {
    const s = await handle.query(getComuneStateQuery);
    return predicate(s) ? s : undefined;
  };

  // Selfcare in the sandbox knows Trento as adherent: scenario B, decided automatically.
  const delegation = await waitFor(
    'delegation requested',
    stateIs((s) => s.stage === 'delegation_requested'),
    { timeoutMs: 60_000 },
  );
  expect(delegation.scenario).toBe('B');
  await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'staff:laura.conti' }] });
  await handle.executeUpdate(recordTrackingFormUpdate, { args: [{ actor: 'staff:laura.conti' }] });
  await waitFor(
    'awaiting the signed form',
    stateIs((s) => s.stage === 'awaiting_signed_form'),
    { timeoutMs: 60_000 },
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

  // «Accesso a IO»: the journey sees Trento's prod-io onboarding ACTIVE on Selfcare (the sandbox then shows its own
  // manage keys in the IO back office); staff read the key there and record it: sealed in the key store the worker
  // reads, only its reference sent to the workflow (what POST /comuni/:ipa/manage-key does once it verified it).
  const access = await waitFor(
    'the onboarding on prod-io seen active',
    stateIs((s) => s.stage === 'io_access' && s.ioAccess?.onboardingActiveAt !== undefined),
    { timeoutMs: 60_000 },
  );
  expect(access.ioAccess?.check).toBe('automatic');
  const record = await harness.sealKey(ipa, input.comune.fiscalCode);
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
  const ownKeys = await harness.institutionKeys(input.comune.fiscalCode);

  // The reviewer rejects "Mensa scolastica" once: staff correct its card and it goes back for review.
  const mensa = client.workflow.getHandle(serviceWorkflowId(ipa, 'mensa'));
  const rejected = await waitFor(
    'the Mensa service to be rejected',
    async () => {
      // On a server that keeps earlier runs (the real engine), the id names an earlier closed run until this
      // run's child starts; its task queue has no worker, so a query there waits for its timeout (~25 s).
      const latest = await mensa.describe().catch(() => undefined);
      if (latest?.taskQueue !== taskQueue) return undefined;
      const s = await mensa.query(getServiceStateQuery).catch(() => undefined);
      return s?.status === 'rejected' ? s : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250 },
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
  expect(result.funding.securedEur).toBe(11 * TRENTO_EUR_PER_SERVICE);

  // Exactly 11 services on IO for the Comune, each approved and published: no duplicate from retries. All of them
  // belong to Trento's institution: created with its own key (the sandbox has no partner-wide key here).
  const io = await harness.ioAs(input.comune.fiscalCode);
  const page = await io.listServices({ limit: 100, offset: 0 });
  const ours = page.value.filter((s) => s.organization.fiscal_code === input.comune.fiscalCode);
  expect(ours).toHaveLength(11);
  expect(await harness.servicesOwnedBy(input.comune.fiscalCode)).toHaveLength(11);
  for (const service of ours) {
    expect(service.status.value).toBe('approved');
    expect((await io.getRelease(service.id))?.status).toBe('published');
  }

  // The e-mails that went out: scenario B instructions to the Comune, the rejection to staff.
  const outbox = await harness.catcher.outbox.listOutbox({ limit: 100 });
  expect(outbox.items.some((m) => /Amministratore/i.test(m.subject))).toBe(true);
  expect(
    outbox.items.some(
      (m) => /Mensa scolastica/.test(m.subject) && m.to.includes(harness.deps.partner.staffEmails[0]!),
    ),
  ).toBe(true);
  // And, over real SMTP, the Comune's notice that its 11 services are active.
  const completedNotice = outbox.items.filter((m) => /Percorso completato: 11 servizi/.test(m.subject));
  expect(completedNotice).toHaveLength(1);
  expect(completedNotice[0]!.to).toContain(input.contacts.secretary.email);

  // No key value of any service, nor the Comune's manage key, appears in any history of the journey.
  const keys: string[] = [ownKeys.primary_key, ownKeys.secondary_key];
  for (const service of ours) {
    const k = await io.getKeys(service.id);
    keys.push(k.primary_key, k.secondary_key);
  }
  const handles: WorkflowHandle[] = [
    handle,
    ...input.services.map((s) => client.workflow.getHandle(serviceWorkflowId(ipa, s.slug))),
  ];
  for (const h of handles) {
    // Payloads decoded: in a history's JSON they are base64, where a key would not show.
    const text = await historyText(h);
    for (const key of keys) expect(text.includes(key)).toBe(false);
  }
  return { handle, result, handles, mensa };
}
