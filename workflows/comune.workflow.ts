import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  WITHDRAWN_FAILURE_TYPE,
  getComuneStateQuery,
  getJourneyFactsQuery,
  getPlannedServiceQuery,
  journeyFactsOf,
  manageKeyRefusedSignal,
  serviceStatusChangedSignal,
  type ComuneInput,
  type ComuneState,
  type ServiceRequest,
  type Stage,
} from '../contracts/comune';
import { serviceWorkflowId } from '../contracts/ids';
import { manageKeyRenewedSignal, type ServiceWorkflowInput } from '../contracts/service';
import { serviceStartSearchAttributes } from './service-search-attributes';

import {
  applyPublicationCheck,
  applyServiceStatus,
  cancelOpenServices,
  complete,
  endWatch,
  enterStage,
  everyServiceActive,
  expireSignedFormLink,
  fallBackToManualAdhesion,
  fallBackToManualOnboardingCheck,
  initialComuneState,
  markServiceStarted,
  openIoAccess,
  recordAutomaticAdhesion,
  recordManageKeyRefused,
  recordOnboardingOutcome,
  recordReminder,
  recordWatchCheckFailed,
  requestDelegation,
  restartAdhesionRound,
  scheduleReminder,
  sendSignedFormLink,
  startWatch,
} from '../domain/comune-state';
import { DAY_MS } from '../domain/deadlines';

const HOUR_MS = 60 * 60 * 1000;
import { refreshDerived } from '../domain/journey';
import { holdsParallelSlot, isClosedStage } from '../domain/journey-model';
import { adhesion, onboardingPoller, publicationWatch } from './activity-proxies';
import { keepReadModel } from './read-model';
import type { JourneyFactsDocument } from '../contracts/read-model';
import { nowIso, workflowNowMs } from './clock';
import { registerComuneHandlers, type ComuneSignals } from './comune-handlers';
import { runEscalations } from './comune-escalations';
import { comuneNotifications } from './comune-notifications';
import {
  coalescedPublications,
  readModelPublisher,
  searchAttributePublisher,
} from './comune-search-attributes';
import { serviceWorkflow } from './service.workflow';
import { hasChange, openRun, startedSinceRelease012, workflowPatches } from './patches';
import { describeFailure } from './workflow-support';

export interface ComuneCarried {
  state: ComuneState;
  started: string[];
  signals: ComuneSignals;
}

/**
 * One Comune's onboarding onto App IO, from the adhesion check to the last published service. Lives for months;
 * continues as new when its history grows (children report through signals, which reach the newest run).
 *
 * The process reads top to bottom: the journey runs stage by stage until it is closed; each stage is one named step
 * below. Every change to the state is a pure function of domain/comune-state.ts; which step staff may take when is
 * the journey model's (domain/journey-model.ts).
 */
