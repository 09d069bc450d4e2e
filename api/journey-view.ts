import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  getComuneStateQuery,
  getPlannedServiceQuery,
  type ComuneState,
  type ServiceRequest,
} from '../contracts/comune';
import type { Freshness } from '../contracts/read-model';
import type { FileViewStore } from '../integrations/read-model/view-store';
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

/** What a page is read from: the read model the workflows write, the workflow itself as the fallback. */
export interface PageSource {
  client: Client;
  views?: FileViewStore;
}

export interface ComuneRead {
  state: ComuneState;
  freshness: Freshness;
  /** The services as planned, when read from the read model (else asked of the workflow when needed). */
  planned?: ServiceRequest[];
}

const fromWorkflow = (): Freshness => ({ source: 'workflow', asOf: new Date().toISOString() });

/**
 * A Comune's state without waiting for a workflow task: its page in the read model, written by the workflow at its
 * last change; the workflow's query only for journeys that have none (started before 0.6.0, or not yet written).
 */
export async function readComune(source: PageSource, ipa: string): Promise<ComuneRead> {
  const stored = await source.views?.comune(ipa).catch(() => undefined);
  if (stored) {
    return {
      state: stored.document.state,
      planned: stored.document.planned,
      freshness: { source: 'read-model', asOf: stored.document.asOf, writtenAt: stored.writtenAt },
    };
  }
  const state = await temporalCall(() =>
    source.client.workflow.getHandle(comuneWorkflowId(ipa)).query(getComuneStateQuery),
  );
  return { state, freshness: fromWorkflow() };
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
  freshness: Freshness;
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
  source: PageSource,
  ipa: string,
  slug: string,
  role: StepRole,
): Promise<ServiceView> {
  const { client } = source;
  const comuneHandle = client.workflow.getHandle(comuneWorkflowId(ipa));
  const serviceHandle = client.workflow.getHandle(serviceWorkflowId(ipa, slug));
  const readOwn = async (): Promise<{ state: ServiceState; freshness: Freshness } | undefined> => {
    const stored = await source.views?.service(ipa, slug).catch(() => undefined);
    if (stored) {
      return {
        state: stored.document.state,
        freshness: { source: 'read-model', asOf: stored.document.asOf, writtenAt: stored.writtenAt },
      };
    }
    const state = await serviceHandle.query(getServiceStateQuery).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw toHttpProblem(err, 'Servizio');
    });
    return state ? { state, freshness: fromWorkflow() } : undefined;
  };
  const [comuneRead, ownRead] = await Promise.all([readComune(source, ipa), readOwn()]);
  const comune = comuneRead.state;
  const summary = comune.services.find((s) => s.slug === slug);
  if (ownRead) {
    const own = ownRead.state;
    return {
      ...own,
      freshness: ownRead.freshness,
      started: true,
      availableSteps: availableServiceSteps(own, comune.ipaCode, role),
      place: placeOf(comune, slug, own.status),
    };
  }
  const planned = !summary
    ? null
    : comuneRead.planned
      ? (comuneRead.planned.find((p) => p.slug === slug) ?? null)
      : await temporalCall(() => comuneHandle.query(getPlannedServiceQuery, slug));
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
    freshness: comuneRead.freshness,
    started: false,
    availableSteps: [],
    place: placeOf(comune, slug, summary.status),
  };
}
