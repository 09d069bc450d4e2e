import { z } from 'zod';
// define* are pure declarations: importing them from @temporalio/workflow is safe outside the sandbox.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { populationBand, MAX_FUNDED_SERVICES } from '../domain/funding';
import { serviceCardSchema, type CardIssue } from '../domain/service-card';
import { DEFAULT_ESCALATION_LADDER_DAYS } from '../domain/deadlines';
import { validatePersonalFiscalCode, validateOrganizationFiscalCode } from '../domain/fiscal-code';
import { serviceStatusSchema, type ServiceStatus } from './service';
import { TASK_QUEUE_NAME } from './ids';
import { stages, undoableStepIds, type Stage } from '../domain/journey-model';
import { lazySchema } from '../domain/lazy-schema';

/**
 * The Comune journey's contract: input, state and messages, shared by the workflow, the API and the tests.
 * Imports no workflow code, so the API can use it without bundling workflows.
 */

// The stages, their order and labels are the journey model's (domain/journey-model.ts).
export { stages, stageLabels, type Stage } from '../domain/journey-model';
export const stageSchema = lazySchema(() => z.enum(stages));

export const scenarioSchema = lazySchema(() => z.enum(['A', 'B']));
export type Scenario = z.infer<typeof scenarioSchema>;

const personSchema = lazySchema(() =>
  z.object({
    name: z.string().trim().min(2).max(120),
    email: z.email(),
  }),
);

const personalFiscalCode = lazySchema(() =>
  z.string().trim().toUpperCase().refine(validatePersonalFiscalCode, 'codice fiscale personale non valido'),
);

export const journeySettingsSchema = lazySchema(() =>
  z.object({
    /** Adhesion check through Selfcare's API, or recorded by staff when the partner has no API access. */
    adhesionCheck: z.enum(['automatic', 'manual']).default('manual'),
    reminderIntervalDays: z.number().positive().max(60).default(7),
    escalationLadderDays: z
      .array(z.number().int().positive().max(365))
      .max(10)
      .default([...DEFAULT_ESCALATION_LADDER_DAYS]),
    signedFormLinkValidityDays: z.number().positive().max(90).default(30),
    /** Services being created and configured at once; those waiting for review do not count. */
    maxParallelServices: z.number().int().min(1).max(50).default(5),
    /** Review outcome learned by polling the IO API, or recorded by staff. */
    reviewTracking: z.enum(['poll', 'manual']).default('poll'),
    reviewPollInitialMinutes: z.number().positive().default(60),
    reviewPollMaxHours: z.number().positive().default(12),
    /**
     * Task queue of the service workflows, when they run apart from the Comuni's (TEMPORAL_SERVICES_TASK_QUEUE):
     * staff steps on a Comune then wait behind the Comuni's workflow tasks only, not behind thousands of services'.
     * Unset: the services run on the Comune's own queue. Fixed for a journey at its start.
     */
    servicesTaskQueue: z.string().regex(TASK_QUEUE_NAME, 'nome di coda: lettere, cifre e _.:-').optional(),
    /** History length past which the Comune workflow continues as new (bounded history for 50 services). */
    continueAsNewAfterEvents: z.number().int().min(100).max(40_000).default(5_000),
    /**
     * After completion, how many days the journey keeps checking that its services stay published in App IO (0.6.0,
     * POST_COMPLETION_WATCH_DAYS). 0 or absent: the journey ends at completion, as before.
     */
    watchAfterCompletionDays: z.number().int().min(0).max(730).optional(),
    /** Hours between two checks of the published services (WATCH_CHECK_EVERY_HOURS). */
    watchCheckEveryHours: z.number().positive().max(168).optional(),
  }),
);
export type JourneySettings = z.infer<typeof journeySettingsSchema>;

export const serviceRequestSchema = lazySchema(() =>
  z.object({
    slug: z.string().regex(/^[a-z0-9-]{2,60}$/, 'slug: lowercase letters, digits and dashes'),
    card: serviceCardSchema,
  }),
);
export type ServiceRequest = z.infer<typeof serviceRequestSchema>;

/** A manager's restart of a withdrawn Comune, recorded in the new run's timeline. */
export const journeyRestartSchema = lazySchema(() =>
  z.object({
    previousRunId: z.string().min(1).max(100),
    by: z.string().trim().min(1).max(120),
    reason: z.string().trim().min(3).max(500),
    at: z.iso.datetime({ offset: true }),
  }),
);
export type JourneyRestart = z.infer<typeof journeyRestartSchema>;

