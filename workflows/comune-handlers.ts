import { setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import {
  moveDeadlineSchema,
  moveDeadlineUpdate,
  recordAdhesionSchema,
  recordAdhesionUpdate,
  recordDelegationDoneSchema,
  recordDelegationDoneUpdate,
  recordManageKeySchema,
  recordManageKeyUpdate,
  recordOnboardingSchema,
  recordOnboardingUpdate,
  recordSignedFormSchema,
  recordSignedFormUpdate,
  recordTrackingFormSchema,
  recordTrackingFormUpdate,
  remindNowSchema,
  remindNowUpdate,
  stopWatchSchema,
  stopWatchUpdate,
  undoStepSchema,
  undoStepUpdate,
  withdrawSchema,
  withdrawUpdate,
  type ComuneInput,
  type ComuneState,
} from '../contracts/comune';
import {
  moveDeadline,
  recordAdhesion,
  recordDelegationDone,
  recordManageKey,
  recordOnboardingOutcome,
  recordOnTimeline,
  recordSignedForm,
  recordTrackingForm,
  stopWatch,
  undoStep,
  withdraw,
} from '../domain/comune-state';
import { comuneStepRefusal, comuneSteps, undoRefusal, type ComuneStep } from '../domain/journey-model';
import { nowIso } from './clock';
import { refuse, zodMessage } from './workflow-support';

/** Flags the handlers raise for the main flow; carried across continue-as-new. */
export interface ComuneSignals {
  delegationDone: boolean;
  remindNow: boolean;
  /** Bumped when a manager moves the deadline, so pending escalation timers follow the new date. */
  deadlineVersion: number;
  /** A manager undid the delegation while the signed form was awaited: the Comune is waited on for it again. */
  delegationUndone?: boolean;
  /** Staff recorded Selfcare's onboarding as rejected or expired (the stage «Accesso a IO» sends it back). */
  onboardingLost?: 'rejected' | 'expired';
}

interface HandlerContext {
  input: ComuneInput;
  state: ComuneState;
  signals: ComuneSignals;
  refresh: () => void;
  nowMs: () => number;
  /** Tells the services paused on a refused key that a new one is recorded. */
  resumeServices: (slugs: string[], ref: string) => Promise<void>;
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) refuse(`${what}: ${zodMessage(result.error)}`);
  return result.data;
}

/** Refuses the step when the journey model does not allow it in the Comune's current state. */
function requireAllowed(state: ComuneState, step: ComuneStep): void {
  const refusal = comuneStepRefusal(step, state);
  if (refusal) refuse(refusal);
}

/**
 * Staff and manager steps as Updates. Each validator refuses a step that is malformed or out of order before it
 * reaches history, with a sentence a person understands; each accepted step is recorded with its actor and time.
 */
export function registerComuneHandlers({
  input,
  state,
  signals,
  refresh,
  nowMs,
  resumeServices,
}: HandlerContext): void {
  setHandler(
    recordAdhesionUpdate,
    (u) => {
      recordAdhesion(state, u, nowIso());
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(recordAdhesionSchema, u, 'Esito della verifica non valido');
        requireAllowed(state, comuneSteps.recordAdhesion);
      },
    },
  );

  setHandler(
    recordDelegationDoneUpdate,
    (u) => {
      signals.delegationDone = true;
      recordDelegationDone(state, u, nowIso());
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(recordDelegationDoneSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.recordDelegationDone);
      },
    },
  );

  setHandler(
    recordSignedFormUpdate,
    (u) => {
      recordSignedForm(state, u, nowIso());
      refresh();
      return state;
    },
    {
      validator: (u) => {
        const v = parsed(recordSignedFormSchema, u, 'Modulo non valido');
        requireAllowed(state, comuneSteps.recordSignedForm);
        const mayor = input.contacts.mayor.fiscalCode;
        if (mayor && v.document.signerFiscalCode && v.document.signerFiscalCode.toUpperCase() !== mayor) {
          refuse(
            `Il modulo è firmato da ${v.document.signerName}, non dal Sindaco (codice fiscale diverso).`,
          );
        }
      },
    },
  );

  setHandler(
    recordOnboardingUpdate,
    (u) => {
      recordOnboardingOutcome(state, u, nowIso());
      if (u.outcome !== 'active') signals.onboardingLost = u.outcome;
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(recordOnboardingSchema, u, 'Esito non valido');
        requireAllowed(state, comuneSteps.recordOnboarding);
      },
    },
  );

  setHandler(
    recordManageKeyUpdate,
    async (u) => {
      const paused = recordManageKey(state, u, nowIso());
      refresh();
      await resumeServices(paused, u.ref);
      return state;
    },
    {
      validator: (u) => {
        parsed(recordManageKeySchema, u, 'Chiave non valida');
        requireAllowed(state, comuneSteps.recordManageKey);
      },
    },
  );

  setHandler(
    recordTrackingFormUpdate,
    (u) => {
      recordTrackingForm(state, u, nowIso());
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(recordTrackingFormSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.recordTrackingForm);
      },
    },
  );

  setHandler(
    moveDeadlineUpdate,
    (u) => {
      signals.deadlineVersion += 1;
      moveDeadline(state, u, nowMs(), input.settings.escalationLadderDays);
      refresh();
      return state;
    },
    {
      validator: (u) => {
        const v = parsed(moveDeadlineSchema, u, 'Scadenza non valida');
        requireAllowed(state, comuneSteps.moveDeadline);
        if (Date.parse(v.deadline) === Date.parse(state.deadline))
          refuse('La nuova scadenza è uguale a quella attuale.');
      },
    },
  );

  setHandler(
    undoStepUpdate,
    (u) => {
      undoStep(state, u, nowIso());
      if (u.step === 'recordDelegationDone') signals.delegationUndone = true;
      refresh();
      return state;
    },
    {
      validator: (u) => {
        const v = parsed(undoStepSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.undoStep);
        const refusal = undoRefusal(v.step, state);
        if (refusal) refuse(refusal);
      },
    },
  );

  setHandler(
    withdrawUpdate,
    (u) => {
      withdraw(state, u, nowIso());
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(withdrawSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.withdraw);
      },
    },
  );

  setHandler(
    remindNowUpdate,
    (u) => {
      signals.remindNow = true;
      recordOnTimeline(state, nowIso(), 'Sollecito richiesto', u.actor);
      return state;
    },
    {
      validator: (u) => {
        parsed(remindNowSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.remindNow);
      },
    },
  );

  setHandler(
    stopWatchUpdate,
    (u) => {
      stopWatch(state, nowIso(), u.actor, u.reason);
      refresh();
      return state;
    },
    {
      validator: (u) => {
        parsed(stopWatchSchema, u, 'Richiesta non valida');
        requireAllowed(state, comuneSteps.stopWatch);
        if (state.watch?.stopped) refuse('Il controllo dei servizi pubblicati è già stato interrotto.');
      },
    },
  );
}
