import type { ComuneState } from '../contracts/comune';
import {
  delegationRecorded,
  isClosedStage,
  serviceStatusModel,
  serviceStatuses,
  stageModel,
  type Party,
  type ServiceStatus,
  type Stage,
} from './journey-model';
import { DAY_MS } from './deadlines';

/**
 * The open tasks of a Comune's journey, derived from its state and the journey model: one per thing that has to
 * happen, whoever it waits on, each with its own due date. The workflow publishes them (with the service counts by
 * status) as its memo at every milestone, so the inbox and the dashboard read them from visibility without a
 * workflow query; the API derives the Italian wording from the model.
 */

/** How many days PagoPA's review is expected to take: the due date of a service in review (no SLA is published). */
export const EXPECTED_REVIEW_DAYS = 5;

export const dueKinds = ['reminder', 'link_expiry', 'escalation', 'review', 'deadline'] as const;
export type DueKind = (typeof dueKinds)[number];
export const dueKindLabels: Record<DueKind, string> = {
  reminder: 'prossimo sollecito',
  link_expiry: 'scadenza del link Selfcare',
  escalation: 'prossima escalation',
  review: 'risposta attesa da PagoPA',
  deadline: 'scadenza contrattuale',
};

export const taskKinds = ['stage', 'tracking_form', 'manage_key', 'service', 'late'] as const;
export type TaskKind = (typeof taskKinds)[number];

export interface JourneyTask {
  kind: TaskKind;
  party: Party;
  /** The stage (stage tasks) or the service's status (service tasks). */
  status: Stage | ServiceStatus;
  since?: string;
  due: string;
  dueKind: DueKind;
  slug?: string;
  serviceName?: string;
}

/** What the workflow publishes as its memo (`journey`): read by the inbox and the dashboard. */
export interface JourneyReadModel {
  v: 1;
  /** The Comune's fiscal code, so the portfolio can be searched by it. */
  fiscalCode?: string;
  serviceStatusCounts: Partial<Record<ServiceStatus, number>>;
  tasks: JourneyTask[];
  /**
   * Milliseconds spent in each stage the journey has left (`closedStageMs`), for the portfolio's breakdown of where
   * journeys stall. Since 0.7.0; absent from older journeys' memos until they publish again.
   */
  stageMs?: Partial<Record<Stage, number>>;
}
export const JOURNEY_MEMO_KEY = 'journey';

type TaskState = Pick<
  ComuneState,
  | 'stage'
  | 'stageSince'
  | 'scenario'
  | 'adhesionCheck'
  | 'delegation'
  | 'signedForm'
  | 'trackingForm'
  | 'ioAccess'
  | 'reminders'
  | 'nextEscalationAt'
  | 'deadline'
  | 'late'
  | 'lateSince'
  | 'services'
>;

/** The escalation step when one is coming, else the contract deadline: the due date of last resort. */
function escalationOrDeadline(state: TaskState): { due: string; dueKind: DueKind } {
  return state.nextEscalationAt && !state.late
    ? { due: state.nextEscalationAt, dueKind: 'escalation' }
    : { due: state.deadline, dueKind: 'deadline' };
}

function stageTask(state: TaskState): JourneyTask | undefined {
  const base = { kind: 'stage' as const, status: state.stage, since: state.stageSince };
  switch (state.stage) {
    case 'adhesion_check':
      if (state.scenario) return undefined;
      return {
        ...base,
        party: state.adhesionCheck === 'automatic' ? 'pagopa' : 'staff',
        ...escalationOrDeadline(state),
      };
    case 'delegation_requested':
      if (delegationRecorded(state)) return undefined;
      return {
        ...base,
        party: stageModel.delegation_requested.waitsOn,
        ...(state.reminders.nextAt
          ? { due: state.reminders.nextAt, dueKind: 'reminder' as const }
          : escalationOrDeadline(state)),
      };
    case 'awaiting_signed_form':
      if (state.signedForm.record) return undefined;
      return {
        ...base,
        party: stageModel.awaiting_signed_form.waitsOn,
        ...(state.signedForm.linkExpiresAt
          ? { due: state.signedForm.linkExpiresAt, dueKind: 'link_expiry' as const }
          : escalationOrDeadline(state)),
      };
    case 'io_access':
      if (state.ioAccess?.manageKey) return undefined;
      return {
        ...base,
        party:
          !state.ioAccess?.onboardingActiveAt && state.ioAccess?.check === 'automatic' ? 'pagopa' : 'staff',
        ...escalationOrDeadline(state),
      };
    default:
      return undefined;
  }
}

