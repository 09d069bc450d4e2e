import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  bulkChunkResultSchema,
  bulkItemErrorSchema,
  emptyChunkResult,
  type BulkChunkInput,
  type BulkChunkResult,
  type BulkItemError,
} from '../contracts/bulk';
import { comuneInputSchema, moveDeadlineUpdate, remindNowUpdate } from '../contracts/comune';
import { ComuneJourneyExistsError, startComuneJourney } from '../contracts/comune-start';
import { comuneWorkflowId } from '../contracts/ids';
import type { DocumentStore } from '../integrations/documents/document-store';
import { withFailureMapping } from './failures';

export interface BulkActivityDependencies {
  client: Client;
  /** Where the Comune workflows run (the worker's own task queue). */
  taskQueue: string;
  documents: DocumentStore;
  /**
   * Items of a chunk in flight at once (starts or updates, each a Temporal call; every item is a different
   * Comune): {@link DEFAULT_BULK_CONCURRENCY} when unset. One at a time, a chunk waited for each call in turn.
   */
  startConcurrency?: number;
}

/** Items of a chunk in flight at once unless the worker says otherwise. */
export const DEFAULT_BULK_CONCURRENCY = 16;

type Outcome = Exclude<keyof BulkChunkResult, 'errors'>;
interface ItemResult {
  outcome: Outcome;
  error?: BulkItemError;
}

const outcomeSchema = z.enum(['started', 'alreadyRunning', 'applied', 'skipped', 'failed']);

/**
 * Progress recorded with each heartbeat, so a retried chunk resumes where this one stopped: `done` is how many
 * items of the chunk, from its first, all finished (their counts and errors are in `result`); `ahead` holds the
 * items after those that finished too, each with its outcome, while an earlier one was still in flight. A retry
 * does the rest (never an item twice, never one skipped) and counts them in list order.
 */
const progressSchema = z.object({
  done: z.number().int().nonnegative(),
  result: bulkChunkResultSchema,
  ahead: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        outcome: outcomeSchema,
        error: bulkItemErrorSchema.optional(),
      }),
    )
    .optional(),
});
type Progress = z.infer<typeof progressSchema>;

/** How errors name an item: its IPA code when it has one, else its 1-based position in the job's list. */
function itemLabel(chunk: BulkChunkInput, item: unknown, position: number): string {
  const ipaCode =
    chunk.kind === 'import' ? (item as { comune?: { ipaCode?: unknown } } | null)?.comune?.ipaCode : item;
  return typeof ipaCode === 'string' && ipaCode.trim() !== ''
    ? ipaCode.trim().toLowerCase()
    : `elemento ${position}`;
}

/**
 * The side of bulk jobs that talks to Temporal: starts Comune workflows (import) or sends them staff steps as
 * Updates (remind, move_deadline). A re-import or a retried chunk is harmless: starts are refused for existing
 * ids, and updates carry ids derived from the job, which Temporal deduplicates.
 */
