import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { getComuneStateQuery, getPlannedServiceQuery, type ComuneState } from '../contracts/comune';
import type { Freshness } from './freshness';
import { pageCache } from './page-cache';
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
import type { Logger } from '../common/logger';
import type { ReadModelStore } from '../common/read-model-store';
import { serviceDocumentKey, type ReadModelDocumentKey } from '../contracts/read-model';
import type { ServiceRequest } from '../contracts/comune';

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

/**
 * What a page is read from: the read model the worker writes at the end of each workflow task (no workflow task to
 * read it), and for a journey that has not written one yet, the API's page cache over the workflows' queries.
 */
export interface PageSource {
  client: Client;
  readModel?: ReadModelStore;
  logger?: Logger;
}

export interface ComuneRead {
  state: ComuneState;
  freshness: Freshness;
}

/** How long a page's query may wait for a workflow task. */
export const PAGE_QUERY_DEADLINE_MS = 10_000;

/** The page cache of this API: each Comune's and service's last answer, by workflow id (null: not started). */
function pages(source: PageSource) {
  return pageCache(source, async (workflowId) => {
    const handle = source.client.workflow.getHandle(workflowId);
    // A query waits for a workflow task: bounded, so a refresh behind a stopped worker ends (the page keeps its
    // last state) instead of holding a call open.
    const bounded = <T>(fn: () => Promise<T>) =>
      source.client.withDeadline(Date.now() + PAGE_QUERY_DEADLINE_MS, fn);
    if (workflowId.startsWith('comune:')) return bounded(() => handle.query(getComuneStateQuery));
    return bounded(() => handle.query(getServiceStateQuery)).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    });
  });
}

/**
 * A document of the read model with its freshness, or undefined when the journey has not written it (or it cannot be
 * read: the page then falls back to the workflow, and the log says why).
 */
async function fromReadModel<T>(
  source: PageSource,
  ipa: string,
  key: ReadModelDocumentKey,
): Promise<{ value: T; freshness: Freshness } | undefined> {
  if (!source.readModel) return undefined;
  try {
    const entry = await source.readModel.read<T>(ipa, key);
    return entry && { value: entry.document, freshness: { source: 'read-model', asOf: entry.asOf } };
  } catch (err) {
    source.logger?.warn(
      { err, comune: ipa, document: key },
      'read model unreadable: the page asks the workflow',
    );
    return undefined;
  }
}

/**
 * A Comune's state without waiting for a workflow task: the read model the worker wrote at the journey's last task;
 * for a journey that has not written one, the page cache (its last known state at once, refreshed in the background,
 * the workflow's answer only on a first read).
 */
export async function readComune(source: PageSource, ipa: string): Promise<ComuneRead> {
  const read =
    (await fromReadModel<ComuneState>(source, ipa, 'comune')) ??
    (await temporalCall(() => pages(source).read(comuneWorkflowId(ipa))));
  return { state: read.value as ComuneState, freshness: read.freshness };
}

/** A step's answer: the freshest state of the Comune there is, for the next page read. */
export function rememberComune(source: PageSource, state: ComuneState): void {
  pages(source).put(comuneWorkflowId(state.ipaCode), state);
}

/** A service step's answer. */
export function rememberService(source: PageSource, ipa: string, state: ServiceState): void {
  pages(source).put(serviceWorkflowId(ipa, state.slug), state);
}

/** Waits for the background refreshes (tests' orderly shutdown). */
export const pagesIdle = (source: PageSource) => pages(source).idle();

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
  const readOwn = async (): Promise<{ state: ServiceState; freshness: Freshness } | undefined> => {
    const written = await fromReadModel<ServiceState>(source, ipa, serviceDocumentKey(slug));
    if (written) return { state: written.value, freshness: written.freshness };
    const read = await pages(source)
      .read(serviceWorkflowId(ipa, slug))
      .catch((err: unknown) => {
        throw toHttpProblem(err, 'Servizio');
      });
    return read.value ? { state: read.value as ServiceState, freshness: read.freshness } : undefined;
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
  const readPlanned = async (): Promise<ServiceRequest | null> => {
    const plan = await fromReadModel<ServiceRequest[]>(source, ipa, 'plan');
    if (plan) return plan.value.find((s) => s.slug === slug) ?? null;
    return temporalCall(() => comuneHandle.query(getPlannedServiceQuery, slug));
  };
  const planned = summary ? await readPlanned() : null;
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
