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
import { sleep } from '../integrations/http/retry';
import type { ReadModelStore } from '../common/read-model-store';
import { serviceDocumentKey, writeReadModelSignal, type ReadModelDocumentKey } from '../contracts/read-model';
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
export async function fromReadModel<T>(
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

/** How long a page waits for a journey asked to write its documents before it asks the workflow instead. */
export const READ_MODEL_WRITE_WAIT_MS = 1_000;
/** A journey that has not answered is asked to write its documents at most once a minute by this API. */
const WRITE_REQUEST_EVERY_MS = 60_000;
const writeRequests = new WeakMap<PageSource, Map<string, number>>();

/**
 * A document the journey has not written (one started before 0.9.0, until its next task; a folder deleted by hand):
 * the journey is signalled to write its documents (`writeReadModelSignal`, no command), and the page waits for them
 * a moment. A signal is a task of the journey's own, never a query task beside one. Undefined when they do not come
 * in time (a busy worker, a closed journey): the page then asks the workflow.
 */
async function askToWrite<T>(
  source: PageSource,
  workflowId: string,
  ipa: string,
  key: ReadModelDocumentKey,
): Promise<{ value: T; freshness: Freshness } | undefined> {
  if (!source.readModel) return undefined;
  let requests = writeRequests.get(source);
  if (!requests) writeRequests.set(source, (requests = new Map()));
  const last = requests.get(workflowId);
  if (last === undefined || Date.now() - last > WRITE_REQUEST_EVERY_MS) {
    requests.set(workflowId, Date.now());
    if (requests.size > 20_000) requests.delete(requests.keys().next().value as string);
    try {
      await source.client.workflow.getHandle(workflowId).signal(writeReadModelSignal);
    } catch {
      return undefined; // not started, closed, or Temporal unavailable: the fallback says which
    }
  }
  const deadline = Date.now() + READ_MODEL_WRITE_WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(50);
    const written = await fromReadModel<T>(source, ipa, key);
    if (written) {
      requests.delete(workflowId); // answered: if the documents go missing again, the journey is asked again
      return written;
    }
  }
  return undefined;
}

/**
 * A Comune's state without waiting for a workflow task: the read model the worker wrote at the journey's last task;
 * for a journey that has not written one, it is asked to, and meanwhile the page cache answers (its last known state
 * at once, refreshed in the background, the workflow's answer only on a first read).
 */
export async function readComune(source: PageSource, ipa: string): Promise<ComuneRead> {
  const workflowId = comuneWorkflowId(ipa);
  const read =
    (await fromReadModel<ComuneState>(source, ipa, 'comune')) ??
    (await askToWrite<ComuneState>(source, workflowId, ipa, 'comune')) ??
    (await temporalCall(() => pages(source).read(workflowId)));
  return { state: read.value as ComuneState, freshness: read.freshness };
}

/**
 * What a step leads to. The Update answers with the state as its handler left it, before the journey's main flow
 * went on in the same workflow task: a recorded delegation moves the Comune to «In attesa del modulo firmato» there,
 * after the handler. The worker writes that task's documents before the task completes, so the read model holds the
 * state the step led to when the Update answers. Its document is the answer when it is from that task or a later one
 * (its timeline, which only grows, at least as long); otherwise (no read model, a write that failed) the Update's own
 * answer.
 */
async function afterStep<T extends { timeline: readonly unknown[] }>(
  source: PageSource,
  ipa: string,
  key: ReadModelDocumentKey,
  answered: T,
): Promise<T> {
  const written = await fromReadModel<T>(source, ipa, key);
  return written && written.value.timeline.length >= answered.timeline.length ? written.value : answered;
}

/** A Comune step's answer: where it led (`afterStep`), kept as the freshest state there is for the next page read. */
export async function comuneAfterStep(source: PageSource, answered: ComuneState): Promise<ComuneState> {
  const state = await afterStep(source, answered.ipaCode, 'comune', answered);
  pages(source).put(comuneWorkflowId(state.ipaCode), state);
  return state;
}

/** A service step's answer: where it led (`afterStep`), kept for the next page read. */
export async function serviceAfterStep(
  source: PageSource,
  ipa: string,
  answered: ServiceState,
): Promise<ServiceState> {
  const state = await afterStep(source, ipa, serviceDocumentKey(answered.slug), answered);
  pages(source).put(serviceWorkflowId(ipa, state.slug), state);
  return state;
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
  const readOwn = async (
    comune: ComuneState,
  ): Promise<{ state: ServiceState; freshness: Freshness } | undefined> => {
    const key = serviceDocumentKey(slug);
    const written = await fromReadModel<ServiceState>(source, ipa, key);
    if (written) return { state: written.value, freshness: written.freshness };
    // A service the Comune has not started has no workflow yet: its page is the plan's card.
    const status = comune.services.find((s) => s.slug === slug)?.status;
    if (status === undefined || status === 'pending') return undefined;
    const asked = await askToWrite<ServiceState>(source, serviceWorkflowId(ipa, slug), ipa, key);
    if (asked) return { state: asked.value, freshness: asked.freshness };
    const read = await pages(source)
      .read(serviceWorkflowId(ipa, slug))
      .catch((err: unknown) => {
        throw toHttpProblem(err, 'Servizio');
      });
    return read.value ? { state: read.value as ServiceState, freshness: read.freshness } : undefined;
  };
  const comuneRead = await readComune(source, ipa);
  const comune = comuneRead.state;
  const ownRead = await readOwn(comune);
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
    const plan =
      (await fromReadModel<ServiceRequest[]>(source, ipa, 'plan')) ??
      (await askToWrite<ServiceRequest[]>(source, comuneWorkflowId(ipa), ipa, 'plan'));
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
