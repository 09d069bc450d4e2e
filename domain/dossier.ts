import type { ComuneState, JourneyFacts } from '../contracts/comune';
import type { ServiceState } from '../contracts/service';
import { DAY_MS } from './deadlines';
import { MAX_FUNDED_SERVICES, populationBand } from './funding';
import { serviceStatusLabels, serviceStatusModel, type ServiceStatus } from './journey-model';
import { topicIds } from './service-card';
import { partyTime, stageTimes, stepLabel, timeByParty, type PartyTime, type StageTime } from './stage-times';

export { stageTimes, stepLabel, timeByParty, type PartyTime, type StageTime } from './stage-times';

/**
 * The funding dossier of one Comune (PNRR 1.4.3, «PA digitale 2026»): the evidence the partner files for the claim,
 * built from the journey's own records (the Comune's state, the facts of its input, each service's state). Pure:
 * every date comes from those records, never from a clock; the caller passes `generatedAt` only to say when the
 * dossier was made and how long a stage still open has lasted so far.
 */

export const DOSSIER_TITLE = 'Fascicolo per la richiesta dei fondi — PNRR 1.4.3 Adozione App IO';

/** The service's timeline entry written when it is published (workflows/service.workflow.ts). */
export const PUBLISHED_STEP = 'Servizio attivo su App IO';

/** Actors that are not people: the journey itself and PagoPA's answers read by the journey. */
const NOT_PEOPLE = new Set(['sistema', 'PagoPA']);

export const isPerson = (actor: string): boolean => !NOT_PEOPLE.has(actor);

export interface DossierRejection {
  round: number;
  at: string;
  reason: string;
  /** Who recorded it ('PagoPA' when the journey read it from IO). */
  by?: string;
}

export interface DossierService {
  slug: string;
  name: string;
  status: ServiceStatus;
  statusLabel: string;
  /** False for a service whose workflow never started (read from the Comune's summary). */
  started: boolean;
  ioServiceId?: string;
  topicId?: number;
  topic?: string;
  firstSubmittedAt?: string;
  rejections: DossierRejection[];
  approvedAt?: string;
  approvedBy?: string;
  publishedAt?: string;
  /** Days after the deadline the approval came (only when it came after it). */
  approvedDaysLate?: number;
  /** Time in review, waiting on PagoPA's answer (the model's party for «In revisione PagoPA»). */
  reviewWait: PartyTime;
  /** Time from each rejection to the next submission, waiting on a corrected card. */
  correctionWait: PartyTime;
}

export interface ManualStep {
  at: string;
  step: string;
  actor: string;
  detail?: string;
  /** The service the step was taken on, when it was a service's. */
  service?: string;
}

export interface Dossier {
  title: string;
  generatedAt: string;
  complete: boolean;
  /** «concluso» or «non concluso». */
  statusLabel: string;
  comune: {
    name: string;
    ipaCode: string;
    fiscalCode?: string;
    istatCode?: string;
    province: string;
    population: number;
    band: { id: string; label: string; eurPerService: number };
  };
  contract: {
    contractDate?: string;
    deadline: string;
    /** The deadline the journey started with, when a manager has moved it since. */
    initialDeadline?: string;
    completedAt?: string;
    /** Whether the deadline has passed (at completion, or now for a Comune not complete). */
    pastDeadline: boolean;
    /** Days after the deadline the Comune completed (or, not complete, has been late so far). */
    daysLate?: number;
    /** «entro i termini», «in ritardo di N giorni», «non concluso». */
    timeliness: string;
  };
  services: DossierService[];
  /** For a Comune past its deadline: the services approved after it. */
  lateServices: { slug: string; name: string; approvedAt: string; daysLate: number }[];
  funding: {
    fundedServices: number;
    maxFundedServices: number;
    eurPerService: number;
    amountEur: number;
    /** The Comune's own figure (`funding.securedEur`) and whether the dossier agrees with it. */
    journeySecuredEur: number;
    agreesWithJourney: boolean;
  };
  signedForm?: {
    signerName: string;
    signerFiscalCode?: string;
    signingTime?: string;
    sha256: string;
    recordedAt: string;
    recordedBy: string;
  };
  manualSteps: ManualStep[];
  waiting: { stages: StageTime[]; byParty: PartyTime[] };
  missing: string[];
}