export const comuneInputSchema = lazySchema(() =>
  z
    .object({
      comune: z.object({
        ipaCode: z
          .string()
          .trim()
          .toLowerCase()
          .regex(/^[a-z0-9_]{2,20}$/, 'codice IPA: da 2 a 20 lettere, cifre o trattini bassi'),
        fiscalCode: z.string().refine(validateOrganizationFiscalCode, 'codice fiscale dell’ente non valido'),
        istatCode: z.string().regex(/^[0-9]{6}$/, 'codice ISTAT: 6 cifre'),
        name: z.string().trim().min(2).max(120),
        province: z.string().regex(/^[A-Z]{2}$/, 'provincia: sigla di due lettere maiuscole'),
        pec: z.email(),
        population: z.number().int().nonnegative(),
        website: z.url().optional(),
        /** The Comune's tenant on the digital-services portal ("Stanza del Cittadino"). */
        portalTenant: z
          .string()
          .regex(/^[a-z0-9-]{2,60}$/)
          .optional(),
      }),
      contacts: z.object({
        secretary: personSchema,
        mayor: personSchema.extend({ fiscalCode: personalFiscalCode.optional() }),
      }),
      /** The partner's named person the Comune delegates as Selfcare "Amministratore". */
      delegate: z.object({
        givenName: z.string().trim().min(1).max(60),
        surname: z.string().trim().min(1).max(60),
        fiscalCode: personalFiscalCode,
        email: z.email(),
      }),
      contractDate: z.iso.date(),
      /** The contract deadline as an instant (ISO 8601 with offset). */
      deadline: z.iso.datetime({ offset: true }),
      services: z.array(serviceRequestSchema).min(1).max(MAX_FUNDED_SERVICES),
      settings: journeySettingsSchema.default(journeySettingsSchema.parse({})),
      /** Set only on a withdrawn Comune's restart (contracts/comune-start.ts): who restarted it, why, and when. */
      restartOf: journeyRestartSchema.optional(),
    })
    .superRefine((input, ctx) => {
      const minimum = populationBand(input.comune.population).minimumServices;
      if (input.services.length < minimum) {
        ctx.addIssue({
          code: 'custom',
          path: ['services'],
          message: `almeno ${minimum} servizi per la fascia di popolazione del Comune`,
        });
      }
      const slugs = new Set<string>();
      input.services.forEach((s, i) => {
        if (slugs.has(s.slug))
          ctx.addIssue({ code: 'custom', path: ['services', i, 'slug'], message: 'servizio duplicato' });
        slugs.add(s.slug);
      });
    }),
);
export type ComuneInput = z.infer<typeof comuneInputSchema>;
export type ComuneInputRaw = z.input<typeof comuneInputSchema>;

export interface TimelineEntry {
  at: string;
  step: string;
  actor: string;
  detail?: string;
}

export interface ServiceSummary {
  slug: string;
  name: string;
  status: ServiceStatus;
  ioServiceId?: string;
  rejections: { at: string; reason: string }[];
  issues?: CardIssue[];
  updatedAt: string;
}

/** How the journey watches its published services after completion. */
export interface WatchState {
  startedAt: string;
  /** When the watch ends by itself. */
  until: string;
  checkEveryHours: number;
  checks: number;
  lastCheckAt?: string;
  /** The last check that could not run (e.g. the manage key refused), in Italian. */
  lastError?: string;
  endedAt?: string;
  /** A manager's stop; absent when the period ran out. */
  stopped?: { by: string; reason: string };
}

export interface SignedFormRecord {
  sha256: string;
  signerName: string;
  signerFiscalCode?: string;
  signingTime?: string;
  recordedAt: string;
  recordedBy: string;
}

export interface ComuneState {
  ipaCode: string;
  /** The Comune's organisation fiscal code (journeys started before 0.5.0 lack it: read their plan's cards). */
  fiscalCode?: string;
  /** The Mayor's fiscal code when known: the signed form's signer must match it. */
  mayorFiscalCode?: string;
  /** When the current stage began ("since when" in the task inbox). */
  stageSince: string;
  name: string;
  province: string;
  population: number;
  stage: Stage;
  scenario?: Scenario;
  adhesionCheck: 'automatic' | 'manual';
  /** Why an automatic check fell back to staff, when it did. */
  adhesionCheckFallback?: string;
  deadline: string;
  late: boolean;
  lateSince?: string;
  withdrawn?: { at: string; by: string; reason: string };
  completedAt?: string;
  timeline: TimelineEntry[];
  delegation: { requestCount: number; requestedAt?: string; completedAt?: string };
  signedForm: {
    linkSentAt?: string;
    linkExpiresAt?: string;
    expiredCount: number;
    record?: SignedFormRecord;
  };
  trackingForm?: { recordedAt: string; recordedBy: string };
  /** The stage «Accesso a IO» (0.5.0): absent on journeys that reached the services before it existed. */
  ioAccess?: IoAccessState;
  reminders: { sentInStage: number; total: number; lastAt?: string; nextAt?: string; staffAlerted: boolean };
  escalations: { at: string; daysBefore: number; missing: string[] }[];
  escalationStepsHandled: number[];
  nextEscalationAt?: string;
  services: ServiceSummary[];
  /** The watch of the published services after completion (0.6.0): absent when the journey does not watch. */
  watch?: WatchState;
  servicesActive: number;
  servicesTotal: number;
  funding: { eurPerService: number; securedEur: number; atRiskEur: number; lostEur: number };
  /** What the Comune or staff still have to do, in Italian: the basis of reminders and escalations. */
  missing: string[];
}

