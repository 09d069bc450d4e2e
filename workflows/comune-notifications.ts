import type { ComuneInput, ComuneState } from '../contracts/comune';
import { publicationLossLabels, type PublicationChange } from '../domain/comune-state';
import { stageLabels } from '../contracts/comune';
import { daysLeft, DAY_MS } from '../domain/deadlines';
import { workflowNowMs } from './clock';
import { notifySafely } from './workflow-support';

export type ComuneNotifications = ReturnType<typeof comuneNotifications>;

/**
 * The e-mails of the Comune journey. Each id is deterministic (workflow id, kind and a counter kept in state), so a
 * retried or replayed send never reaches anyone twice. Each audience is the one the notification registry gives
 * the kind (integrations/mail/registry.ts, checked at compile time by `notifySafely`).
 */
export function comuneNotifications(input: ComuneInput, state: ComuneState, workflowId: string) {
  const comune = { name: input.comune.name, ipaCode: input.comune.ipaCode };
  /** The registry's `comune` recipients: To the Segretario comunale, Cc the Sindaco and the Comune's PEC. */
  const comunePeople = {
    to: [input.contacts.secretary.email],
    cc: [...new Set([input.contacts.mayor.email, input.comune.pec])],
  };
  const delegate = {
    firstName: input.delegate.givenName,
    lastName: input.delegate.surname,
    fiscalCode: input.delegate.fiscalCode,
    email: input.delegate.email,
  };
  /** What the Comune itself still owes (services are the partner's work). */
  const comuneMissing = () => {
    const items = state.missing.filter((m) => !m.startsWith('Servizio «'));
    return items.length > 0 ? items : ['Completamento della fase in corso'];
  };
  const daysSince = (iso: string) => Math.max(0, Math.floor((workflowNowMs() - Date.parse(iso)) / DAY_MS));
  const linkValidityDays = Math.round(input.settings.signedFormLinkValidityDays);

  return {
    delegationInstructions: () =>
      notifySafely(state, {
        id: `${workflowId}:delegation:${state.delegation.requestCount}`,
        kind: state.scenario === 'B' ? 'delegation_instructions_b' : 'delegation_instructions_a',
        comuneIpa: comune.ipaCode,
        audience: comunePeople,
        data: { comune, delegate, linkValidityDays },
      }),

    reminder: (sinceIso: string) =>
      notifySafely(state, {
        id: `${workflowId}:reminder:${state.stage}:${state.delegation.requestCount}:${state.reminders.sentInStage}`,
        kind: 'reminder',
        comuneIpa: comune.ipaCode,
        audience: comunePeople,
        data: {
          comune,
          stage: stageLabels[state.stage],
          requestedAt: sinceIso,
          daysSinceRequest: daysSince(sinceIso),
          reminderNumber: state.reminders.sentInStage,
          missing: comuneMissing(),
          nextStep:
            state.stage === 'awaiting_signed_form'
              ? 'Ricevuto il modulo firmato, procederemo con la creazione dei servizi su App IO.'
              : 'Completata la delega su Selfcare, riceverete via PEC il modulo da far firmare al Sindaco.',
        },
      }),

    staffNoResponse: (sinceIso: string) =>
      notifySafely(state, {
        id: `${workflowId}:no-response:${state.stage}:${state.delegation.requestCount}`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert: 'Nessuna risposta dopo il secondo sollecito',
          stage: stageLabels[state.stage],
          missing: comuneMissing(),
          requestedAt: sinceIso,
          daysSinceRequest: daysSince(sinceIso),
          remindersSent: state.reminders.sentInStage,
          suggestedAction: `Contattare il Segretario comunale (${input.contacts.secretary.name}, ${input.contacts.secretary.email}).`,
        },
      }),

    adhesionNeedsStaff: (reason: string) =>
      notifySafely(state, {
        id: `${workflowId}:adhesion-manual`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert: 'Verifica automatica dell’adesione non riuscita',
          stage: stageLabels.adhesion_check,
          missing: ['Verificare su Selfcare se il Comune ha già aderito a App IO e registrare l’esito'],
          suggestedAction: `Motivo: ${reason}`.slice(0, 2000),
        },
      }),

    onboardingCheckNeedsStaff: (reason: string) =>
      notifySafely(state, {
        id: `${workflowId}:onboarding-manual:${state.delegation.requestCount}`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert: 'Verifica automatica dell’adesione attiva su Selfcare non riuscita',
          stage: stageLabels.io_access,
          missing: ['Verificare su Selfcare che l’adesione ad App IO sia attiva e registrarne l’esito'],
          suggestedAction: `Motivo: ${reason}`.slice(0, 2000),
        },
      }),

    onboardingLost: (outcome: 'rejected' | 'expired') =>
      notifySafely(state, {
        id: `${workflowId}:onboarding-lost:${state.delegation.requestCount}`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert:
            outcome === 'rejected'
              ? 'Adesione ad App IO rifiutata su Selfcare: il Comune torna alla richiesta di delega'
              : 'Adesione ad App IO scaduta o annullata su Selfcare: il Comune torna alla richiesta di delega',
          stage: stageLabels.io_access,
          missing: ['Una nuova delega su Selfcare e un nuovo modulo firmato dal Sindaco'],
          suggestedAction:
            'Verificare su Selfcare il motivo, poi accompagnare il Comune nella nuova richiesta: le istruzioni sono già state inviate di nuovo.',
        },
      }),

    manageKeyRefused: (cause: string) =>
      notifySafely(state, {
        id: `${workflowId}:key-refused:${state.ioAccess?.keyRefused?.at ?? ''}`,
        kind: 'staff_alert',
        comuneIpa: comune.ipaCode,
        audience: { staff: true },
        data: {
          comune,
          alert: `Chiave di gestione da aggiornare: ${comune.name}`,
          stage: stageLabels[state.stage],
          missing: ['Una chiave di gestione valida del Comune, registrata nel back office del partner'],
          suggestedAction: (
            `PagoPA ha rifiutato la chiave di gestione (${cause}). I servizi del Comune sono in pausa: ` +
            'leggere la chiave attuale nel back office IO del Comune, verificare gli indirizzi autorizzati e registrarla.'
          ).slice(0, 2000),
        },
      }),

    linkExpired: () =>
      notifySafely(state, {
        id: `${workflowId}:link-expired:${state.signedForm.expiredCount}`,
        kind: 'signed_form_link_expired',
        comuneIpa: comune.ipaCode,
        audience: { ...comunePeople, staff: true },
        data: {
          comune,
          scenario: state.scenario ?? 'A',
          delegate,
          requestedAt: state.signedForm.linkSentAt ?? new Date(workflowNowMs()).toISOString(),
          expiredAt: new Date(workflowNowMs()).toISOString(),
          linkValidityDays,
        },
      }),

    journeyCompleted: () =>
      notifySafely(state, {
        id: `${workflowId}:completed`,
        kind: 'journey_completed',
        comuneIpa: comune.ipaCode,
        audience: { ...comunePeople, staff: true },
        data: {
          comune,
          completedAt: state.completedAt ?? new Date(workflowNowMs()).toISOString(),
          services: state.services.map((s) => s.name).slice(0, 100),
          ...(state.late ? {} : { deadline: state.deadline }),
        },
      }),

    /** The watch after completion: services no longer visible in App IO (or visible again), to staff and managers. */
    publicationChanged: (changes: readonly PublicationChange[]) =>
      notifySafely(state, {
        id: `${workflowId}:watch:${state.watch?.checks ?? 0}`,
        kind: 'service_unpublished',
        comuneIpa: comune.ipaCode,
        audience: { staff: true, managers: true },
        data: {
          comune,
          changes: changes.slice(0, 50).map((c) => ({
            serviceName: c.name,
            what: c.seen === 'published' ? 'di nuovo visibile in App IO' : publicationLossLabels[c.seen],
            visible: c.seen === 'published',
          })),
          servicesActive: state.servicesActive,
          servicesTotal: state.servicesTotal,
          fundingSecuredEur: state.funding.securedEur,
          eurPerService: state.funding.eurPerService,
        },
      }),

    escalation: (daysBefore: number, deadlineVersion: number) =>
      notifySafely(state, {
        id: `${workflowId}:escalation:${deadlineVersion}:${daysBefore}`,
        kind: 'manager_escalation',
        comuneIpa: comune.ipaCode,
        audience: { managers: true },
        data: {
          comune,
          deadline: state.deadline,
          daysToDeadline: daysLeft(workflowNowMs(), Date.parse(state.deadline)),
          stage: stageLabels[state.stage],
          missing: state.missing.length > 0 ? state.missing.slice(0, 50) : ['Completamento del percorso'],
          servicesActive: state.servicesActive,
          servicesTotal: state.servicesTotal,
          fundingAtRiskEur: state.late ? 0 : state.funding.atRiskEur,
          ...(state.late ? { fundingLostEur: state.funding.lostEur } : {}),
          ...(state.late
            ? { reason: 'Scadenza contrattuale superata: il Comune resta in lavorazione.' }
            : {}),
        },
      }),
  };
}