/** Whole days after `deadlineMs` (a part of a day counts as one); 0 on or before it. */
export function daysAfter(atMs: number, deadlineMs: number): number {
  return atMs > deadlineMs ? Math.ceil((atMs - deadlineMs) / DAY_MS) : 0;
}

function serviceFacts(
  summary: ComuneState['services'][number],
  own: ServiceState | undefined,
  deadlineMs: number,
  generatedAtMs: number,
): DossierService {
  const rounds = own?.rounds ?? [];
  const rejections: DossierRejection[] = own
    ? rounds
        .filter((r) => r.outcome === 'rejected')
        .map((r) => ({
          round: r.round,
          at: r.decidedAt ?? r.submittedAt,
          reason: r.reason ?? '',
          ...(r.decidedBy ? { by: r.decidedBy } : {}),
        }))
    : summary.rejections.map((r, i) => ({ round: i + 1, at: r.at, reason: r.reason }));
  const approved = rounds.find((r) => r.outcome === 'approved');
  const published = own?.timeline.find((t) => t.step === PUBLISHED_STEP);
  const approvedAt = approved?.decidedAt;
  const approvedDaysLate = approvedAt ? daysAfter(Date.parse(approvedAt), deadlineMs) : 0;
  let reviewMs = 0;
  let correctionMs = 0;
  rounds.forEach((r, i) => {
    const decided = r.decidedAt ? Date.parse(r.decidedAt) : generatedAtMs;
    reviewMs += Math.max(0, decided - Date.parse(r.submittedAt));
    if (r.outcome === 'rejected' && r.decidedAt) {
      const next = rounds[i + 1];
      const resubmitted = next ? Date.parse(next.submittedAt) : generatedAtMs;
      // A service withdrawn while rejected waits on nobody any more.
      if (next || own?.status === 'rejected' || own?.status === 'needs_correction')
        correctionMs += Math.max(0, resubmitted - Date.parse(r.decidedAt));
    }
  });
  const topicId = own?.card.topic_id;
  const status = own?.status ?? summary.status;
  return {
    slug: summary.slug,
    name: own?.name ?? summary.name,
    status,
    statusLabel: serviceStatusLabels[status],
    started: own !== undefined,
    ...((own?.ioServiceId ?? summary.ioServiceId)
      ? { ioServiceId: own?.ioServiceId ?? summary.ioServiceId }
      : {}),
    ...(topicId !== undefined ? { topicId, topic: topicIds[topicId] ?? `Argomento ${topicId}` } : {}),
    ...(rounds[0] ? { firstSubmittedAt: rounds[0].submittedAt } : {}),
    rejections,
    ...(approvedAt ? { approvedAt } : {}),
    ...(approved?.decidedBy ? { approvedBy: approved.decidedBy } : {}),
    ...(published ? { publishedAt: published.at } : {}),
    ...(approvedDaysLate > 0 ? { approvedDaysLate } : {}),
    reviewWait: partyTime(serviceStatusModel.in_review.waitsOn, reviewMs),
    correctionWait: partyTime(serviceStatusModel.rejected.waitsOn, correctionMs),
  };
}

