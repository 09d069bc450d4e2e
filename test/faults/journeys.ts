import { status as grpcStatus } from '@grpc/grpc-js';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  comuneInputSchema,
  getComuneStateQuery,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordOnboardingUpdate,
  recordSignedFormUpdate,
  recordTrackingFormUpdate,
  type ComuneInput,
  type ComuneState,
} from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import type { ServicePage } from '../../integrations/io';
import type { InstitutionSeed } from '../../sandbox';
import { comuneInput } from '../support/fixtures';
import { waitFor } from '../support/wait';
import type { Cluster } from './cluster';

/** Three real Comuni of Trentino, each with its own fiscal code: the sandbox keeps their services apart. */
export const COMUNI = {
  trento: { ipaCode: 'c_l378', name: 'Comune di Trento', fiscalCode: '00355870221' },
  rovereto: { ipaCode: 'c_h612', name: 'Comune di Rovereto', fiscalCode: '00125390229' },
  pergine: { ipaCode: 'c_g452', name: 'Comune di Pergine Valsugana', fiscalCode: '00337460224' },
} as const;
export type ComuneKey = keyof typeof COMUNI;

/** All three already on prod-io in Selfcare: the automatic adhesion check decides scenario B. */
export const INSTITUTIONS: Record<string, InstitutionSeed> = Object.fromEntries(
  Object.values(COMUNI).map((c) => [
    c.fiscalCode,
    { description: c.name, onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }] },
  ]),
);

/** A journey with `services` catalogue services, automatic adhesion check and review polling in about a second. */
export function journeyInput(
  key: ComuneKey,
  services: number,
  logoRef: string,
  adhesionCheck: 'automatic' | 'manual' = 'automatic',
): ComuneInput {
  const c = COMUNI[key];
  const base = comuneInput({
    ipaCode: c.ipaCode,
    name: c.name,
    services,
    logoRef,
    settings: { adhesionCheck, reviewPollInitialMinutes: 0.01, reviewPollMaxHours: 0.0005 },
  });
  return comuneInputSchema.parse({
    ...base,
    comune: { ...base.comune, fiscalCode: c.fiscalCode },
    services: base.services.map((s) => ({
      ...s,
      card: { ...s.card, organization_fiscal_code: c.fiscalCode },
    })),
  });
}

export function startJourney(cluster: Cluster, input: ComuneInput): Promise<WorkflowHandle> {
  return startComuneJourney(cluster.client, input, { taskQueue: cluster.taskQueue });
}

/** Queries with a deadline: with no worker alive a query would wait for one. */
export function stateOf(cluster: Cluster, handle: WorkflowHandle): Promise<ComuneState> {
  return cluster.client.connection.withDeadline(Date.now() + 5_000, () => handle.query(getComuneStateQuery));
}

export function waitState(
  cluster: Cluster,
  handle: WorkflowHandle,
  what: string,
  accept: (s: ComuneState) => boolean,
  timeoutMs = 60_000,
): Promise<ComuneState> {
  return waitFor(
    `${handle.workflowId}: ${what}`,
    async () => {
      const s = await stateOf(cluster, handle);
      return accept(s) ? s : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export const countStatus = (s: ComuneState, status: string) =>
  s.services.filter((x) => x.status === status).length;

export const recordDelegation = (handle: WorkflowHandle) =>
  handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'staff:laura.conti' }] });

export const recordTrackingForm = (handle: WorkflowHandle) =>
  handle.executeUpdate(recordTrackingFormUpdate, { args: [{ actor: 'staff:laura.conti' }] });

export const recordSignedForm = (handle: WorkflowHandle) =>
  handle.executeUpdate(recordSignedFormUpdate, {
    args: [
      {
        actor: 'staff:laura.conti',
        document: { sha256: 'c'.repeat(64), signerName: 'Franco Ianeselli' },
      },
    ],
  });

/**
 * «Accesso a IO», after the signed form: the journey sees the Comune's prod-io onboarding ACTIVE on Selfcare (staff
 * record it when the check is manual); staff read the Comune's own manage key in its IO back office (the sandbox's
 * admin API) and record it: sealed in the store the worker processes read, only its reference sent to the
 * workflow (what `POST /comuni/:ipa/manage-key` does once it verified the key). Returns the key's reference.
 */