/**
 * What the journey knows of the Comune's own IO manage key: an opaque reference into the encrypted key store
 * (integrations/keys), never the key. Services resolve the key from the store at each call.
 */
export interface ManageKeyReference {
  ref: string;
  /** First 12 hex characters of the primary key's SHA-256: tells two keys apart, reveals nothing usable. */
  fingerprint: string;
  hasSecondary: boolean;
  /** The Selfcare group whose manage key it is, when it is a group's. */
  group?: string;
  recordedAt: string;
  recordedBy: string;
}

export interface IoAccessState {
  check: 'automatic' | 'manual';
  /** Why an automatic check fell back to staff, when it did. */
  checkFallback?: string;
  onboardingActiveAt?: string;
  onboardingRecordedBy?: string;
  manageKey?: ManageKeyReference;
  /** PagoPA refused the recorded key mid-journey (401/403): the services wait for a new one. */
  keyRefused?: { at: string; cause: string; ref: string };
  /** Services paused on the refused key, told to resume when a new key is recorded. */
  pausedServices: string[];
}

/** Who did a staff step: recorded in the timeline with the workflow's time. */
export const actorSchema = lazySchema(() => z.string().trim().min(1).max(120));

export const recordAdhesionSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    adherent: z.boolean(),
    note: z.string().max(500).optional(),
  }),
);
export const recordDelegationDoneSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    note: z.string().max(500).optional(),
  }),
);
export const recordSignedFormSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    document: z.object({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      signerName: z.string().min(1).max(200),
      signerFiscalCode: z.string().max(16).optional(),
      signingTime: z.string().optional(),
    }),
  }),
);
export const recordTrackingFormSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    note: z.string().max(500).optional(),
  }),
);
export const onboardingOutcomes = ['active', 'rejected', 'expired'] as const;
export type OnboardingOutcome = (typeof onboardingOutcomes)[number];
export const recordOnboardingSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    outcome: z.enum(onboardingOutcomes),
    note: z.string().max(500).optional(),
  }),
);
/** Sent by the API once the key is verified with PagoPA and sealed in the key store: only its reference. */
export const recordManageKeySchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    ref: z.string().regex(/^mk_[a-z0-9_]{2,20}_[0-9a-f]{12}$/, 'riferimento alla chiave non valido'),
    fingerprint: z.string().regex(/^[0-9a-f]{12}$/),
    hasSecondary: z.boolean(),
    group: z.string().trim().min(1).max(100).optional(),
  }),
);
/** A manager undoes a step recorded by mistake, while nothing has been built on it (domain/journey-model.ts). */
export const undoStepSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    step: z.enum(undoableStepIds),
    reason: z.string().trim().min(3).max(500),
  }),
);
export const moveDeadlineSchema = lazySchema(() =>
  z.object({
    actor: actorSchema,
    deadline: z.iso.datetime({ offset: true }),
    reason: z.string().trim().min(3).max(500),
  }),
);
export const withdrawSchema = lazySchema(() =>
  z.object({ actor: actorSchema, reason: z.string().trim().min(3).max(500) }),
);
export const remindNowSchema = lazySchema(() => z.object({ actor: actorSchema }));
export const stopWatchSchema = lazySchema(() =>
  z.object({ actor: actorSchema, reason: z.string().trim().min(3).max(500) }),
);

export type RecordAdhesion = z.infer<typeof recordAdhesionSchema>;
export type RecordDelegationDone = z.infer<typeof recordDelegationDoneSchema>;
export type RecordSignedForm = z.infer<typeof recordSignedFormSchema>;
export type RecordTrackingForm = z.infer<typeof recordTrackingFormSchema>;
export type RecordOnboarding = z.infer<typeof recordOnboardingSchema>;
export type RecordManageKey = z.infer<typeof recordManageKeySchema>;
export type MoveDeadline = z.infer<typeof moveDeadlineSchema>;
export type UndoStep = z.infer<typeof undoStepSchema>;
export type Withdraw = z.infer<typeof withdrawSchema>;
export type RemindNow = z.infer<typeof remindNowSchema>;
export type StopWatch = z.infer<typeof stopWatchSchema>;

