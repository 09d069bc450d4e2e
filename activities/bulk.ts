import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  bulkChunkResultSchema,
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
}

type Outcome = Exclude<keyof BulkChunkResult, 'errors'>;
interface ItemResult {
  outcome: Outcome;
  error?: BulkItemError;
}

/** Progress recorded with each heartbeat, so a retried chunk resumes after the last item it finished. */
const progressSchema = z.object({ done: z.number().int().nonnegative(), result: bulkChunkResultSchema });

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
export function createBulkActivities({ client, taskQueue, documents }: BulkActivityDependencies) {
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
    /** Processes items [offset, offset + limit) of the job's list; heartbeats after each item. */
    async runBulkChunk(chunk: BulkChunkInput): Promise<BulkChunkResult> {
      const ctx = Context.current();
      const items = (await loadItems(chunk.itemsRef, chunk.itemCount)).slice(
        chunk.offset,
        chunk.offset + chunk.limit,
      );
      const resumed = progressSchema.safeParse(ctx.info.heartbeatDetails);
      const result = resumed.success ? resumed.data.result : emptyChunkResult();
      for (let i = resumed.success ? resumed.data.done : 0; i < items.length; i++) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('lavoro annullato');
        const item = items[i];
        const label = itemLabel(chunk, item, chunk.offset + i + 1);
        const { outcome, error } =
          chunk.kind === 'import' ? await importOne(item, label) : await updateOne(item, label, chunk);
        result[outcome] += 1;
        if (error) result.errors.push(error);
        ctx.heartbeat({ done: i + 1, result });
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
