import type {
  ComuneInput,
  ComuneState,
  IoAccessState,
  ManageKeyRefused,
  MoveDeadline,
  RecordAdhesion,
  RecordDelegationDone,
  RecordManageKey,
  RecordOnboarding,
  RecordSignedForm,
  RecordTrackingForm,
  ServiceStatusChanged,
  UndoStep,
  Withdraw,
} from '../contracts/comune';
import { DAY_MS, handledAfterDeadlineMove, nextStep } from './deadlines';
import { populationBand } from './funding';
import type { Stage } from './journey-model';

/**
 * Every change to a Comune's state, in one place: pure functions the workflow, its Update handlers and its
 * escalation ladder call with the workflow's time. Nothing here does IO or reads a clock, so each change is unit
 * testable and the workflow reads as the process it runs.
 */

export function initialComuneState(input: ComuneInput, at: string): ComuneState {
  return {
    ipaCode: input.comune.ipaCode,
    fiscalCode: input.comune.fiscalCode,
    ...(input.contacts.mayor.fiscalCode ? { mayorFiscalCode: input.contacts.mayor.fiscalCode } : {}),
    stageSince: at,
    name: input.comune.name,
    province: input.comune.province,
    population: input.comune.population,
    stage: 'adhesion_check',
    adhesionCheck: input.settings.adhesionCheck,
    deadline: input.deadline,
    late: false,
    timeline: [
      { at, step: 'Percorso avviato', actor: 'sistema' },
      // A withdrawn Comune restarted by a manager.
      ...(input.restartOf
        ? [
            {
              at,
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
      updatedAt: at,
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

export function recordOnTimeline(
  state: ComuneState,
  at: string,
  step: string,
  actor: string,
  detail?: string,
): void {
  state.timeline.push({ at, step, actor, ...(detail ? { detail } : {}) });
}

/** The Comune enters a stage: the reminders start again from zero. */
export function enterStage(
  state: ComuneState,
  stage: Stage,
  at: string,
  actor: string,
  detail?: string,
): void {
  state.stage = stage;
  state.stageSince = at;
  recordOnTimeline(state, at, `Fase: ${stage}`, actor, detail);
  state.reminders = {
    ...state.reminders,
    sentInStage: 0,
    staffAlerted: false,
    lastAt: undefined,
    nextAt: undefined,
  };
}

export function recordAdhesion(state: ComuneState, u: RecordAdhesion, at: string): void {
  state.scenario = u.adherent ? 'B' : 'A';
  recordOnTimeline(state, at, `Adesione registrata: scenario ${state.scenario}`, u.actor, u.note);
}

export function recordAutomaticAdhesion(
  state: ComuneState,
  result: { adherent: boolean; found: boolean; status?: string },
  at: string,
): void {
  state.scenario = result.adherent ? 'B' : 'A';
  recordOnTimeline(
    state,
    at,
    `Adesione verificata su Selfcare: scenario ${state.scenario}`,
    'sistema',
    result.status ?? (result.found ? 'nessuna adesione a prod-io' : 'ente non presente su Selfcare'),
  );
}

/** The automatic check failed: staff record the adhesion instead, and are told why. */
export function fallBackToManualAdhesion(state: ComuneState, why: string): void {
  state.adhesionCheck = 'manual';
  state.adhesionCheckFallback = why;
}

export function requestDelegation(state: ComuneState, at: string): void {
  state.delegation.requestCount += 1;
  state.delegation.requestedAt = at;
}

export function recordDelegationDone(state: ComuneState, u: RecordDelegationDone, at: string): void {
  state.delegation.completedAt = at;
  recordOnTimeline(state, at, 'Delega completata su Selfcare', u.actor, u.note);
}

/** Selfcare has sent the PEC with the signed-form link: it expires after `validityDays`. */
export function sendSignedFormLink(state: ComuneState, nowMs: number, validityDays: number): void {
  state.signedForm.linkSentAt = new Date(nowMs).toISOString();
  state.signedForm.linkExpiresAt = new Date(nowMs + validityDays * DAY_MS).toISOString();
}

export function expireSignedFormLink(state: ComuneState): void {
  state.signedForm.expiredCount += 1;
}

export function recordSignedForm(state: ComuneState, u: RecordSignedForm, at: string): void {
  state.signedForm.record = { ...u.document, recordedAt: at, recordedBy: u.actor };
  recordOnTimeline(
    state,
    at,
    'Modulo firmato registrato',
    u.actor,
    // The file's sha256 stays in the record (the evidence); the timeline names the signer, as a person reads it.
    `firmato da ${u.document.signerName}`,
  );
}

export function recordTrackingForm(state: ComuneState, u: RecordTrackingForm, at: string): void {
  state.trackingForm = { recordedAt: at, recordedBy: u.actor };
  recordOnTimeline(state, at, 'Modulo di tracciamento registrato', u.actor, u.note);
}

/** When the next reminder is due while the Comune is waited on. */
export function scheduleReminder(state: ComuneState, atMs: number): void {
  state.reminders.nextAt = new Date(atMs).toISOString();
}

/** A reminder went out; returns whether staff must now hear that the Comune does not answer (after the second). */
export function recordReminder(state: ComuneState, at: string): boolean {
  state.reminders.sentInStage += 1;
  state.reminders.total += 1;
  state.reminders.lastAt = at;
  if (state.reminders.sentInStage === 2 && !state.reminders.staffAlerted) {
    state.reminders.staffAlerted = true;
    return true;
  }
  return false;
}

/** A manager moved the deadline: the ladder is recomputed against the new date, and a late Comune may not be. */
export function moveDeadline(
  state: ComuneState,
  u: MoveDeadline,
  nowMs: number,
  ladder: readonly number[],
): void {
  const previous = state.deadline;
  const deadlineMs = Date.parse(u.deadline);
  state.deadline = u.deadline;
  state.escalationStepsHandled = [
    ...handledAfterDeadlineMove(nowMs, deadlineMs, ladder, new Set(state.escalationStepsHandled)),
  ];
  if (state.late && deadlineMs > nowMs) {
    state.late = false;
    state.lateSince = undefined;
    state.escalationStepsHandled = state.escalationStepsHandled.filter((d) => d !== 0);
  }
  // What the ladder will arm next against the new date (the ladder itself re-arms after this).
  const next = nextStep(nowMs, deadlineMs, ladder, new Set(state.escalationStepsHandled));
  state.nextEscalationAt = next ? new Date(next.atMs).toISOString() : undefined;
  recordOnTimeline(
    state,
    new Date(nowMs).toISOString(),
    'Scadenza spostata',
    u.actor,
    `${previous} → ${u.deadline}: ${u.reason}`,
  );
}

export function withdraw(state: ComuneState, u: Withdraw, at: string): void {
  state.stage = 'withdrawn';
  state.stageSince = at;
  state.withdrawn = { at, by: u.actor, reason: u.reason };
  recordOnTimeline(state, at, 'Comune ritirato', u.actor, u.reason);
}

/** After a withdrawal: every service not active is cancelled. */
export function cancelOpenServices(state: ComuneState): void {
  for (const s of state.services) if (s.status !== 'active') s.status = 'cancelled';
}

/** The escalation steps handled so far (sent or skipped). */
export function markEscalationStepsHandled(state: ComuneState, handled: Iterable<number>): void {
  state.escalationStepsHandled = [...handled];
}

export function markLate(state: ComuneState, at: string): void {
  if (state.late) return;
  state.late = true;
  state.lateSince = at;
  recordOnTimeline(state, at, 'Scadenza superata: Comune in ritardo', 'sistema');
}

export function recordEscalation(state: ComuneState, at: string, daysBefore: number): void {
  state.escalations.push({ at, daysBefore, missing: [...state.missing] });
}

export function scheduleEscalation(state: ComuneState, atMs: number | undefined): void {
  state.nextEscalationAt = atMs === undefined ? undefined : new Date(atMs).toISOString();
}

/** A service reported a status change; false when the Comune has no such service. */
export function applyServiceStatus(state: ComuneState, change: ServiceStatusChanged, at: string): boolean {
  const service = state.services.find((s) => s.slug === change.slug);
  if (!service) return false;
  service.status = change.status;
  if (change.name) service.name = change.name;
  service.updatedAt = at;
  if (change.ioServiceId) service.ioServiceId = change.ioServiceId;
  if (change.rejection) service.rejections.push(change.rejection);
  if (change.rejectionUndone) {
    const undone = change.rejectionUndone.at;
    service.rejections = service.rejections.filter((r) => r.at !== undone);
  }
  service.issues = change.issues;
  return true;
}

/** The Comune started a service's workflow: it is being created. */
export function markServiceStarted(state: ComuneState, slug: string): void {
  const service = state.services.find((s) => s.slug === slug);
  if (service && service.status === 'pending') service.status = 'creating';
}

export const everyServiceActive = (state: ComuneState): boolean =>
  state.services.every((s) => s.status === 'active');

export function complete(state: ComuneState, at: string): void {
  state.completedAt = at;
  enterStage(state, 'completed', at, 'sistema', `${state.servicesActive} servizi attivi`);
}

// ------------------------------------------------------------------------------------ the stage «Accesso a IO»

/** The Comune enters «Accesso a IO»: the onboarding is checked on Selfcare where a key allows it. */
export function openIoAccess(state: ComuneState, check: 'automatic' | 'manual'): IoAccessState {
  state.ioAccess ??= { check, pausedServices: [] };
  return state.ioAccess;
}

/** The automatic onboarding check failed: staff record the outcome instead, and are told why. */
export function fallBackToManualOnboardingCheck(state: ComuneState, why: string): void {
  const access = openIoAccess(state, 'manual');
  access.check = 'manual';
  access.checkFallback = why;
}

export const onboardingOutcomeLabels = {
  active: 'attiva',
  rejected: 'rifiutata',
  expired: 'scaduta o annullata',
} as const;

/** Selfcare's `prod-io` onboarding outcome, read by the journey or recorded by staff. */
export function recordOnboardingOutcome(
  state: ComuneState,
  u: Pick<RecordOnboarding, 'outcome' | 'actor' | 'note'> & { detail?: string },
  at: string,
): void {
  const access = openIoAccess(state, 'manual');
  if (u.outcome === 'active') {
    access.onboardingActiveAt = at;
    access.onboardingRecordedBy = u.actor;
  }
  recordOnTimeline(
    state,
    at,
    `Adesione ad App IO su Selfcare ${onboardingOutcomeLabels[u.outcome]}`,
    u.actor,
    u.note ?? u.detail,
  );
}

/**
 * The onboarding was rejected or let expire: the Comune signs again after a new delegation, so the delegation and
 * the signed form of this round no longer count (the timeline keeps them).
 */
export function restartAdhesionRound(state: ComuneState): void {
  state.delegation.completedAt = undefined;
  state.signedForm = { expiredCount: state.signedForm.expiredCount };
  if (state.ioAccess) {
    state.ioAccess.onboardingActiveAt = undefined;
    state.ioAccess.onboardingRecordedBy = undefined;
  }
}

/**
 * A verified key, sealed in the key store, is recorded by its reference. A verified key also proves the onboarding
 * active (PagoPA issues manage keys only then). Returns the services paused on the key before, to resume.
 */
export function recordManageKey(state: ComuneState, u: RecordManageKey, at: string): string[] {
  const access = openIoAccess(state, 'manual');
  const replaced = access.manageKey;
  access.manageKey = {
    ref: u.ref,
    fingerprint: u.fingerprint,
    hasSecondary: u.hasSecondary,
    ...(u.group ? { group: u.group } : {}),
    recordedAt: at,
    recordedBy: u.actor,
  };
  if (!access.onboardingActiveAt) {
    access.onboardingActiveAt = at;
    access.onboardingRecordedBy = u.actor;
  }
  const paused = access.pausedServices;
  access.pausedServices = [];
  access.keyRefused = undefined;
  const what = replaced
    ? replaced.ref === u.ref
      ? 'Chiave di gestione registrata di nuovo (la stessa)'
      : 'Chiave di gestione sostituita'
    : 'Chiave di gestione registrata';
  recordOnTimeline(
    state,
    at,
    what,
    u.actor,
    [u.hasSecondary ? 'primaria e secondaria' : 'primaria', u.group ? `gruppo ${u.group}` : undefined]
      .filter(Boolean)
      .join(' · '),
  );
  return paused;
}

/**
 * A service was refused by PagoPA with the Comune's key. Returns true when that key is still the current one (the
 * service waits for a new key; the first refusal opens the staff task), false when a newer key was recorded since
 * (the service resumes at once).
 */
export function recordManageKeyRefused(state: ComuneState, refusal: ManageKeyRefused, at: string): boolean {
  const access = openIoAccess(state, 'manual');
  // A newer key was recorded after the one the service called with: it resumes with the new one.
  if (access.manageKey && refusal.ref !== access.manageKey.ref) return false;
  if (!access.pausedServices.includes(refusal.slug)) access.pausedServices.push(refusal.slug);
  if (!access.keyRefused) {
    access.keyRefused = { at, cause: refusal.cause, ref: refusal.ref };
    recordOnTimeline(
      state,
      at,
      'Chiave di gestione rifiutata da PagoPA: servizi in pausa',
      'sistema',
      refusal.cause,
    );
  }
  return true;
}

// ------------------------------------------------------------------------------------ a manager's undo

const undoneLabels: Record<UndoStep['step'], string> = {
  recordDelegationDone: 'Annullata la delega registrata',
  recordOnboarding: 'Annullata l’adesione attiva registrata',
  recordTrackingForm: 'Annullato il modulo di tracciamento registrato',
};

/**
 * A manager undoes a step recorded by mistake (the journey model checked that nothing was built on it). The step
 * stays in the timeline; this adds the undo, with its author and reason.
 */
export function undoStep(state: ComuneState, u: UndoStep, at: string): void {
  switch (u.step) {
    case 'recordDelegationDone':
      state.delegation.completedAt = undefined;
      break;
    case 'recordOnboarding':
      if (state.ioAccess) {
        state.ioAccess.onboardingActiveAt = undefined;
        state.ioAccess.onboardingRecordedBy = undefined;
      }
      break;
    case 'recordTrackingForm':
      state.trackingForm = undefined;
      break;
  }
  recordOnTimeline(state, at, undoneLabels[u.step], u.actor, u.reason);
}

// ---------------------------------------------------------------------------------------------------------------
// The watch of the published services after completion (0.6.0).

/** What PagoPA shows of one published service at a check (activities: `checkPublishedServices`). */
export type PublicationSeen = 'published' | 'unpublished' | 'deleted' | 'in_review';

/** Why a service is no longer visible in App IO, in Italian. */
export const publicationLossLabels: Record<Exclude<PublicationSeen, 'published'>, string> = {
  unpublished: 'tolto dalla pubblicazione su IO',
  deleted: 'eliminato su IO',
  in_review: 'tornato in revisione su IO',
};

export function startWatch(state: ComuneState, atMs: number, days: number, checkEveryHours: number): void {
  state.watch = {
    startedAt: new Date(atMs).toISOString(),
    until: new Date(atMs + days * DAY_MS).toISOString(),
    checkEveryHours,
    checks: 0,
  };
  state.timeline.push({
    at: new Date(atMs).toISOString(),
    step: 'Controllo dei servizi pubblicati avviato',
    actor: 'sistema',
    detail: `fino al ${state.watch.until.slice(0, 10)}`,
  });
}

/** A service whose visibility in App IO changed at this check. */
export interface PublicationChange {
  slug: string;
  name: string;
  seen: PublicationSeen;
}

/**
 * Applies one check: an active service PagoPA no longer shows in the app becomes `unpublished` (no longer secured),
 * one published again becomes `active`. Returns the changes, for the e-mail.
 */
export function applyPublicationCheck(
  state: ComuneState,
  seen: readonly { slug: string; seen: PublicationSeen }[],
  at: string,
): PublicationChange[] {
  const changes: PublicationChange[] = [];
  state.watch!.checks += 1;
  state.watch!.lastCheckAt = at;
  delete state.watch!.lastError;
  for (const { slug, seen: now } of seen) {
    const service = state.services.find((s) => s.slug === slug);
    if (!service) continue;
    if (service.status === 'active' && now !== 'published') {
      service.status = 'unpublished';
      service.updatedAt = at;
      service.issues = [{ field: 'pubblicazione', message: `Servizio ${publicationLossLabels[now]}` }];
      state.timeline.push({
        at,
        step: `Servizio non più visibile in App IO: ${service.name}`,
        actor: 'PagoPA',
        detail: publicationLossLabels[now],
      });
      changes.push({ slug, name: service.name, seen: now });
    } else if (service.status === 'unpublished' && now === 'published') {
      service.status = 'active';
      service.updatedAt = at;
      delete service.issues;
      state.timeline.push({
        at,
        step: `Servizio di nuovo visibile in App IO: ${service.name}`,
        actor: 'PagoPA',
      });
      changes.push({ slug, name: service.name, seen: now });
    } else if (service.status === 'unpublished' && now !== 'published') {
      service.issues = [{ field: 'pubblicazione', message: `Servizio ${publicationLossLabels[now]}` }];
    }
  }
  return changes;
}

export function recordWatchCheckFailed(state: ComuneState, at: string, cause: string): void {
  state.watch!.lastCheckAt = at;
  state.watch!.lastError = cause;
}

export function stopWatch(state: ComuneState, at: string, by: string, reason: string): void {
  state.watch!.stopped = { by, reason };
  state.timeline.push({ at, step: 'Controllo dei servizi pubblicati interrotto', actor: by, detail: reason });
}

export function endWatch(state: ComuneState, at: string): void {
  state.watch!.endedAt = at;
  if (!state.watch!.stopped) {
    state.timeline.push({ at, step: 'Controllo dei servizi pubblicati concluso', actor: 'sistema' });
  }
}
