import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkActivities } from '../activities/bulk';
import {
  BULK_CHUNKS_PER_RUN,
  BULK_PARALLEL_CHUNKS,
  DEFAULT_BULK_CHUNK_SIZE,
  accumulateChunk,
  bulkJobInputSchema,
  failedChunk,
  getBulkJobStateQuery,
  initialBulkJobState,
  type BulkChunkResult,
  type BulkJobInput,
  type BulkJobState,
} from '../contracts/bulk';
import { bulkJobDocumentOwner } from '../contracts/read-model';
import { nowIso } from './clock';
import { workflowPatches } from './patches';
import { keepReadModel } from './read-model';
import { describeFailure, zodMessage } from './workflow-support';

/**
 * A chunk is at most a few hundred quick Temporal calls. Retries resume after the last item the chunk finished
 * (heartbeat details); a chunk that keeps failing is recorded as failed and the job goes on.
 */
const { runBulkChunk } = proxyActivities<BulkActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

export interface BulkJobCarried {
  state: BulkJobState;
  nextOffset: number;
}

/**
 * One background job over many Comuni (import, reminders, deadline moves), chunk after chunk, with its progress
 * as a query. Since 0.8.0 up to {@link BULK_PARALLEL_CHUNKS} chunks run at once (a national import of 7,904 Comuni
 * in one job no longer starts them 50 at a time). Continues as new every {@link BULK_CHUNKS_PER_RUN} chunks,
 * carrying its state, once the chunks of the run have all finished.
 */
export async function bulkJobWorkflow(input: BulkJobInput, carried?: BulkJobCarried): Promise<BulkJobState> {
  const valid = bulkJobInputSchema.safeParse(input);
  if (!valid.success) {
    throw ApplicationFailure.nonRetryable(`lavoro non valido: ${zodMessage(valid.error)}`, 'InvalidBulkJob');
  }
  const state = carried?.state ?? initialBulkJobState(input, nowIso());
  setHandler(getBulkJobStateQuery, () => state);
  // The job's page reads its progress from the read model (no command: written by the worker at each task), so a
  // manager following a national import does not wait behind the thousands of journeys it starts. The query is the
  // fallback for a job that has not written it.
  keepReadModel(bulkJobDocumentOwner(workflowInfo().workflowId), () => ({ job: state }));

  const chunkSize = input.chunkSize ?? DEFAULT_BULK_CHUNK_SIZE;
  // Stable across retries and continue-as-new: the Comuni deduplicate this job's updates by it.
  const idempotencyKey = workflowInfo().firstExecutionRunId;
  let offset = carried?.nextOffset ?? 0;
  // Histories from before 0.8.0 ran one chunk at a time: they replay so, with no marker.
  const parallel =
    offset < input.itemCount && patched(workflowPatches.bulkParallelChunks) ? BULK_PARALLEL_CHUNKS : 1;

  /** Finished chunks are counted in list order, so the errors read in the order of the list. */
  const finished = new Map<number, { limit: number; result: BulkChunkResult }>();
  let counted = offset;
  async function runChunk(at: number, limit: number): Promise<void> {
    let result: BulkChunkResult;
    try {
      result = await runBulkChunk({
        kind: input.kind,
        itemsRef: input.itemsRef,
        itemCount: input.itemCount,
        offset: at,
        limit,
        actor: input.actor,
        params: input.params,
        idempotencyKey,
      });
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      result = failedChunk(at, limit, describeFailure(err));
    }
    finished.set(at, { limit, result });
    for (let next = finished.get(counted); next; next = finished.get(counted)) {
      finished.delete(counted);
      accumulateChunk(state, next.result);
      counted += next.limit;
    }
  }

  const inFlight = new Set<Promise<void>>();
  for (let chunks = 0; offset < input.itemCount; chunks++) {
    if (chunks === BULK_CHUNKS_PER_RUN) {
      await Promise.all(inFlight);
      return continueAsNew<typeof bulkJobWorkflow>(input, { state, nextOffset: offset });
    }
    const limit = Math.min(chunkSize, input.itemCount - offset);
    const chunk: Promise<void> = runChunk(offset, limit).finally(() => inFlight.delete(chunk));
    inFlight.add(chunk);
    offset += limit;
    if (inFlight.size >= parallel) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  state.status = 'completed';
  state.finishedAt = nowIso();
  return state;
}
