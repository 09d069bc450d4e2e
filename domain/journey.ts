import type { ComuneState } from '../contracts/comune';
import { isClosedStage, serviceStatusLabels } from './journey-model';
import { fundingFigures } from './funding';
import { DAY_MS } from './deadlines';

/**
 * Pure derivations of a Comune's state: what is missing (in Italian, for e-mails and the console), funding and
 * whether the Comune is at risk. The workflow recomputes them after every change.
 */

export function missingItems(state: ComuneState): string[] {
  const items: string[] = [];
  switch (state.stage) {
    case 'adhesion_check':
      items.push('Verifica dell’adesione del Comune a App IO su Selfcare (prodotto prod-io)');
      break;
    case 'delegation_requested':
      items.push(
        state.scenario === 'A'
          ? 'Adesione completa a App IO su Selfcare, con il Sindaco come legale rappresentante e il delegato del partner come Amministratore'
          : 'Aggiunta del delegato del partner come Amministratore del Comune su Selfcare (App IO)',
      );
      break;
    case 'awaiting_signed_form':
      items.push(
        'Modulo ricevuto via PEC da Selfcare, firmato digitalmente dal Sindaco (CAdES, .p7m) e caricato',
      );
      break;
    case 'io_access':
      if (!state.ioAccess?.onboardingActiveAt)
        items.push('Adesione del Comune ad App IO attiva su Selfcare (dopo il modulo firmato)');
      items.push(
        'Chiave di gestione IO del Comune, letta nel suo back office IO con gli indirizzi del partner autorizzati, e registrata',
      );
      break;
    default:
      break;
  }
  if (state.ioAccess?.keyRefused && !isClosedStage(state.stage)) {
    items.push(
      'Chiave di gestione da aggiornare: PagoPA rifiuta quella registrata e i servizi sono in pausa',
    );
  }
  if (!state.trackingForm && !isClosedStage(state.stage)) {
    items.push('Modulo di tracciamento compilato dal Comune');
  }
  for (const service of state.services) {
    if (service.status === 'active' || service.status === 'cancelled') continue;
    const last = service.rejections.at(-1);
    const reason =
      service.status === 'rejected' && last
        ? `: ${last.reason}`
        : service.status === 'needs_correction' && service.issues?.length
          ? `: ${service.issues.map((i) => i.message).join('; ')}`
          : '';
    items.push(`Servizio «${service.name}»: ${lowerFirst(serviceStatusLabels[service.status])}${reason}`);
  }
  return items;
}

/** Recomputes the derived fields after any change (services counts, funding, missing items). */
export function refreshDerived(state: ComuneState, nowMs: number): void {
  state.servicesTotal = state.services.length;
  state.servicesActive = state.services.filter((s) => s.status === 'active').length;
  const funding = fundingFigures({
    population: state.population,
    servicesTotal: state.servicesTotal,
    servicesActive: state.servicesActive,
    deadlinePassed: nowMs >= Date.parse(state.deadline),
  });
  state.funding = {
    eurPerService: funding.eurPerService,
    securedEur: funding.securedEur,
    atRiskEur: state.stage === 'withdrawn' ? 0 : funding.atRiskEur,
    lostEur:
      state.stage === 'withdrawn'
        ? (state.servicesTotal - state.servicesActive) * funding.eurPerService
        : funding.lostEur,
  };
  state.missing = missingItems(state);
}

/**
 * At risk: not complete, and either late or within the escalation window (the first ladder step has passed).
 * This is what managers filter on.
 */
export function isAtRisk(state: ComuneState, nowMs: number, ladderDays: readonly number[]): boolean {
  if (isClosedStage(state.stage)) return false;
  if (state.late) return true;
  const window = Math.max(0, ...ladderDays) * DAY_MS;
  return Date.parse(state.deadline) - nowMs <= window;
}

/** «In revisione PagoPA» → «in revisione PagoPA»: only the first letter, brands keep their capitals. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