/** Timeline entries of the Comune and of its services whose actor is a person, oldest first. */
function manualSteps(
  state: ComuneState,
  services: readonly DossierService[],
  own: ServiceStates,
): ManualStep[] {
  const steps: ManualStep[] = state.timeline
    .filter((t) => isPerson(t.actor))
    .map((t) => ({
      at: t.at,
      step: stepLabel(t.step),
      actor: t.actor,
      ...(t.detail ? { detail: t.detail } : {}),
    }));
  for (const service of services) {
    for (const t of own.get(service.slug)?.timeline ?? []) {
      if (!isPerson(t.actor)) continue;
      steps.push({
        at: t.at,
        step: t.step,
        actor: t.actor,
        ...(t.detail ? { detail: t.detail } : {}),
        service: service.name,
      });
    }
  }
  return steps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

type ServiceStates = ReadonlyMap<string, ServiceState>;

export interface DossierInput {
  state: ComuneState;
  facts?: JourneyFacts;
  /** Each started service's own state, by slug (a service not started has none). */
  services: ServiceStates | readonly ServiceState[];
  generatedAt: string;
}

export function buildDossier(input: DossierInput): Dossier {
  const { state, facts, generatedAt } = input;
  const own: ServiceStates = Array.isArray(input.services)
    ? new Map((input.services as readonly ServiceState[]).map((s) => [s.slug, s]))
    : (input.services as ServiceStates);
  const generatedAtMs = Date.parse(generatedAt);
  const deadlineMs = Date.parse(state.deadline);
  const complete = state.stage === 'completed' && state.completedAt !== undefined;
  const band = populationBand(state.population);

  const services = state.services.map((s) => serviceFacts(s, own.get(s.slug), deadlineMs, generatedAtMs));
  const endMs = state.completedAt ? Date.parse(state.completedAt) : generatedAtMs;
  const pastDeadline = endMs > deadlineMs;
  const daysLate = daysAfter(endMs, deadlineMs);
  const timeliness = complete
    ? daysLate > 0
      ? `in ritardo di ${daysLate} ${daysLate === 1 ? 'giorno' : 'giorni'}`
      : 'entro i termini'
    : 'non concluso';

  const active = state.services.filter((s) => s.status === 'active').length;
  const fundedServices = Math.min(active, MAX_FUNDED_SERVICES);
  const amountEur = fundedServices * band.eurPerService;
  const record = state.signedForm.record;
  const times = stageTimes(state.timeline, generatedAtMs);

  return {
    title: DOSSIER_TITLE,
    generatedAt,
    complete,
    statusLabel: complete ? 'concluso' : 'non concluso',
    comune: {
      name: state.name,
      ipaCode: state.ipaCode,
      ...((facts?.comune.fiscalCode ?? state.fiscalCode)
        ? { fiscalCode: facts?.comune.fiscalCode ?? state.fiscalCode }
        : {}),
      ...(facts?.comune.istatCode ? { istatCode: facts.comune.istatCode } : {}),
      province: state.province,
      population: state.population,
      band: { id: band.id, label: band.label, eurPerService: band.eurPerService },
    },
    contract: {
      ...(facts?.contractDate ? { contractDate: facts.contractDate } : {}),
      deadline: state.deadline,
      ...(facts?.initialDeadline && Date.parse(facts.initialDeadline) !== deadlineMs
        ? { initialDeadline: facts.initialDeadline }
        : {}),
      ...(state.completedAt ? { completedAt: state.completedAt } : {}),
      pastDeadline,
      ...(daysLate > 0 ? { daysLate } : {}),
      timeliness,
    },
    services,
    lateServices: pastDeadline
      ? services
          .filter((s) => s.approvedAt && s.approvedDaysLate)
          .map((s) => ({
            slug: s.slug,
            name: s.name,
            approvedAt: s.approvedAt!,
            daysLate: s.approvedDaysLate!,
          }))
      : [],
    funding: {
      fundedServices,
      maxFundedServices: MAX_FUNDED_SERVICES,
      eurPerService: band.eurPerService,
      amountEur,
      journeySecuredEur: state.funding.securedEur,
      agreesWithJourney: amountEur === state.funding.securedEur,
    },
    ...(record
      ? {
          signedForm: {
            signerName: record.signerName,
            ...(record.signerFiscalCode ? { signerFiscalCode: record.signerFiscalCode } : {}),
            ...(record.signingTime ? { signingTime: record.signingTime } : {}),
            sha256: record.sha256,
            recordedAt: record.recordedAt,
            recordedBy: record.recordedBy,
          },
        }
      : {}),
    manualSteps: manualSteps(state, services, own),
    waiting: { stages: times, byParty: timeByParty(times) },
    missing: complete
      ? []
      : [
          ...(state.withdrawn ? [`Percorso ritirato da un responsabile: ${state.withdrawn.reason}`] : []),
          ...state.missing,
        ],
  };
}