export function createBulkActivities({
  client,
  taskQueue,
  documents,
  startConcurrency = DEFAULT_BULK_CONCURRENCY,
}: BulkActivityDependencies) {
  if (!Number.isInteger(startConcurrency) || startConcurrency < 1) {
    throw new RangeError(`startConcurrency must be a positive integer, got ${startConcurrency}`);
  }
  // Items are immutable (content-addressed): the last array read serves the job's following chunks.
  let cache: { ref: string; items: unknown[] } | undefined;

  async function loadItems(ref: string, expectedCount: number): Promise<unknown[]> {
    if (cache?.ref === ref) return cache.items;
    const bytes = await documents.get(ref);
    if (!bytes)
      throw ApplicationFailure.nonRetryable(`elenco del lavoro non trovato: ${ref}`, 'BulkItemsMissing');
    let items: unknown;
    try {
      items = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw ApplicationFailure.nonRetryable('elenco del lavoro non leggibile (JSON)', 'BulkItemsInvalid');
    }
    if (!Array.isArray(items) || items.length !== expectedCount) {
      throw ApplicationFailure.nonRetryable(
        `l'elenco del lavoro non ha i ${expectedCount} elementi attesi`,
        'BulkItemsInvalid',
      );
    }
    cache = { ref, items };
    return items;
  }

  const failed = (item: string, message: string): ItemResult => ({
    outcome: 'failed',
    error: { item, message },
  });

  async function importOne(item: unknown, label: string): Promise<ItemResult> {
    const parsed = comuneInputSchema.safeParse(item);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
      return failed(label, `dati del Comune non validi: ${issues.join('; ')}`);
    }
    try {
      await startComuneJourney(client, parsed.data, { taskQueue });
      return { outcome: 'started' };
    } catch (err) {
      // Running or closed (completed, withdrawn): never a second journey; the row says which.
      if (err instanceof ComuneJourneyExistsError) {
        return { outcome: 'alreadyRunning', error: { item: label, message: err.message } };
      }
      throw err;
    }
  }

  async function updateOne(item: unknown, label: string, chunk: BulkChunkInput): Promise<ItemResult> {
    if (typeof item !== 'string') return failed(label, 'atteso un codice IPA');
    let workflowId: string;
    try {
      workflowId = comuneWorkflowId(item);
    } catch {
      return failed(label, `codice IPA non valido: ${item}`);
    }
    const handle = client.workflow.getHandle(workflowId);
    const updateId = `bulk-${chunk.idempotencyKey}-${label}`;
    try {
      if (chunk.kind === 'remind') {
        await handle.executeUpdate(remindNowUpdate, { args: [{ actor: chunk.actor }], updateId });
      } else {
        const { deadline, reason } = chunk.params ?? {};
        if (!deadline || !reason) return failed(label, 'nuova scadenza o motivo mancante');
        await handle.executeUpdate(moveDeadlineUpdate, {
          args: [{ actor: chunk.actor, deadline, reason }],
          updateId,
        });
      }
      return { outcome: 'applied' };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        return { outcome: 'skipped', error: { item: label, message: err.cause?.message ?? err.message } };
      }
      if (err instanceof WorkflowNotFoundError) return failed(label, 'Comune non trovato o non più in corso');
      throw err;
    }
  }

  return withFailureMapping({
    /**
     * Processes items [offset, offset + limit) of the job's list, `startConcurrency` at a time; heartbeats after
     * each item with the progress a retry resumes from. Counts and errors are kept in list order whatever order
     * the items finish in.
     */
    async runBulkChunk(chunk: BulkChunkInput): Promise<BulkChunkResult> {
      const ctx = Context.current();
      const items = (await loadItems(chunk.itemsRef, chunk.itemCount)).slice(
        chunk.offset,
        chunk.offset + chunk.limit,
      );
      const resumed = progressSchema.safeParse(ctx.info.heartbeatDetails);
      const result = resumed.success ? resumed.data.result : emptyChunkResult();
      let done = resumed.success ? Math.min(resumed.data.done, items.length) : 0;
      // Items past `done` that finished: folded into `result` once every item before them has.
      const finished = new Map<number, ItemResult>();
      for (const { index, outcome, error } of resumed.success ? (resumed.data.ahead ?? []) : []) {
        if (index > done && index < items.length)
          finished.set(index, error ? { outcome, error } : { outcome });
      }

      const progress = (): Progress => ({
        done,
        // A copy: the SDK may encode the details after later items changed `result`.
        result: { ...result, errors: [...result.errors] },
        ahead: [...finished].map(([index, r]) => ({ index, ...r })),
      });
      const settle = (index: number, item: ItemResult) => {
        finished.set(index, item);
        for (let next = finished.get(done); next; next = finished.get(done)) {
          finished.delete(done);
          result[next.outcome] += 1;
          if (next.error) result.errors.push(next.error);
          done += 1;
        }
        ctx.heartbeat(progress());
      };

      // A small pool: each lane takes the next item not yet taken, until none is left, the activity is
      // cancelled, or an item failed in a way that fails the chunk (then the items in flight finish first).
      let cursor = done;
      let stop: { error: unknown } | undefined;
      const lane = async () => {
        for (;;) {
          while (cursor < items.length && finished.has(cursor)) cursor++;
          if (stop || cursor >= items.length) return;
          if (ctx.cancellationSignal.aborted) {
            stop = { error: new CancelledFailure('lavoro annullato') };
            return;
          }
          const index = cursor++;
          const item = items[index];
          const label = itemLabel(chunk, item, chunk.offset + index + 1);
          let outcome: ItemResult;
          try {
            outcome =
              chunk.kind === 'import' ? await importOne(item, label) : await updateOne(item, label, chunk);
          } catch (err) {
            stop ??= { error: err };
            return;
          }
          settle(index, outcome);
        }
      };
      await Promise.all(Array.from({ length: Math.min(startConcurrency, items.length - done) }, lane));
      if (stop) {
        // The SDK sends this last heartbeat with the failure: the retry starts from it.
        ctx.heartbeat(progress());
        throw stop.error;
      }
      ctx.log.info('bulk chunk done', {
        kind: chunk.kind,
        offset: chunk.offset,
        started: result.started,
        alreadyRunning: result.alreadyRunning,
        applied: result.applied,
        skipped: result.skipped,
        failed: result.failed,
      });
      return result;
    },
  });
}

export type BulkActivities = ReturnType<typeof createBulkActivities>;
