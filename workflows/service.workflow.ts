import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setHandler,
  sleep,
  type SignalDefinition,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import {
  manageKeyRefusedSignal,
  serviceStatusChangedSignal,
  type ServiceStatusChanged,
} from '../contracts/comune';
import {
  correctCardSchema,
  checkReviewNowSchema,
  checkReviewNowUpdate,
  correctCardUpdate,
  getServiceStateQuery,
  initialServiceState,
  MANAGE_KEY_FAILURES,
  manageKeyRenewedSignal,
  recordReviewOutcomeSchema,
  recordReviewOutcomeUpdate,
  undoReviewOutcomeSchema,
  undoReviewOutcomeUpdate,
  type RecordReviewOutcome,
  type UndoReviewOutcome,
  type ServiceState,
  type ServiceStatus,
  type ManageKeyScope,
  type ServiceWorkflowInput,
  serviceSetUpSteps,
  type ServiceSetUpFailureDetail,
  type ServiceSetUpProgress,
} from '../contracts/service';
import { serviceCardIssues, type ServiceCard } from '../domain/service-card';
import { isWorkingStatus, serviceStepRefusal, serviceSteps, type ServiceStep } from '../domain/journey-model';
import type { ReviewDecision } from '../activities';
import { io, reviewCheck, reviewPoller, setUp } from './activity-proxies';
import { nowIso, workflowNowMs } from './clock';
import { serviceDocumentKey } from '../contracts/read-model';
import { keepReadModel } from './read-model';
import { serviceComuneSearchAttributes, serviceStatusSearchAttributes } from './service-search-attributes';
import { hasChange, openRun, workflowPatches } from './patches';
import { describeFailure, notifySafely, refuse, zodMessage } from './workflow-support';

/** What a read of the review on IO found, as the timeline says it. */
const reviewOutcomeRead: Record<ReviewDecision['outcome'], string> = {
  approved: 'approvato',
  rejected: 'rifiutato',
  draft: 'richiesta di pubblicazione annullata su IO: nuovo invio',
};

/** History length past which a service continues as new between review rounds. */
const CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;
/** How long a service waits before telling its Comune again, when the Comune's workflow refused a signal. */
const SIGNAL_RETRY_WAITS = ['1 second', '5 seconds', '30 seconds'] as const;

/**
 * One App IO service of one Comune: card → IO service → logo → portal keys → test message → review rounds →
 * published. A broken card or an IO refusal never fails it: it waits for staff to correct the card.
 */
/** An activity failure caused by the Comune's manage key (refused by PagoPA, or none recorded). */
function isKeyRefusal(err: ActivityFailure): boolean {
  const cause = err.cause;
  return (
    cause instanceof ApplicationFailure &&
    (MANAGE_KEY_FAILURES as readonly string[]).includes(cause.type ?? '')
  );
}