export async function recordIoAccess(cluster: Cluster, handle: WorkflowHandle): Promise<string> {
  const state = await waitState(cluster, handle, 'the stage «Accesso a IO»', (s) => s.stage === 'io_access');
  if (!state.ioAccess?.onboardingActiveAt && state.ioAccess?.check === 'manual') {
    await handle.executeUpdate(recordOnboardingUpdate, {
      args: [{ actor: 'staff:laura.conti', outcome: 'active' }],
    });
  }
  await waitState(cluster, handle, 'the onboarding seen active', (s) => !!s.ioAccess?.onboardingActiveAt);
  const fiscalCode = state.fiscalCode!;
  const keys = await cluster.institutionKeys(fiscalCode);
  const record = await cluster.keyStore.put({
    ipaCode: state.ipaCode,
    organizationFiscalCode: fiscalCode,
    secret: { primary: keys.primary_key, secondary: keys.secondary_key },
    recordedBy: 'staff:laura.conti',
  });
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
  return record.ref;
}

/** Staff steps from the delegation request to the services stage (through «Accesso a IO»). */
export async function driveToServices(cluster: Cluster, handle: WorkflowHandle): Promise<void> {
  await waitState(cluster, handle, 'delegation requested', (s) => s.stage === 'delegation_requested');
  await recordDelegation(handle);
  await waitState(cluster, handle, 'awaiting the signed form', (s) => s.stage === 'awaiting_signed_form');
  await recordSignedForm(handle);
  await recordIoAccess(cluster, handle);
}

/** The sandbox's services of an organisation, through the IO manage API with the Comune's own key. */
export async function ioServicesOf(cluster: Cluster, fiscalCode: string): Promise<ServicePage['value']> {
  const all: ServicePage['value'] = [];
  const io = await cluster.ioAs(fiscalCode);
  for (let offset = 0; ; offset += 100) {
    const page = await io.listServices({ limit: 100, offset });
    all.push(...page.value);
    if (page.value.length < 100) break;
  }
  return all.filter((s) => s.organization.fiscal_code === fiscalCode);
}

/** E-mails of a Comune grouped by X-Notification-Id. */
export async function emailsById(cluster: Cluster, ipa: string): Promise<Map<string, { kind: string }[]>> {
  const byId = new Map<string, { kind: string }[]>();
  for (const m of await cluster.outbox()) {
    if (m.comuneIpa !== ipa) continue;
    const id = m.notificationId ?? `(no id) ${m.subject}`;
    byId.set(id, [...(byId.get(id) ?? []), { kind: m.kind ?? '?' }]);
  }
  return byId;
}

/** The Comune and its services' workflow handles. */
export function journeyHandles(cluster: Cluster, input: ComuneInput): WorkflowHandle[] {
  const ipa = input.comune.ipaCode;
  return [
    cluster.client.workflow.getHandle(comuneWorkflowId(ipa)),
    ...input.services.map((s) => cluster.client.workflow.getHandle(serviceWorkflowId(ipa, s.slug))),
  ];
}

const EventType = temporal.api.enums.v1.EventType;

export interface HistoryFacts {
  /** Worker identities that started workflow or activity tasks, with the time of their last task. */
  identities: Map<string, number>;
  /** Activity tasks started by each worker identity. */
  activitiesBy: Map<string, number>;
  /** Activity attempts that failed or timed out for good (the retry policy gave up). */
  activitiesGivenUp: string[];
  /** Activity attempts recorded when they completed (>1: retried). */
  maxAttempt: number;
}

export async function historyFacts(handles: WorkflowHandle[]): Promise<HistoryFacts> {
  const facts: HistoryFacts = {
    identities: new Map(),
    activitiesBy: new Map(),
    activitiesGivenUp: [],
    maxAttempt: 1,
  };
  for (const handle of handles) {
    // A service the Comune has not started yet has no history.
    const history = await handle.fetchHistory().catch((err: unknown) => {
      if ((err as { code?: number }).code === grpcStatus.NOT_FOUND) return undefined;
      throw err;
    });
    if (!history) continue;
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000;
      const identity =
        e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
      if (identity) facts.identities.set(identity, Math.max(at, facts.identities.get(identity) ?? 0));
      const started = e.activityTaskStartedEventAttributes;
      if (started?.identity) {
        facts.activitiesBy.set(started.identity, (facts.activitiesBy.get(started.identity) ?? 0) + 1);
      }
      const attempt = started?.attempt ?? 1;
      facts.maxAttempt = Math.max(facts.maxAttempt, attempt);
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED) {
        facts.activitiesGivenUp.push(`${handle.workflowId}: failed`);
      }
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) {
        facts.activitiesGivenUp.push(`${handle.workflowId}: timed out`);
      }
    }
  }
  return facts;
}