export async function comuneWorkflow(input: ComuneInput, carried?: ComuneCarried): Promise<ComuneState> {
  openRun();
  const workflowId = workflowInfo().workflowId;
  const { settings } = input;
  const state: ComuneState = carried?.state ?? initialComuneState(input, nowIso());
  const started = new Set(carried?.started ?? []);
  const signals: ComuneSignals = carried?.signals ?? {
    delegationDone: false,
    remindNow: false,
    deadlineVersion: 0,
  };
  const notifications = comuneNotifications(input, state, workflowId);
  const publishSearchAttributes = searchAttributePublisher();
  const publishReadModel = readModelPublisher(input.comune.fiscalCode);
  // Since 0.12.0 the search attributes and the memo are published once per activation, however many changes it made
  // (four services started, three services' signals, an Update and the stage it opens): each upsert is a history
  // event and a visibility write. Runs started before publish at every change, as they did.
  const publications = startedSinceRelease012()
    ? coalescedPublications(() => {
        publishSearchAttributes(state, workflowNowMs(), settings.escalationLadderDays);
        publishReadModel(state);
      })
    : undefined;
  const terminal = () => isClosedStage(state.stage);

  // The pages' read model: the journey, its plan and its input's facts, written by the worker when they change (no
  // history event).
  const facts: JourneyFactsDocument = {
    ...journeyFactsOf(input),
    escalationLadderDays: [...settings.escalationLadderDays],
  };
  keepReadModel(input.comune.ipaCode, () => ({ comune: state }), {
    fixed: { plan: input.services, facts },
    newJourney: carried === undefined,
  });
  setHandler(getComuneStateQuery, () => state);
  setHandler(getPlannedServiceQuery, (slug) => input.services.find((s) => s.slug === slug) ?? null);
  setHandler(getJourneyFactsQuery, () => journeyFactsOf(input));
  registerComuneHandlers({ input, state, signals, refresh, nowMs: workflowNowMs, resumeServices });
  setHandler(serviceStatusChangedSignal, (change) => {
    if (applyServiceStatus(state, change, nowIso())) refresh();
  });
  setHandler(manageKeyRefusedSignal, async (refusal) => {
    const firstRefusal = state.ioAccess?.keyRefused === undefined;
    if (!recordManageKeyRefused(state, refusal, nowIso())) {
      // A newer key was recorded since that call: the service resumes with it at once.
      await resumeServices([refusal.slug], state.ioAccess!.manageKey!.ref);
      return;
    }
    refresh();
    if (firstRefusal) await notifications.manageKeyRefused(refusal.cause);
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
    publishReadModel: refreshMemo,
  });

  while (!terminal()) {
    switch (state.stage) {
      case 'adhesion_check':
        await verifyAdhesion();
        break;
      case 'delegation_requested':
        await awaitDelegation();
        break;
      case 'awaiting_signed_form':
        await awaitSignedForm();
        break;
      case 'io_access':
        await awaitIoAccess();
        break;
      case 'services':
        await runServices();
        break;
      default:
        break;
    }
  }

  await escalations;
  if (state.stage === 'withdrawn') {
    await withdrawChildren();
    await handlersFinished();
    throw ApplicationFailure.nonRetryable(
      `Comune ritirato da ${state.withdrawn?.by ?? 'un responsabile'}: ${state.withdrawn?.reason ?? ''}`,
      WITHDRAWN_FAILURE_TYPE,
      state,
    );
  }
  // Since 0.6.0 a completed journey keeps watching that its services stay published in App IO, for the days its
  // settings give (none for journeys started without the setting: they end at completion, as before).
  if (
    state.stage === 'completed' &&
    (settings.watchAfterCompletionDays ?? 0) > 0 &&
    hasChange(workflowPatches.postCompletionWatch)
  ) {
    await watchPublishedServices();
  }
  await handlersFinished();
  return state;

  // ------------------------------------------------------------------------------------------------- the stages

  /** 1. Is the Comune adherent on Selfcare? Scenario B if so, A otherwise; then the delegation is asked for. */
  async function verifyAdhesion(): Promise<void> {
    await checkAdhesion();
    if (!terminal()) enter('delegation_requested', 'sistema', `scenario ${state.scenario}`);
  }

  /** 2. The secretary delegates the partner's person on Selfcare; then Selfcare sends the signed-form link. */
  async function awaitDelegation(): Promise<void> {
    if (!signals.delegationDone) {
      if (signals.delegationUndone) {
        // A manager undid a delegation recorded by mistake: the same request is still open, nothing is sent again.
        signals.delegationUndone = false;
      } else {
        requestDelegation(state, nowIso());
        await notifications.delegationInstructions();
      }
      await waitOnComune(state.delegation.requestedAt!, () => signals.delegationDone);
    }
    if (terminal()) return;
    signals.delegationDone = false;
    enter('awaiting_signed_form', 'sistema');
    sendSignedFormLink(state, workflowNowMs(), settings.signedFormLinkValidityDays);
  }

  /** 3. The Mayor signs the form and staff record it; a link that expires sends the Comune back to step 2. */
  async function awaitSignedForm(): Promise<void> {
    const outcome = await waitOnComune(
      state.signedForm.linkSentAt ?? nowIso(),
      () => state.signedForm.record !== undefined || signals.delegationUndone === true,
      Date.parse(state.signedForm.linkExpiresAt ?? nowIso()),
    );
    if (terminal()) return;
    if (signals.delegationUndone) {
      enter('delegation_requested', 'sistema', 'delega annullata da un responsabile');
      return;
    }
    if (outcome === 'expired') {
      expireSignedFormLink(state);
      await notifications.linkExpired();
      enter('delegation_requested', 'sistema', 'link Selfcare scaduto: richiesta da ripetere');
    } else if (hasChange(workflowPatches.ioAccessStage)) {
      // Since 0.5.0 the services wait for the Comune's own manage key. Journeys that passed this point under an
      // older release have no marker and replay straight into the services (with the partner-wide key).
      enter('io_access', 'sistema');
    } else {
      enter('services', 'sistema');
    }
  }

  /**
   * 4. «Accesso a IO»: Selfcare activates the onboarding (checked with backoff where a Selfcare key is configured,
   * else recorded by staff), then staff record the Comune's own manage key, verified by the API. An onboarding
   * Selfcare rejects or lets expire sends the Comune back to step 2, and staff are told why.
   */
  async function awaitIoAccess(): Promise<void> {
    const access = openIoAccess(state, settings.adhesionCheck);
    refresh();
    if (access.check === 'automatic' && !access.onboardingActiveAt) await checkOnboarding();
    await condition(
      () => terminal() || signals.onboardingLost !== undefined || state.ioAccess?.manageKey !== undefined,
    );
    if (terminal()) return;
    const lost = signals.onboardingLost;
    if (lost) {
      signals.onboardingLost = undefined;
      restartAdhesionRound(state);
      await notifications.onboardingLost(lost);
      enter(
        'delegation_requested',
        'sistema',
        lost === 'rejected'
          ? 'adesione rifiutata su Selfcare: delega e modulo firmato da ripetere'
          : 'adesione scaduta su Selfcare: delega e modulo firmato da ripetere',
      );
      return;
    }
    enter('services', 'sistema');
  }

  /** 5. Every service is created, reviewed and published; the journey completes when all are active. */
  async function runServices(): Promise<void> {
    await startServices();
    await condition(() => terminal() || everyServiceActive(state) || historyTooLong());
    if (everyServiceActive(state) && !terminal()) {
      complete(state, nowIso());
      refresh();
      // Since 0.2.0 the Comune hears that it is done. Journeys that completed under 0.1.0 have no marker and
      // replay without the e-mail (test/replay keeps their histories).
      if (hasChange(workflowPatches.journeyCompletedNotice)) await notifications.journeyCompleted();
    } else if (!terminal() && historyTooLong()) {
      await handlersFinished();
      await continueAsNew<typeof comuneWorkflow>(input, { state, started: [...started], signals });
    }
  }

  /**
   * 6. After completion: every `watchCheckEveryHours` the published copy of each service is read on IO. A service
   * unpublished, deleted or back in review is no longer secured and staff and managers are told; published again,
   * it counts again. Ends after `watchAfterCompletionDays`, or when a manager stops it; continues as new when long.
   */
  async function watchPublishedServices(): Promise<void> {
    if (!state.watch) {
      startWatch(
        state,
        workflowNowMs(),
        settings.watchAfterCompletionDays ?? 0,
        settings.watchCheckEveryHours ?? 24,
      );
      refresh();
    }
    const watch = state.watch!;
    const until = Date.parse(watch.until);
    const key = {
      comuneIpa: input.comune.ipaCode,
      source: state.ioAccess?.manageKey ? 'comune' : 'partner',
    } as const;
    while (!watch.stopped && workflowNowMs() < until) {
      const wait = Math.min(watch.checkEveryHours * HOUR_MS, until - workflowNowMs());
      await condition(() => watch.stopped !== undefined, Math.max(1, wait));
      if (watch.stopped) break;
      const services = state.services
        .filter((s) => (s.status === 'active' || s.status === 'unpublished') && s.ioServiceId)
        .map((s) => ({ slug: s.slug, serviceId: s.ioServiceId! }));
      try {
        const seen = await publicationWatch.checkPublishedServices({ key, services });
        const changes = applyPublicationCheck(state, seen, nowIso());
        refresh();
        if (changes.length > 0) await notifications.publicationChanged(changes);
      } catch (err) {
        if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
        // The key refused, a service unknown to IO: the next check tries again; the page says why.
        recordWatchCheckFailed(state, nowIso(), describeFailure(err));
        refresh();
      }
      if (historyTooLong()) {
        await handlersFinished();
        await continueAsNew<typeof comuneWorkflow>(input, { state, started: [...started], signals });
      }
    }
    endWatch(state, nowIso());
    refresh();
  }

  // ------------------------------------------------------------------------------------------------ the helpers

  /** Recomputes what is derived (counts, funding, what is missing) and publishes it to visibility. */
  function refresh(): void {
    refreshDerived(state, workflowNowMs());
    if (publications) {
      publications.request();
      return;
    }
    publishSearchAttributes(state, workflowNowMs(), settings.escalationLadderDays);
    publishReadModel(state);
  }

  /** The memo alone (the open tasks' due dates), when nothing else changed. */
  function refreshMemo(): void {
    if (publications) publications.request();
    else publishReadModel(state);
  }

  /** Before the run closes: its handlers have answered, and visibility has its last state. */
  async function handlersFinished(): Promise<void> {
    await condition(allHandlersFinished);
    publications?.flush();
  }

  function enter(stage: Stage, actor: string, detail?: string): void {
    enterStage(state, stage, nowIso(), actor, detail);
    refresh();
  }

  function historyTooLong(): boolean {
    return (
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > settings.continueAsNewAfterEvents
    );
  }

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
      scheduleReminder(state, nextReminderMs);
      refreshMemo();
      const wakeAt = untilMs === undefined ? nextReminderMs : Math.min(nextReminderMs, untilMs);
      await condition(() => done() || terminal() || signals.remindNow, Math.max(1, wakeAt - workflowNowMs()));
      if (done() || terminal()) return 'done';
      if (untilMs !== undefined && workflowNowMs() >= untilMs) return 'expired';
      signals.remindNow = false;
      const alertStaff = recordReminder(state, nowIso());
      await notifications.reminder(sinceIso);
      if (alertStaff) await notifications.staffNoResponse(sinceIso);
    }
  }

  async function checkAdhesion(): Promise<void> {
    if (state.scenario) return;
    if (state.adhesionCheck === 'automatic') {
      try {
        const result = await adhesion.checkAdhesion({ fiscalCode: input.comune.fiscalCode });
        recordAutomaticAdhesion(state, result, nowIso());
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        fallBackToManualAdhesion(state, describeFailure(err));
        await notifications.adhesionNeedsStaff(state.adhesionCheckFallback!);
      }
    }
    refresh();
    await condition(() => state.scenario !== undefined || terminal());
  }

  /**
   * Polls Selfcare until it decides (or staff record the outcome first). A check that cannot run (no Selfcare key,
   * a refusal) falls back to staff, who are told why.
   */
  async function checkOnboarding(): Promise<void> {
    const staffDecided = () =>
      terminal() || signals.onboardingLost !== undefined || state.ioAccess?.onboardingActiveAt !== undefined;
    const scope = new CancellationScope();
    const polled = scope.run(() =>
      onboardingPoller.awaitIoOnboarding({ fiscalCode: input.comune.fiscalCode }),
    );
    const winner = await Promise.race([
      polled.then(
        (result) => ({ result }),
        (err: unknown) => ({ err }),
      ),
      condition(staffDecided).then(() => ({})),
    ]);
    if ('result' in winner && winner.result) {
      const { outcome, status } = winner.result;
      if (!staffDecided()) {
        recordOnboardingOutcome(
          state,
          { outcome, actor: 'sistema', detail: `Selfcare: ${status}` },
          nowIso(),
        );
        if (outcome !== 'active') signals.onboardingLost = outcome;
        refresh();
      }
      return;
    }
    if ('err' in winner) {
      if (!(winner.err instanceof ActivityFailure)) throw winner.err;
      fallBackToManualOnboardingCheck(state, describeFailure(winner.err));
      refresh();
      await notifications.onboardingCheckNeedsStaff(state.ioAccess!.checkFallback!);
      return;
    }
    scope.cancel();
    await polled.catch(() => undefined); // cancelled on purpose: staff recorded the outcome
  }

  /** Tells the services paused on a refused key that a new one is recorded: they call again with it. */
  async function resumeServices(slugs: string[], ref: string): Promise<void> {
    await Promise.all(
      slugs.map(
        (slug) =>
          getExternalWorkflowHandle(serviceWorkflowId(input.comune.ipaCode, slug))
            .signal(manageKeyRenewedSignal, { ref })
            .catch(() => undefined), // closed meanwhile (withdrawn): nothing to resume
      ),
    );
  }

  async function startServices(): Promise<void> {
    const inFlight = () =>
      state.services.filter((s) => started.has(s.slug) && holdsParallelSlot(s.status)).length;
    // No service starts while PagoPA refuses the Comune's key: staff record a new one first.
    const keyAllows = () => state.ioAccess?.keyRefused === undefined;
    const ready = () => (inFlight() < settings.maxParallelServices && keyAllows()) || terminal();
    if (hasChange(workflowPatches.cheaperServiceStarts)) {
      // Since 0.11.0: as many at once as the free slots allow (one workflow task for all their starts), each with
      // its search attributes, so the service upserts none at its start.
      const queued = input.services.filter((request) => !started.has(request.slug));
      while (queued.length > 0) {
        await condition(ready);
        if (terminal()) return;
        const batch = queued.splice(0, Math.max(1, settings.maxParallelServices - inFlight()));
        await Promise.all(
          batch.map(async (request) => {
            await startService(request, true);
            serviceStarted(request);
          }),
        );
      }
      return;
    }
    // Before 0.11.0, one at a time. Kept await for await as it was: the order of an activation's commands (a start
    // beside an Update's answer) depends on it, and journeys started before replay it.
    for (const request of input.services) {
      if (started.has(request.slug)) continue;
      await condition(ready);
      if (terminal()) return;
      try {
        await startChild(serviceWorkflow, serviceChildOptions(request, false));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      serviceStarted(request);
    }
  }

  /** Starts one service (0.11.0's batches); one started before (a retried task) is taken as started. */
  async function startService(request: ServiceRequest, withSearchAttributes: boolean): Promise<void> {
    try {
      await startChild(serviceWorkflow, serviceChildOptions(request, withSearchAttributes));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  function serviceStarted(request: ServiceRequest): void {
    started.add(request.slug);
    markServiceStarted(state, request.slug);
    refresh();
  }

  function serviceChildOptions(request: ServiceRequest, withSearchAttributes: boolean) {
    return {
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
          // The Comune's own manage key (0.5.0); absent, older journeys keep the partner-wide key.
          ...(state.ioAccess?.manageKey ? { keySource: 'comune' as const } : {}),
          ...(withSearchAttributes ? { searchAttributesAtStart: true as const } : {}),
        },
      ] satisfies [ServiceWorkflowInput],
      // Children outlive a continue-as-new of this run; withdrawal cancels them explicitly.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Absent from journeys started without it, so their start commands (and histories) are unchanged.
      ...(settings.servicesTaskQueue ? { taskQueue: settings.servicesTaskQueue } : {}),
      ...(withSearchAttributes
        ? { typedSearchAttributes: serviceStartSearchAttributes(input.comune, workflowNowMs()) }
        : {}),
    };
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
    cancelOpenServices(state);
    refresh();
  }
}