export function journeyTasks(state: TaskState): JourneyTask[] {
  // A completed journey still watching its services (0.6.0): a task for each service no longer in the app.
  if (state.stage === 'completed') return serviceTasks(state).filter((t) => t.status === 'unpublished');
  if (isClosedStage(state.stage)) return [];
  const tasks: JourneyTask[] = [];
  const stage = stageTask(state);
  if (stage) tasks.push(stage);
  if (!state.trackingForm && state.stage !== 'adhesion_check') {
    tasks.push({
      kind: 'tracking_form',
      party: 'comune',
      status: state.stage,
      since: state.delegation.requestedAt ?? state.stageSince,
      ...escalationOrDeadline(state),
    });
  }
  if (state.ioAccess?.keyRefused) {
    // One task for the Comune, whatever the number of services paused on its key.
    tasks.push({
      kind: 'manage_key',
      party: 'staff',
      status: state.stage,
      since: state.ioAccess.keyRefused.at,
      ...escalationOrDeadline(state),
    });
  }
  tasks.push(...serviceTasks(state));
  if (state.late) {
    tasks.push({
      kind: 'late',
      party: 'manager',
      status: state.stage,
      ...(state.lateSince ? { since: state.lateSince } : {}),
      due: state.deadline,
      dueKind: 'deadline',
    });
  }
  return tasks;
}

/** A task for each service waiting on a person. */
function serviceTasks(state: TaskState): JourneyTask[] {
  const tasks: JourneyTask[] = [];
  for (const service of state.services) {
    const definition = serviceStatusModel[service.status];
    if (!definition.task) continue;
    const review = service.status === 'in_review';
    tasks.push({
      kind: 'service',
      party: definition.waitsOn,
      status: service.status,
      since: service.updatedAt,
      ...(review
        ? {
            due: new Date(Date.parse(service.updatedAt) + EXPECTED_REVIEW_DAYS * DAY_MS).toISOString(),
            dueKind: 'review' as const,
          }
        : escalationOrDeadline(state)),
      slug: service.slug,
      serviceName: service.name,
    });
  }
  return tasks;
}

export function serviceStatusCounts(
  services: readonly { status: ServiceStatus }[],
): Partial<Record<ServiceStatus, number>> {
  const counts: Partial<Record<ServiceStatus, number>> = {};
  for (const status of serviceStatuses) {
    const n = services.filter((s) => s.status === status).length;
    if (n > 0) counts[status] = n;
  }
  return counts;
}

export function journeyReadModel(state: TaskState, fiscalCode?: string): JourneyReadModel {
  return {
    v: 1,
    ...(fiscalCode ? { fiscalCode } : {}),
    serviceStatusCounts: serviceStatusCounts(state.services),
    tasks: journeyTasks(state),
  };
}

/** The task's action in Italian, from the journey model. */
export function taskAction(task: Pick<JourneyTask, 'kind' | 'status' | 'party'>): string {
  switch (task.kind) {
    case 'stage':
      if (task.status === 'adhesion_check' && task.party === 'pagopa')
        return 'Verifica automatica dell’adesione su Selfcare in corso';
      if (task.status === 'io_access' && task.party === 'pagopa')
        return 'Selfcare attiva l’adesione ad App IO (verifica automatica in corso); poi registrare la chiave di gestione';
      return stageModel[task.status as Stage].task ?? stageModel[task.status as Stage].label;
    case 'tracking_form':
      return 'Il Comune compila il modulo di tracciamento del partner; il personale lo registra';
    case 'manage_key':
      return 'Chiave di gestione da aggiornare: PagoPA la rifiuta e i servizi del Comune sono in pausa; registrare la chiave attuale letta nel back office IO';
    case 'service':
      return serviceStatusModel[task.status as ServiceStatus].task ?? '';
    case 'late':
      return 'Scadenza superata: decidere se spostarla o ritirare il Comune';
  }
}
