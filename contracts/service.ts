import { z } from 'zod';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { serviceCardSchema, type CardIssue, type ServiceCard } from '../domain/service-card';
import { serviceStatuses, type ServiceStatus } from '../domain/journey-model';
import { lazySchema } from '../domain/lazy-schema';

/** The service child workflow's contract: one App IO service of one Comune, from card to publication. */

// The statuses, their labels and classes are the journey model's (domain/journey-model.ts).
export { serviceStatuses, serviceStatusLabels, type ServiceStatus } from '../domain/journey-model';
export const serviceStatusSchema = lazySchema(() => z.enum(serviceStatuses));

export interface ServiceWorkflowInput {
  comune: { ipaCode: string; name: string; fiscalCode: string; portalTenant: string };
  slug: string;
  card: ServiceCard;
  parentWorkflowId: string;
  reviewTracking: 'poll' | 'manual';
  reviewPollInitialMinutes: number;
  reviewPollMaxHours: number;
  /**
   * Whose manage key the service's IO calls use: `comune`, the Comune's own (recorded at the stage «Accesso a
   * IO», 0.5.0). Absent on services of journeys that reached the services before that stage: the partner-wide
   * `IO_MANAGE_API_KEY` where it is configured, else the Comune's key once staff record one.
   */
  keySource?: 'comune';
  /**
   * Since 0.11.0 the Comune starts its services with their search attributes (the Comune, status «creating»):
   * the service does not upsert them at its start, and upserts its status only when it changes at a milestone
   * (not «publishing», which lasts one call). Absent: the service upserts as before.
   */
  searchAttributesAtStart?: true;
}

/**
 * Which Comune's manage key an IO activity calls with; resolved by the activity at call time, so a key replaced in
 * the back office (and recorded) is used from the next call. Never the key itself.
 */
export interface ManageKeyScope {
  comuneIpa: string;
  source: 'comune' | 'partner';
}

export interface ReviewRound {
  round: number;
  submittedAt: string;
  decidedAt?: string;
  outcome?: 'approved' | 'rejected';
  reason?: string;
  decidedBy?: string;
}

/**
 * The IO steps of a service before its review, in order, with the Italian name staff read when one is blocked
 * («Bloccato: caricamento logo»). Since 0.11.0 they run in one activity (`setUpService`).
 */
export const serviceSetUpSteps = {
  create: 'creazione su IO',
  logo: 'caricamento logo',
  portal: 'configurazione portale',
  testMessage: 'messaggio di prova',
  submit: 'invio in revisione',
} as const;
export type ServiceSetUpStep = keyof typeof serviceSetUpSteps;

/**
 * What `setUpService` has done so far: the workflow passes what its state already records, the activity keeps it in
 * its heartbeat details across attempts, and returns it (or carries it in a failure's last detail, under
 * `serviceSetUp`, when a step needs staff). Times are the activity's, taken when each step was done.
 */
export interface ServiceSetUpProgress {
  serviceId?: string;
  createdAt?: string;
  logoUploaded?: boolean;
  portalConfigured?: boolean;
  portalConfiguredAt?: string;
  testMessageSent?: boolean;
  /** The review round's submission (only when the activity was asked to submit). */
  submittedAt?: string;
}

/** The last detail of a failure of `setUpService` that retrying cannot fix: the step that failed and what was done. */
export interface ServiceSetUpFailureDetail {
  serviceSetUp: { step: ServiceSetUpStep; progress: ServiceSetUpProgress };
}

export interface ServiceState {
  slug: string;
  name: string;
  status: ServiceStatus;
  card: ServiceCard;
  issues: CardIssue[];
  ioServiceId?: string;
  logoUploaded: boolean;
  portalConfigured: boolean;
  testMessageSent: boolean;
  rounds: ReviewRound[];
  timeline: { at: string; step: string; actor: string; detail?: string }[];
  /**
   * A rejection recorded by hand that a manager may still undo (0.6.0): set while the service waits for its
   * correction, cleared when a corrected card arrives or the rejection is undone (domain/journey-model.ts).
   */
  rejectionUndoable?: { at: string; by: string };
  /**
   * The review's outcome is read from IO by the service itself (settings `reviewTracking: poll`): staff may ask it
   * to read IO now instead of at its next poll (serviceSteps.checkReviewNow). Absent where the outcome is only
   * recorded by hand, and on a service not started yet.
   */
  reviewReadOnIo?: true;
}

/** A service before anything was done on IO: how its workflow starts, and how a queued service is shown. */
export function initialServiceState(slug: string, card: ServiceCard): ServiceState {
  return {
    slug,
    name: card.service_name,
    status: 'pending',
    card,
    issues: [],
    logoUploaded: false,
    portalConfigured: false,
    testMessageSent: false,
    rounds: [],
    timeline: [],
  };
}

export const correctCardSchema = lazySchema(() =>
  z.object({
    actor: z.string().trim().min(1).max(120),
    card: serviceCardSchema,
  }),
);
export type CorrectCard = z.infer<typeof correctCardSchema>;

export const recordReviewOutcomeSchema = lazySchema(() =>
  z
    .object({
      actor: z.string().trim().min(1).max(120),
      outcome: z.enum(['approved', 'rejected']),
      reason: z.string().trim().min(3).max(1000).optional(),
    })
    .refine((v) => v.outcome === 'approved' || v.reason, {
      path: ['reason'],
      message: 'motivo obbligatorio per un rifiuto',
    }),
);
export type RecordReviewOutcome = z.infer<typeof recordReviewOutcomeSchema>;

/** A manager undoes a rejection recorded by mistake (serviceSteps.undoReviewOutcome). */
export const undoReviewOutcomeSchema = lazySchema(() =>
  z.object({
    actor: z.string().trim().min(1).max(120),
    reason: z.string().trim().min(3).max(500),
  }),
);
export type UndoReviewOutcome = z.infer<typeof undoReviewOutcomeSchema>;

/** Staff ask the service to read its review's outcome on IO now (serviceSteps.checkReviewNow). */
export const checkReviewNowSchema = lazySchema(() =>
  z.object({
    actor: z.string().trim().min(1).max(120),
  }),
);
export type CheckReviewNow = z.infer<typeof checkReviewNowSchema>;

export const correctCardUpdate = defineUpdate<ServiceState, [CorrectCard]>('correctCard');
export const recordReviewOutcomeUpdate = defineUpdate<ServiceState, [RecordReviewOutcome]>(
  'recordReviewOutcome',
);
export const undoReviewOutcomeUpdate = defineUpdate<ServiceState, [UndoReviewOutcome]>('undoReviewOutcome');
/** Answers once IO has been read: the service approved, rejected, or still in review (its timeline says which). */
export const checkReviewNowUpdate = defineUpdate<ServiceState, [CheckReviewNow]>('checkReviewNow');
/**
 * The failure types of an IO activity whose manage key cannot be used: PagoPA refused it (401, or 403 from an
 * address not authorised on it or for a service it does not own), or the Comune has none recorded. The activities
 * throw them; the service workflow pauses on them until a new key is recorded.
 */
export const MANAGE_KEY_REFUSED = 'ManageKeyRefused';
export const MANAGE_KEY_MISSING = 'ManageKeyMissing';
export const MANAGE_KEY_FAILURES = [MANAGE_KEY_REFUSED, MANAGE_KEY_MISSING] as const;

/** Sent by the Comune to its services paused on a refused manage key, when staff record a new one. */
export const manageKeyRenewedSignal = defineSignal<[{ ref: string }]>('manageKeyRenewed');
export const getServiceStateQuery = defineQuery<ServiceState>('getServiceState');
