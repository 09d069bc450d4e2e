import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  WITHDRAWN_FAILURE_TYPE,
  getComuneStateQuery,
  getPlannedServiceQuery,
  serviceStatusChangedSignal,
  type ComuneInput,
  type ComuneState,
  type Stage,
} from '../contracts/comune';
import { serviceWorkflowId } from '../contracts/ids';

import { refreshDerived } from '../domain/journey';
import { holdsParallelSlot, isClosedStage } from '../domain/journey-model';
import { populationBand } from '../domain/funding';
import { adhesion } from './activity-proxies';
import { nowIso, workflowNowMs } from './clock';
import { registerComuneHandlers, type ComuneSignals } from './comune-handlers';
import { runEscalations } from './comune-escalations';
import { comuneNotifications } from './comune-notifications';
import { readModelPublisher, searchAttributePublisher } from './comune-search-attributes';
import { serviceWorkflow } from './service.workflow';
import { workflowPatches } from './patches';
import { describeFailure } from './workflow-support';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ComuneCarried {
  state: ComuneState;
  started: string[];
  signals: ComuneSignals;
}

/**
 * One Comune's onboarding onto App IO, from the adhesion check to the last published service. Lives for months;
 * continues as new when its history grows (children report through signals, which reach the newest run).
 */
export async function comuneWorkflow(input: ComuneInput, carried?: ComuneCarried): Promise<ComuneState> {
  const workflowId = workflowInfo().workflowId;
  const { settings } = input;
  const state: ComuneState = carried?.state ?? initialState(input);
  const started = new Set(carried?.started ?? []);
  const signals: ComuneSignals = carried?.signals ?? {
    delegationDone: false,
    remindNow: false,
    deadlineVersion: 0,
  };
  const notifications = comuneNotifications(input, state, workflowId);

  const publishSearchAttributes = searchAttributePublisher();
  const publishReadModel = readModelPublisher();
  const refresh = () => {
    refreshDerived(state, workflowNowMs());
    publishSearchAttributes(state, workflowNowMs(), settings.escalationLadderDays);
    publishReadModel(state);
  };
  const enter = (stage: Stage, actor: string, detail?: string) => {
    state.stage = stage;
    state.stageSince = nowIso();
    state.timeline.push({ at: nowIso(), step: `Fase: ${stage}`, actor, ...(detail ? { detail } : {}) });
    state.reminders = {
      ...state.reminders,
      sentInStage: 0,
      staffAlerted: false,
      lastAt: undefined,
      nextAt: undefined,
    };
    refresh();
  };
  const terminal = () => isClosedStage(state.stage);

  setHandler(getComuneStateQuery, () => state);
  setHandler(getPlannedServiceQuery, (slug) => input.services.find((s) => s.slug === slug) ?? null);
  registerComuneHandlers({ input, state, signals, refresh, nowMs: workflowNowMs });
  setHandler(serviceStatusChangedSignal, (change) => {
    const service = state.services.find((s) => s.slug === change.slug);
    if (!service) return;
    service.status = change.status;
    if (change.name) service.name = change.name;
    service.updatedAt = nowIso();
    if (change.ioServiceId) service.ioServiceId = change.ioServiceId;
    if (change.rejection) service.rejections.push(change.rejection);
    service.issues = change.issues;
    refresh();
  });
  refresh();

  // Deadline escalations run beside the stages for the whole journey; awaited before the run closes, so the
  // final state (the result, the withdrawal failure's details) includes the ladder's own last changes.
  const escalations = runEscalations({
    input,
    state,
    signals,
    terminal,
    refresh,
    notify: notifications,
    publishReadModel: () => publishReadModel(state),
  });

  /** Waits on the Comune with reminders every N days; staff hear of it after the second. */
  async function waitOnComune(
    sinceIso: string,
    done: () => boolean,
    untilMs?: number,
  ): Promise<'done' | 'expired'> {
    const intervalMs = settings.reminderIntervalDays * DAY_MS;
    const since = Date.parse(sinceIso);
    for (;;) {
      const base = state.reminders.lastAt ? Date.parse(state.reminders.lastAt) : since;
      const nextReminderMs = base + intervalMs;
      state.reminders.nextAt = new Date(nextReminderMs).toISOString();
      publishReadModel(state);
      const wakeAt = untilMs === undefined ? nextReminderMs : Math.min(nextReminderMs, untilMs);
      await condition(() => done() || terminal() || signals.remindNow, Math.max(1, wakeAt - workflowNowMs()));
      if (done() || terminal()) return 'done';
      if (untilMs !== undefined && workflowNowMs() >= untilMs) return 'expired';
      signals.remindNow = false;
      state.reminders.sentInStage += 1;
      state.reminders.total += 1;
      state.reminders.lastAt = nowIso();
      await notifications.reminder(sinceIso);
      if (state.reminders.sentInStage === 2 && !state.reminders.staffAlerted) {
        state.reminders.staffAlerted = true;
        await notifications.staffNoResponse(sinceIso);
      }
    }
  }

  async function checkAdhesion(): Promise<void> {
    if (state.scenario) return;
    if (state.adhesionCheck === 'automatic') {
      try {
        const result = await adhesion.checkAdhesion({ fiscalCode: input.comune.fiscalCode });
        state.scenario = result.adherent ? 'B' : 'A';
        state.timeline.push({
          at: nowIso(),
          step: `Adesione verificata su Selfcare: scenario ${state.scenario}`,
          actor: 'sistema',
          detail:
            result.status ?? (result.found ? 'nessuna adesione a prod-io' : 'ente non presente su Selfcare'),
        });
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        state.adhesionCheck = 'manual';
        state.adhesionCheckFallback = describeFailure(err);
        await notifications.adhesionNeedsStaff(state.adhesionCheckFallback);
      }
    }
    refresh();
    await condition(() => state.scenario !== undefined || terminal());
  }

  async function startServices(): Promise<void> {
    const inFlight = () =>
      state.services.filter((s) => started.has(s.slug) && holdsParallelSlot(s.status)).length;
    for (const request of input.services) {
      if (started.has(request.slug)) continue;
      await condition(() => inFlight() < settings.maxParallelServices || terminal());
      if (terminal()) return;
      try {
        await startChild(serviceWorkflow, {
          workflowId: serviceWorkflowId(input.comune.ipaCode, request.slug),
          args: [
            {
              comune: {
                ipaCode: input.comune.ipaCode,
                name: input.comune.name,
                fiscalCode: input.comune.fiscalCode,
                portalTenant: input.comune.portalTenant ?? input.comune.ipaCode.replace(/_/g, '-'),
              },
              slug: request.slug,
              card: request.card,
              parentWorkflowId: workflowId,
              reviewTracking: settings.reviewTracking,
              reviewPollInitialMinutes: settings.reviewPollInitialMinutes,
              reviewPollMaxHours: settings.reviewPollMaxHours,
            },
          ],
          // Children outlive a continue-as-new of this run; withdrawal cancels them explicitly.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          // Absent from journeys started without it, so their start commands (and histories) are unchanged.
          ...(settings.servicesTaskQueue ? { taskQueue: settings.servicesTaskQueue } : {}),
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      started.add(request.slug);
      const service = state.services.find((s) => s.slug === request.slug);
      if (service && service.status === 'pending') service.status = 'creating';
      refresh();
    }
  }

  async function withdrawChildren(): Promise<void> {
    const open = state.services.filter(
      (s) => started.has(s.slug) && s.status !== 'active' && s.status !== 'cancelled',
    );
    await Promise.all(
      open.map(
        (s) =>
          getExternalWorkflowHandle(serviceWorkflowId(input.comune.ipaCode, s.slug))
            .cancel()
            .catch(() => undefined), // already closed
      ),
    );
    // Give the children a moment to report; their own state is authoritative either way.
    await condition(() => open.every((s) => s.status === 'cancelled' || s.status === 'active'), '1 minute');
    for (const s of state.services) if (s.status !== 'active') s.status = 'cancelled';
    refresh();
  }

  const historyTooLong = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > settings.continueAsNewAfterEvents;

  while (!terminal()) {
    switch (state.stage) {
      case 'adhesion_check':
        await checkAdhesion();
        if (!terminal()) enter('delegation_requested', 'sistema', `scenario ${state.scenario}`);
        break;
      case 'delegation_requested':
        if (!signals.delegationDone) {
          state.delegation.requestCount += 1;
          state.delegation.requestedAt = nowIso();
          await notifications.delegationInstructions();
          await waitOnComune(state.delegation.requestedAt, () => signals.delegationDone);
        }
        if (terminal()) break;
        signals.delegationDone = false;
        enter('awaiting_signed_form', 'sistema');
        state.signedForm.linkSentAt = nowIso();
        state.signedForm.linkExpiresAt = new Date(
          workflowNowMs() + settings.signedFormLinkValidityDays * DAY_MS,
        ).toISOString();
        break;
      case 'awaiting_signed_form': {
        const outcome = await waitOnComune(
          state.signedForm.linkSentAt ?? nowIso(),
          () => state.signedForm.record !== undefined,
          Date.parse(state.signedForm.linkExpiresAt ?? nowIso()),
        );
        if (terminal()) break;
        if (outcome === 'expired') {
          state.signedForm.expiredCount += 1;
          await notifications.linkExpired();
          enter('delegation_requested', 'sistema', 'link Selfcare scaduto: richiesta da ripetere');
        } else {
          enter('services', 'sistema');
        }
        break;
      }
      case 'services':
        await startServices();
        await condition(
          () => terminal() || state.services.every((s) => s.status === 'active') || historyTooLong(),
        );
        if (state.services.every((s) => s.status === 'active') && !terminal()) {
          state.completedAt = nowIso();
          enter('completed', 'sistema', `${state.servicesActive} servizi attivi`);
          // Since 0.2.0 the Comune hears that it is done. Journeys that completed under 0.1.0 have no marker and
          // replay without the e-mail (test/replay keeps their histories).
          if (patched(workflowPatches.journeyCompletedNotice)) await notifications.journeyCompleted();
        } else if (!terminal() && historyTooLong()) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof comuneWorkflow>(input, { state, started: [...started], signals });
        }
        break;
      default:
        break;
    }
  }

  await escalations;
  if (state.stage === 'withdrawn') {
    await withdrawChildren();
    await condition(allHandlersFinished);
    throw ApplicationFailure.nonRetryable(
      `Comune ritirato da ${state.withdrawn?.by ?? 'un responsabile'}: ${state.withdrawn?.reason ?? ''}`,
      WITHDRAWN_FAILURE_TYPE,
      state,
    );
  }
  await condition(allHandlersFinished);
  return state;
}

function initialState(input: ComuneInput): ComuneState {
  return {
    ipaCode: input.comune.ipaCode,
    ...(input.contacts.mayor.fiscalCode ? { mayorFiscalCode: input.contacts.mayor.fiscalCode } : {}),
    stageSince: nowIso(),
    name: input.comune.name,
    province: input.comune.province,
    population: input.comune.population,
    stage: 'adhesion_check',
    adhesionCheck: input.settings.adhesionCheck,
    deadline: input.deadline,
    late: false,
    timeline: [
      { at: nowIso(), step: 'Percorso avviato', actor: 'sistema' },
      // A withdrawn Comune restarted by a manager (state only: no command, so no patch).
      ...(input.restartOf
        ? [
            {
              at: nowIso(),
              step: 'Percorso riavviato dopo il ritiro',
              actor: input.restartOf.by,
              detail: input.restartOf.reason,
            },
          ]
        : []),
    ],
    delegation: { requestCount: 0 },
    signedForm: { expiredCount: 0 },
    reminders: { sentInStage: 0, total: 0, staffAlerted: false },
    escalations: [],
    escalationStepsHandled: [],
    services: input.services.map((s) => ({
      slug: s.slug,
      name: s.card.service_name,
      status: 'pending',
      rejections: [],
      updatedAt: nowIso(),
    })),
    servicesActive: 0,
    servicesTotal: input.services.length,
    funding: {
      eurPerService: populationBand(input.comune.population).eurPerService,
      securedEur: 0,
      atRiskEur: 0,
      lostEur: 0,
    },
    missing: [],
  };
}
