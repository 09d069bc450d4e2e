import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { getComuneStateQuery, getPlannedServiceQuery, type ComuneState } from '../contracts/comune';
import { comuneWorkflowId, serviceWorkflowId } from '../contracts/ids';
import { getServiceStateQuery, initialServiceState, type ServiceState } from '../contracts/service';
import {
  availableComuneSteps,
  availableServiceSteps,
  comuneWaitsOn,
  isClosedStage,
  serviceStatusModel,
  stageLabels,
  stageModel,
  type AvailableStep,
  type StepRole,
} from '../domain/journey-model';
import { HttpProblem } from './problem';
import { temporalCall, toHttpProblem } from './temporal-errors';

/**
 * The Comune and service answers: the workflow's state, plus what the journey model says about it for the caller
 * (`availableSteps`) and, for a service, where it stands in its Comune's journey and what it waits for.
 */

export interface ServiceSummaryView {
  availableSteps: AvailableStep[];
}

export type ComuneView = ComuneState & {
  availableSteps: AvailableStep[];
  services: (ComuneState['services'][number] & ServiceSummaryView)[];
  waitsOn: string;
};

export async function readComune(client: Client, ipa: string): Promise<ComuneState> {
  return temporalCall(() => client.workflow.getHandle(comuneWorkflowId(ipa)).query(getComuneStateQuery));
}

export function comuneView(state: ComuneState, role: StepRole): ComuneView {
  return {
    ...state,
    waitsOn: comuneWaitsOn(state),
    availableSteps: availableComuneSteps(state, role),
    services: state.services.map((s) => ({
      ...s,
      availableSteps: availableServiceSteps(s, state.ipaCode, role),
    })),
  };
}

/** Where a service stands in its Comune's journey, in Italian, and who it waits on. */
export interface ServicePlace {
  comuneStage: ComuneState['stage'];
  comuneStageLabel: string;
  waitsOn: string;
  waitingFor: string;
  /** For a service not started yet: its place among the Comune's services still in the queue. */
  queue?: { position: number; of: number };
}

function placeOf(comune: ComuneState, slug: string, status: ServiceState['status']): ServicePlace {
  const base = { comuneStage: comune.stage, comuneStageLabel: stageLabels[comune.stage] };
  const definition = serviceStatusModel[status];
  if (status === 'pending') {
    const queued = comune.services.filter((s) => s.status === 'pending');
    const position = queued.findIndex((s) => s.slug === slug) + 1;
    const queue = position > 0 ? { position, of: queued.length } : undefined;
    if (isClosedStage(comune.stage)) {
      return {
        ...base,
        waitsOn: 'nobody',
        waitingFor: 'Il percorso del Comune è chiuso: il servizio non sarà creato.',
      };
    }
    if (comune.stage !== 'services') {
      return {
        ...base,
        waitsOn: stageModel[comune.stage].waitsOn,
        waitingFor:
          `Il servizio sarà creato su IO quando il Comune arriva alla fase «${stageLabels.services}»; ` +
          `ora è nella fase «${stageLabels[comune.stage]}».`,
        ...(queue ? { queue } : {}),
      };
    }
    return {
      ...base,
      waitsOn: 'nobody',
      waitingFor: queue
        ? `In coda: ${queue.position}º di ${queue.of} servizi in attesa di un posto libero per la creazione su IO.`
        : 'In coda per la creazione su IO.',
      ...(queue ? { queue } : {}),
    };
  }
  if (status === 'awaiting_key') {
    return {
      ...base,
      waitsOn: definition.waitsOn,
      waitingFor:
        'PagoPA rifiuta la chiave di gestione del Comune: il servizio riprende da dove si era fermato quando il ' +
        'personale registra la chiave attuale, letta nel back office IO.',
    };
  }
  return {
    ...base,
    waitsOn: definition.waitsOn,
    waitingFor: definition.task ?? definition.label,
  };
}

export type ServiceView = ServiceState & {
  availableSteps: AvailableStep[];
  place: ServicePlace;
  /** False while the service's own workflow has not started (a queued service read from its Comune's plan). */
  started: boolean;
};

/**
 * A service's page: its own workflow when it has started, otherwise the card its Comune planned for it. A service
 * the Comune does not have is a 404.
 */
export async function readServiceView(
  client: Client,
  ipa: string,
  slug: string,
  role: StepRole,
): Promise<ServiceView> {
  const comuneHandle = client.workflow.getHandle(comuneWorkflowId(ipa));
  const serviceHandle = client.workflow.getHandle(serviceWorkflowId(ipa, slug));
  const [comune, own] = await Promise.all([
    readComune(client, ipa),
    serviceHandle.query(getServiceStateQuery).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw toHttpProblem(err, 'Servizio');
    }),
  ]);
  const summary = comune.services.find((s) => s.slug === slug);
  if (own) {
    return {
      ...own,
      started: true,
      availableSteps: availableServiceSteps(own, comune.ipaCode, role),
      place: placeOf(comune, slug, own.status),
    };
  }
  const planned = summary ? await temporalCall(() => comuneHandle.query(getPlannedServiceQuery, slug)) : null;
  if (!summary || !planned) {
    throw new HttpProblem(
      404,
      'Servizio non trovato',
      `il Comune ${comune.name} non ha il servizio «${slug}»`,
    );
  }
  return {
    ...initialServiceState(slug, planned.card),
    name: summary.name,
    status: summary.status,
    started: false,
    availableSteps: [],
    place: placeOf(comune, slug, summary.status),
  };
}
