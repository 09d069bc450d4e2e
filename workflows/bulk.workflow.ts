import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkActivities } from '../activities/bulk';
import {
  BULK_CHUNKS_PER_RUN,
  DEFAULT_BULK_CHUNK_SIZE,
  accumulateChunk,
  bulkJobInputSchema,
  failedChunk,
  getBulkJobStateQuery,
  initialBulkJobState,
  type BulkJobInput,
  type BulkJobState,
} from '../contracts/bulk';
import { nowIso } from './clock';
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
 * as a query. Continues as new every {@link BULK_CHUNKS_PER_RUN} chunks, carrying its state.
 */
export async function bulkJobWorkflow(input: BulkJobInput, carried?: BulkJobCarried): Promise<BulkJobState> {
  const valid = bulkJobInputSchema.safeParse(input);
  if (!valid.success) {
    throw ApplicationFailure.nonRetryable(`lavoro non valido: ${zodMessage(valid.error)}`, 'InvalidBulkJob');
  }
  const state = carried?.state ?? initialBulkJobState(input, nowIso());
  setHandler(getBulkJobStateQuery, () => state);

  const chunkSize = input.chunkSize ?? DEFAULT_BULK_CHUNK_SIZE;
  // Stable across retries and continue-as-new: the Comuni deduplicate this job's updates by it.
  const idempotencyKey = workflowInfo().firstExecutionRunId;
  let offset = carried?.nextOffset ?? 0;
  for (let chunks = 0; offset < input.itemCount; chunks++) {
    if (chunks === BULK_CHUNKS_PER_RUN) {
      return continueAsNew<typeof bulkJobWorkflow>(input, { state, nextOffset: offset });
    }
    const limit = Math.min(chunkSize, input.itemCount - offset);
    try {
      accumulateChunk(
        state,
        await runBulkChunk({
          kind: input.kind,
          itemsRef: input.itemsRef,
          itemCount: input.itemCount,
          offset,
          limit,
          actor: input.actor,
          params: input.params,
          idempotencyKey,
        }),
      );
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      accumulateChunk(state, failedChunk(offset, limit, describeFailure(err)));
    }
    offset += limit;
  }
  state.status = 'completed';
  state.finishedAt = nowIso();
  return state;
}