/** Staff and manager steps: Updates, so a step out of order is refused by the validator before it enters history. */
export const recordAdhesionUpdate = defineUpdate<ComuneState, [RecordAdhesion]>('recordAdhesion');
export const recordDelegationDoneUpdate = defineUpdate<ComuneState, [RecordDelegationDone]>(
  'recordDelegationDone',
);
export const recordSignedFormUpdate = defineUpdate<ComuneState, [RecordSignedForm]>('recordSignedForm');
export const recordTrackingFormUpdate = defineUpdate<ComuneState, [RecordTrackingForm]>('recordTrackingForm');
export const recordOnboardingUpdate = defineUpdate<ComuneState, [RecordOnboarding]>('recordOnboarding');
export const recordManageKeyUpdate = defineUpdate<ComuneState, [RecordManageKey]>('recordManageKey');
export const undoStepUpdate = defineUpdate<ComuneState, [UndoStep]>('undoStep');
export const moveDeadlineUpdate = defineUpdate<ComuneState, [MoveDeadline]>('moveDeadline');
export const withdrawUpdate = defineUpdate<ComuneState, [Withdraw]>('withdraw');
export const remindNowUpdate = defineUpdate<ComuneState, [RemindNow]>('remindNow');
export const stopWatchUpdate = defineUpdate<ComuneState, [StopWatch]>('stopWatch');

export const getComuneStateQuery = defineQuery<ComuneState>('getComuneState');

/**
 * What the journey's input holds and its state does not (the contract date, the ISTAT code…): the facts of the
 * funding dossier (domain/dossier.ts). Read-only: a query adds nothing to history. No contact e-mail, no key.
 */
export interface JourneyFacts {
  comune: {
    ipaCode: string;
    fiscalCode: string;
    istatCode: string;
    name: string;
    province: string;
    population: number;
  };
  mayorName: string;
  /** The contract's date (AAAA-MM-GG). */
  contractDate: string;
  /** The deadline the journey started with (a manager may have moved it since: the state has the current one). */
  initialDeadline: string;
}

export function journeyFactsOf(input: ComuneInput): JourneyFacts {
  const { ipaCode, fiscalCode, istatCode, name, province, population } = input.comune;
  return {
    comune: { ipaCode, fiscalCode, istatCode, name, province, population },
    mayorName: input.contacts.mayor.name,
    contractDate: input.contractDate,
    initialDeadline: input.deadline,
  };
}
export const getJourneyFactsQuery = defineQuery<JourneyFacts>('getJourneyFacts');
/**
 * A service as the Comune planned it (its card from the journey's input), for a service whose own workflow has not
 * started yet: every service has a page from the day its Comune is imported. A query adds nothing to history.
 */
export const getPlannedServiceQuery = defineQuery<ServiceRequest | null, [string]>('getPlannedService');

/** Sent by each service child to its Comune workflow on every status change. */
export const serviceStatusChangedSchema = lazySchema(() =>
  z.object({
    slug: z.string(),
    status: serviceStatusSchema,
    /** The service's current name: a corrected card may rename it. */
    name: z.string().optional(),
    ioServiceId: z.string().optional(),
    rejection: z.object({ at: z.string(), reason: z.string() }).optional(),
    /** A manager undid the rejection recorded at `at` (0.6.0): the Comune forgets it. */
    rejectionUndone: z.object({ at: z.string() }).optional(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
);
export type ServiceStatusChanged = z.infer<typeof serviceStatusChangedSchema>;
export const serviceStatusChangedSignal = defineSignal<[ServiceStatusChanged]>('serviceStatusChanged');

/** Sent by a service to its Comune when PagoPA refuses the manage key it was called with (401/403). */
export const manageKeyRefusedSchema = lazySchema(() =>
  z.object({
    slug: z.string(),
    /** The reference of the key that was refused ('partner' for the legacy partner-wide key, 'none' if missing). */
    ref: z.string(),
    cause: z.string().max(1000),
  }),
);
export type ManageKeyRefused = z.infer<typeof manageKeyRefusedSchema>;
export const manageKeyRefusedSignal = defineSignal<[ManageKeyRefused]>('manageKeyRefused');

/** Thrown as the workflow's failure when a manager withdraws the Comune. */
export const WITHDRAWN_FAILURE_TYPE = 'ComuneWithdrawn';