export async function serviceWorkflow(
  input: ServiceWorkflowInput,
  carried?: ServiceState,
): Promise<ServiceState> {
  openRun();
  const workflowId = workflowInfo().workflowId;
  const state: ServiceState = carried ?? initialServiceState(input.slug, input.card);
  // What the journey model's checkReviewNow asks (no command: the state the pages read).
  if (input.reviewTracking === 'poll') state.reviewReadOnIo = true;
  else delete state.reviewReadOnIo;
  let correction: ServiceCard | undefined;
  let manualOutcome: RecordReviewOutcome | undefined;
  let undoRequest: UndoReviewOutcome | undefined;
  /** Staff who asked to read the review on IO now (checkReviewNow), in order; the first `reviewChecksDone` are answered. */
  const reviewChecks: string[] = [];
  let reviewChecksDone = 0;
  const expected = { organizationFiscalCode: input.comune.fiscalCode };
  const comune = { name: input.comune.name, ipaCode: input.comune.ipaCode };
  // Since 0.3.0 a service signals its Comune only when the Comune's view changes in a way that matters (a
  // signal costs a workflow task on both sides: 5 per service became 2 on the happy path). Services started
  // under 0.2.0 have no marker and replay reporting every status.
  const reportMilestonesOnly = hasChange(workflowPatches.serviceReportsMilestonesOnly);
  // The Comune marks a service "creating" when it starts it; a continued run's status was reported before.
  let reported: ServiceStatus = carried ? carried.status : 'creating';

  // Which Comune's key the IO activities resolve at each call (never the key itself).
  const key: ManageKeyScope = {
    comuneIpa: input.comune.ipaCode,
    source: input.keySource ?? 'partner',
  };
  /** Bumped when the Comune tells that a new manage key is recorded. */
  let keyRenewals = 0;
  setHandler(manageKeyRenewedSignal, () => {
    keyRenewals += 1;
  });

  // The service page's read model, written by the worker when the state changes (no history event).
  keepReadModel(input.comune.ipaCode, () => ({ [serviceDocumentKey(input.slug)]: state }));
  setHandler(getServiceStateQuery, () => state);
  /** Refuses the step when the journey model does not allow it in the service's current status. */
  const requireAllowed = (step: ServiceStep) => {
    const refusal = serviceStepRefusal(step, state);
    if (refusal) refuse(refusal);
  };
  if (!carried && !input.searchAttributesAtStart) {
    // Lets the task inbox show the Comune of each service without querying it (since 0.11.0 given at its start).
    upsertSearchAttributes(serviceComuneSearchAttributes(input.comune));
  }
  /**
   * The status visibility holds, for services started with their search attributes (0.11.0): upserted only when it
   * changes, and never «publishing» (one idempotent call before «active»). Others upsert every status, as before.
   */
  let statusInVisibility: ServiceStatus | undefined = input.searchAttributesAtStart
    ? (carried?.status ?? 'creating')
    : undefined;
  setHandler(
    correctCardUpdate,
    (update) => {
      correction = update.card;
      delete state.rejectionUndoable; // the rejection is now built on
      state.card = update.card;
      state.name = update.card.service_name;
      state.issues = [];
      state.timeline.push({ at: nowIso(), step: 'Scheda corretta', actor: update.actor });
      return state;
    },
    {
      validator: (update) => {
        const parsed = correctCardSchema.safeParse(update);
        if (!parsed.success) refuse(`Scheda non valida: ${zodMessage(parsed.error)}`);
        requireAllowed(serviceSteps.correctCard);
        if (undoRequest) refuse('Il rifiuto è in corso di annullamento: il servizio torna in revisione.');
        const issues = serviceCardIssues(parsed.data.card, expected);
        if (issues.length > 0) {
          refuse(
            `La scheda corretta non rispetta ancora le regole PagoPA: ${issues.map((i) => i.message).join('; ')}`,
          );
        }
      },
    },
  );
  setHandler(
    recordReviewOutcomeUpdate,
    (update) => {
      manualOutcome = update;
      return state;
    },
    {
      validator: (update) => {
        const parsed = recordReviewOutcomeSchema.safeParse(update);
        if (!parsed.success) refuse(`Esito non valido: ${zodMessage(parsed.error)}`);
        requireAllowed(serviceSteps.recordReviewOutcome);
      },
    },
  );

  setHandler(
    checkReviewNowUpdate,
    async (update) => {
      reviewChecks.push(update.actor);
      const ticket = reviewChecks.length;
      // Answers once IO has been read for this request, or when the review ended meanwhile (an outcome recorded by
      // hand, a refused key): the timeline says what was read.
      await condition(() => reviewChecksDone >= ticket || state.status !== 'in_review');
      return state;
    },
    {
      validator: (update) => {
        const parsed = checkReviewNowSchema.safeParse(update);
        if (!parsed.success) refuse(`Richiesta non valida: ${zodMessage(parsed.error)}`);
        requireAllowed(serviceSteps.checkReviewNow);
      },
    },
  );

  setHandler(
    undoReviewOutcomeUpdate,
    async (update) => {
      undoRequest = update;
      // Answers once the round is reopened, so the caller sees the service back in review.
      await condition(() => undoRequest === undefined && state.status !== 'rejected');
      return state;
    },
    {
      validator: (update) => {
        const parsed = undoReviewOutcomeSchema.safeParse(update);
        if (!parsed.success) refuse(`Annullamento non valido: ${zodMessage(parsed.error)}`);
        requireAllowed(serviceSteps.undoReviewOutcome);
        if (undoRequest) refuse('L’annullamento del rifiuto è già in corso.');
      },
    },
  );

  async function setStatus(
    status: ServiceStatus,
    report: Pick<ServiceStatusChanged, 'rejection' | 'rejectionUndone'> = {},
  ): Promise<void> {
    state.status = status;
    if (!input.searchAttributesAtStart) {
      upsertSearchAttributes(serviceStatusSearchAttributes(status, workflowNowMs()));
    } else if (status !== statusInVisibility && status !== 'publishing') {
      statusInVisibility = status;
      upsertSearchAttributes(serviceStatusSearchAttributes(status, workflowNowMs()));
    }
    if (reportMilestonesOnly && !mattersToComune(status)) return;
    reported = status;
    await tellComune(serviceStatusChangedSignal, {
      slug: input.slug,
      status,
      name: state.name,
      ...(state.ioServiceId ? { ioServiceId: state.ioServiceId } : {}),
      ...report,
      ...(state.issues.length > 0 ? { issues: state.issues } : {}),
    });
  }

  /**
   * Signals the Comune's workflow (its latest run). A Comune closed for good (withdrawn) cannot hear it: the service's
   * own state stays authoritative. Since 0.7.0 a refused signal is tried again a few times first: a server may
   * briefly find no open run while the Comune continues as new (the time-skipping test server does), and a lost
   * milestone would leave the Comune waiting for a service that is already active.
   */
  async function tellComune<Args extends unknown[]>(
    signal: SignalDefinition<Args>,
    ...args: Args
  ): Promise<void> {
    const comune = getExternalWorkflowHandle(input.parentWorkflowId);
    for (let attempt = 0; ; attempt++) {
      try {
        await comune.signal(signal, ...args);
        return;
      } catch (err) {
        const wait = SIGNAL_RETRY_WAITS[attempt];
        if (wait === undefined || !hasChange(workflowPatches.serviceSignalRetried)) {
          log.warn('cannot signal the Comune workflow', { signal: signal.name, error: String(err) });
          return;
        }
        await sleep(wait);
      }
    }
  }

  /**
   * Whether the Comune must hear of this status: always for people's statuses (review, rejection, correction,
   * active, cancelled), which also free the Comune's parallelism slot; for the automatic ones only when the
   * Comune last heard of a people's status (e.g. a corrected card is being processed again). Publishing lasts
   * one idempotent call before "active" or a correction, so it is never reported.
   */
  function mattersToComune(status: ServiceStatus): boolean {
    if (!isWorkingStatus(status)) return true;
    return status !== 'publishing' && !isWorkingStatus(reported);
  }

  /**
   * Waits for staff to send a (corrected) card. The update handler already applied it; a correction sent while
   * the status was being reported (before this wait began) counts too, so it is consumed, never reset here.
   */
  async function awaitCorrection(): Promise<void> {
    await condition(() => correction !== undefined);
    correction = undefined;
  }

  /**
   * Runs an IO step; a refusal that retrying cannot fix goes to staff, and the step runs again after their fix.
   * `step` names the step for staff, or tells it from the failure (the set-up chain says which of its steps failed).
   */
  async function withStaffRecovery<T>(
    stepOrFailed: string | ((err: ActivityFailure) => string),
    run: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
        const step = typeof stepOrFailed === 'string' ? stepOrFailed : stepOrFailed(err);
        if (isKeyRefusal(err)) {
          await awaitNewKey(step, err);
          continue;
        }
        const message = describeFailure(err);
        state.issues = [{ field: step, message }];
        state.timeline.push({ at: nowIso(), step: `Bloccato: ${step}`, actor: 'sistema', detail: message });
        await setStatus('needs_correction');
        await notifySafely(state, {
          id: `${workflowId}:blocked:${step}:${state.rounds.length}:${attempt}`,
          kind: 'staff_alert',
          comuneIpa: comune.ipaCode,
          audience: { staff: true },
          data: {
            comune,
            alert: `Servizio «${state.name}» bloccato: ${step}`,
            missing: [message],
            suggestedAction: 'Correggere la causa e reinviare la scheda del servizio dal back office.',
          },
        });
        await awaitCorrection();
      }
    }
  }

  /**
   * PagoPA refused the Comune's manage key (401/403) or none is recorded: retrying cannot help and the card is not
   * at fault. The service pauses («In attesa della chiave di gestione»), the Comune opens one staff task for all its
   * services, and the step runs again when a new key is recorded (each IO step is idempotent: no duplicate).
   */
  async function awaitNewKey(step: string, err: ActivityFailure): Promise<void> {
    const seen = keyRenewals;
    const before = state.status;
    const cause = describeFailure(err);
    const details = (err.cause as ApplicationFailure).details?.[0] as { ref?: string } | undefined;
    state.timeline.push({ at: nowIso(), step: `In pausa: ${step}`, actor: 'sistema', detail: cause });
    // The Comune hears of the refusal before the status: a paused service frees its parallel slot, and the Comune
    // must already know the key is refused, or it would start the next service with it.
    await tellComune(manageKeyRefusedSignal, {
      slug: input.slug,
      ref: details?.ref ?? 'none',
      cause: cause.slice(0, 1000),
    });
    await setStatus('awaiting_key');
    await condition(() => keyRenewals > seen);
    state.timeline.push({ at: nowIso(), step: 'Nuova chiave di gestione: si riprende', actor: 'sistema' });
    await setStatus(before);
  }

  async function ensureValidCard(): Promise<void> {
    for (let n = 1; ; n++) {
      const issues = serviceCardIssues(state.card, expected);
      if (issues.length === 0) return;
      state.issues = issues;
      await setStatus('needs_correction');
      await notifySafely(state, {
        id: `${workflowId}:card-issues:${state.rounds.length}:${n}`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert: `Scheda del servizio «${state.name}» da correggere`,
          missing: issues.map((i) => i.message),
          suggestedAction: 'Correggere la scheda secondo le regole PagoPA e reinviarla dal back office.',
        },
      });
      await awaitCorrection();
    }
  }

  /**
   * Reads the review on IO once, for the staff who asked (checkReviewNow): the outcome when PagoPA has decided
   * (still PagoPA's: a rejection read so cannot be undone), undefined while it is still reviewing or when IO could not
   * be read. Every read is in the timeline, with who asked and what IO said.
   */
  async function readReviewNow(serviceId: string): Promise<(ReviewDecision & { by: string }) | undefined> {
    const upTo = reviewChecks.length;
    // The read answers every request made so far; the timeline names the first, who asked for it.
    const askedBy = reviewChecks[reviewChecksDone]!;
    const read = (detail: string) => {
      state.timeline.push({ at: nowIso(), step: 'Esito letto su IO a richiesta', actor: askedBy, detail });
      reviewChecksDone = upTo;
    };
    try {
      const decision = await reviewCheck.awaitReviewDecision({ serviceId, key, publish: true });
      read(reviewOutcomeRead[decision.outcome]);
      return { ...decision, by: 'PagoPA' };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      if (err.cause instanceof ApplicationFailure && err.cause.type === 'ReviewPending') {
        read('ancora in revisione');
        return undefined;
      }
      read(`lettura non riuscita: ${describeFailure(err)}`);
      if (isKeyRefusal(err)) await awaitNewKey('verifica della revisione', err);
      return undefined;
    }
  }

  async function awaitReview(serviceId: string): Promise<ReviewDecision & { by: string }> {
    try {
      return await awaitReviewOutcome(serviceId);
    } finally {
      // A request to read IO made before the review ended is answered by its end (its Update returns when the
      // status changes): none is left over to start a read in the next round.
      reviewChecksDone = reviewChecks.length;
    }
  }

  async function awaitReviewOutcome(serviceId: string): Promise<ReviewDecision & { by: string }> {
    if (input.reviewTracking === 'manual') {
      await condition(() => manualOutcome !== undefined);
    } else {
      const poller = reviewPoller(input.reviewPollInitialMinutes, input.reviewPollMaxHours);
      for (;;) {
        const scope = new CancellationScope();
        // Since 0.12.0 the poll also publishes an approved service when PagoPA lets it at once; its result says so,
        // and the publication below follows the result recorded in history (no marker needed: a poll of an older
        // history has no `published`, and the publication runs as its own activity, as it did).
        const polled = scope.run(() => poller.awaitReviewDecision({ serviceId, key, publish: true }));
        const winner = await Promise.race([
          polled.then(
            (decision) => ({ decision, error: undefined, readNow: false }),
            (error: unknown) => ({ decision: undefined, error, readNow: false }),
          ),
          condition(() => manualOutcome !== undefined).then(() => ({
            decision: undefined,
            error: undefined,
            readNow: false,
          })),
          condition(() => reviewChecks.length > reviewChecksDone).then(() => ({
            decision: undefined,
            error: undefined,
            readNow: true,
          })),
        ]);
        if (winner.decision) return { ...winner.decision, by: 'PagoPA' };
        if (winner.error === undefined) {
          scope.cancel();
          // Cancelled on purpose: staff recorded the outcome, or asked to read it now. A poll that answered meanwhile
          // still counts.
          const answered = await polled.catch(() => undefined);
          if (!winner.readNow) break;
          if (answered) return { ...answered, by: 'PagoPA' };
          const read = await readReviewNow(serviceId);
          if (read) return read;
          if (manualOutcome !== undefined) break;
          // Still in review: the polling starts again (at once, then from its first interval).
          continue;
        }
        // The key was refused while polling: pause, then poll again with the new one.
        if (winner.error instanceof ActivityFailure && isKeyRefusal(winner.error)) {
          await awaitNewKey('verifica della revisione', winner.error);
          reviewChecksDone = reviewChecks.length; // answered by the pause, as awaitReview's end answers them
          if (manualOutcome !== undefined) break;
          continue;
        }
        throw winner.error;
      }
    }
    const outcome = manualOutcome!;
    manualOutcome = undefined;
    return outcome.outcome === 'approved'
      ? { outcome: 'approved', by: outcome.actor }
      : { outcome: 'rejected', reason: outcome.reason ?? 'dati incompleti o incorretti', by: outcome.actor };
  }

  /**
   * Records what the set-up chain did, as the separate steps did: the service's id, the steps done, the timeline
   * entries at the times the activity did them, and the round it submitted.
   */
  function recordSetUp(progress: ServiceSetUpProgress | undefined): void {
    if (!progress) return;
    if (progress.serviceId && !state.ioServiceId) {
      state.ioServiceId = progress.serviceId;
      state.timeline.push({
        at: progress.createdAt ?? nowIso(),
        step: 'Servizio creato su IO',
        actor: 'sistema',
        detail: progress.serviceId,
      });
    }
    if (progress.logoUploaded) state.logoUploaded = true;
    if (progress.portalConfigured && !state.portalConfigured) {
      state.portalConfigured = true;
      state.timeline.push({
        at: progress.portalConfiguredAt ?? nowIso(),
        step: 'Chiavi configurate sul portale',
        actor: 'sistema',
      });
    }
    if (progress.testMessageSent) state.testMessageSent = true;
    const open = state.rounds.at(-1);
    if (progress.submittedAt && (!open || open.outcome)) {
      state.rounds.push({ round: state.rounds.length + 1, submittedAt: progress.submittedAt });
    }
  }

  /** The step of the set-up chain that failed, with what it had done (the failure's last detail). */
  function setUpFailure(err: ActivityFailure): ServiceSetUpFailureDetail['serviceSetUp'] | undefined {
    const details = err.cause instanceof ApplicationFailure ? err.cause.details : undefined;
    const last = details?.at(-1) as Partial<ServiceSetUpFailureDetail> | undefined;
    return last?.serviceSetUp;
  }

  /**
   * Since 0.11.0: create, logo, portal keys, test message and the first submission in one activity (four workflow
   * tasks fewer per service). A step that needs staff stops the chain; what it did is recorded, the step is named as
   * before, and the chain runs again after their fix, from where it stopped.
   */
  async function setUpOnIo(): Promise<void> {
    const open = state.rounds.at(-1);
    const done = await withStaffRecovery(
      (err) => {
        const failed = setUpFailure(err);
        recordSetUp(failed?.progress);
        return serviceSetUpSteps[failed?.step ?? 'create'];
      },
      () =>
        setUp.setUpService({
          key,
          card: state.card,
          tenant: input.comune.portalTenant,
          slug: input.slug,
          done: {
            ...(state.ioServiceId ? { serviceId: state.ioServiceId } : {}),
            logoUploaded: state.logoUploaded,
            portalConfigured: state.portalConfigured,
            testMessageSent: state.testMessageSent,
          },
          submit: !open || open.outcome !== undefined,
        }),
    );
    recordSetUp(done);
  }

  try {
    await ensureValidCard();
    const setUpPending =
      !state.ioServiceId || !state.logoUploaded || !state.portalConfigured || !state.testMessageSent;
    if (setUpPending && hasChange(workflowPatches.serviceSetUpInOneActivity)) {
      await setStatus(state.ioServiceId ? 'configuring' : 'creating');
      await setUpOnIo();
    }
    if (!state.ioServiceId) {
      await setStatus('creating');
      const { serviceId } = await withStaffRecovery(serviceSetUpSteps.create, () =>
        io.ensureService({ card: state.card, key }),
      );
      state.ioServiceId = serviceId;
      state.timeline.push({
        at: nowIso(),
        step: 'Servizio creato su IO',
        actor: 'sistema',
        detail: serviceId,
      });
    }
    const serviceId = state.ioServiceId;
    if (!state.logoUploaded || !state.portalConfigured || !state.testMessageSent)
      await setStatus('configuring');
    if (!state.logoUploaded) {
      await withStaffRecovery(serviceSetUpSteps.logo, () =>
        io.uploadLogo({ serviceId, logoRef: state.card.logo_ref, key }),
      );
      state.logoUploaded = true;
    }
    if (!state.portalConfigured) {
      await withStaffRecovery(serviceSetUpSteps.portal, () =>
        io.configurePortal({ serviceId, tenant: input.comune.portalTenant, slug: input.slug, key }),
      );
      state.portalConfigured = true;
      state.timeline.push({
        at: nowIso(),
        step: 'Chiavi configurate sul portale',
        actor: 'sistema',
      });
    }
    if (!state.testMessageSent) {
      await withStaffRecovery(serviceSetUpSteps.testMessage, () =>
        io.sendTestMessage({ serviceId, serviceName: state.card.service_name, key }),
      );
      state.testMessageSent = true;
    }

    /** The rejection a manager just undid: the Comune hears of it with the return to review. */
    let reopened: { at: string } | undefined;
    for (;;) {
      const open = state.rounds.at(-1);
      if (!open || open.outcome) {
        await withStaffRecovery(serviceSetUpSteps.submit, () => io.submitForReview({ serviceId, key }));
        state.rounds.push({ round: state.rounds.length + 1, submittedAt: nowIso() });
      }
      const round = state.rounds.at(-1)!;
      await setStatus('in_review', reopened ? { rejectionUndone: reopened } : {});
      reopened = undefined;
      const decision = await awaitReview(serviceId);
      if (decision.outcome === 'draft') {
        round.outcome = 'rejected';
        round.reason = 'richiesta di pubblicazione annullata su IO: nuovo invio';
        round.decidedAt = nowIso();
        continue;
      }
      round.decidedAt = nowIso();
      round.decidedBy = decision.by;
      round.outcome = decision.outcome;
      if (decision.outcome === 'approved') {
        await setStatus('publishing');
        if (!('published' in decision && decision.published))
          await withStaffRecovery('pubblicazione', () => io.ensurePublished({ serviceId, key }));
        state.timeline.push({ at: nowIso(), step: 'Servizio attivo su App IO', actor: decision.by });
        await setStatus('active');
        return state;
      }
      round.reason = decision.reason;
      state.timeline.push({
        at: round.decidedAt,
        step: 'Rifiutato da PagoPA',
        actor: decision.by,
        detail: decision.reason,
      });
      // Since 0.6.0 a rejection recorded by hand may be undone by a manager while it waits for its correction: the
      // round reopens and the review is awaited again, without a new submission. A rejection read from PagoPA
      // cannot be undone. Histories from before 0.6.0 have no marker and wait for the correction only.
      const undoable = decision.by !== 'PagoPA' && hasChange(workflowPatches.undoReviewOutcome);
      if (undoable) state.rejectionUndoable = { at: round.decidedAt, by: decision.by };
      await setStatus('rejected', { rejection: { at: round.decidedAt, reason: decision.reason } });
      await notifySafely(state, {
        id: `${workflowId}:rejected:${round.round}`,
        kind: 'service_rejected',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          serviceName: state.name,
          serviceId,
          reason: decision.reason,
          round: round.round,
          rejectedAt: round.decidedAt,
          missing: [`Correggere la scheda secondo il motivo indicato: ${decision.reason}`],
        },
      });
      if (undoable) {
        await condition(() => correction !== undefined || undoRequest !== undefined);
        delete state.rejectionUndoable;
        if (correction === undefined && undoRequest !== undefined) {
          const undo: UndoReviewOutcome = undoRequest;
          undoRequest = undefined;
          const rejectedAt = round.decidedAt;
          delete round.outcome;
          delete round.reason;
          delete round.decidedAt;
          delete round.decidedBy;
          state.timeline.push({
            at: nowIso(),
            step: 'Rifiuto annullato',
            actor: undo.actor,
            detail: undo.reason,
          });
          reopened = { at: rejectedAt };
          continue;
        }
        correction = undefined;
      } else {
        await awaitCorrection();
      }
      await withStaffRecovery('aggiornamento su IO', () =>
        io.updateService({ serviceId, card: state.card, key }),
      );
      if (
        workflowInfo().historyLength > CONTINUE_AS_NEW_AFTER_EVENTS ||
        workflowInfo().continueAsNewSuggested
      ) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof serviceWorkflow>(input, state);
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      // Withdrawn with its Comune: record it, tell the parent, and end as cancelled.
      await CancellationScope.nonCancellable(async () => {
        state.timeline.push({ at: nowIso(), step: 'Servizio annullato', actor: 'sistema' });
        await setStatus('cancelled');
      });
    }
    throw err;
  }
}
