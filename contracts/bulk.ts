import { z } from 'zod';
// define* are pure declarations: importing them from @temporalio/workflow is safe outside the sandbox.
import { defineQuery } from '@temporalio/workflow';
import { actorSchema, moveDeadlineSchema } from './comune';
import { lazySchema } from '../domain/lazy-schema';

/**
 * Background jobs over many Comuni (import, reminders, deadline moves) as one workflow each: the items live in the
 * document store as a JSON array (only its sha256 enters history), chunks are processed by an activity, and the
 * job's progress is a query. Shared by the workflow, the activity and the API; imports no workflow code.
 */

export const bulkJobKinds = ['import', 'remind', 'move_deadline'] as const;
export const bulkJobKindSchema = lazySchema(() => z.enum(bulkJobKinds));
export type BulkJobKind = z.infer<typeof bulkJobKindSchema>;

export const DEFAULT_BULK_CHUNK_SIZE = 50;
/** Chunks a job runs at once (since 0.8.0; before, one after the other). */
export const BULK_PARALLEL_CHUNKS = 4;
/** Chunks per run before the job continues as new (each chunk adds a handful of events to history). */
export const BULK_CHUNKS_PER_RUN = 200;
/** Errors kept in the job's state; later ones are only counted. */
export const BULK_ERRORS_CAP = 1_000;
export const MAX_BULK_ITEMS = 10_000;

export const bulkJobParamsSchema = lazySchema(() =>
  z.object({
    deadline: moveDeadlineSchema.shape.deadline.optional(),
    reason: moveDeadlineSchema.shape.reason.optional(),
  }),
);
export type BulkJobParams = z.infer<typeof bulkJobParamsSchema>;

export const bulkJobInputSchema = lazySchema(() =>
  z
    .object({
      kind: bulkJobKindSchema,
      actor: actorSchema,
      /** sha256 of the JSON array of items in the document store: ComuneInput for import, IPA codes otherwise. */
      itemsRef: z.string().regex(/^[0-9a-f]{64}$/, 'riferimento agli elementi (sha256)'),
      itemCount: z.number().int().min(0).max(MAX_BULK_ITEMS),
      chunkSize: z.number().int().min(1).max(500).optional(),
      params: bulkJobParamsSchema.optional(),
    })
    .superRefine((input, ctx) => {
      if (input.kind === 'move_deadline' && (!input.params?.deadline || !input.params.reason)) {
        ctx.addIssue({
          code: 'custom',
          path: ['params'],
          message: 'spostare la scadenza richiede la nuova scadenza e il motivo',
        });
      }
    }),
);
export type BulkJobInput = z.infer<typeof bulkJobInputSchema>;

export const bulkItemErrorSchema = lazySchema(() =>
  z.object({
    /** The IPA code, or the item's position when it has none. */
    item: z.string(),
    message: z.string(),
  }),
);
export type BulkItemError = z.infer<typeof bulkItemErrorSchema>;

const count = lazySchema(() => z.number().int().nonnegative());
/** What one chunk did: every item falls in exactly one count. */
export const bulkChunkResultSchema = lazySchema(() =>
  z.object({
    /** Comune workflows started (import). */
    started: count,
    /** Comune journeys that already existed (import), each in `errors` saying why: a re-import is harmless. */
    alreadyRunning: count,
    /** Updates the Comune accepted (remind, move_deadline). */
    applied: count,
    /** Updates the Comune refused, with its reason (e.g. a reminder in a stage that has none). */
    skipped: count,
    failed: count,
    errors: z.array(bulkItemErrorSchema),
  }),
);
export type BulkChunkResult = z.infer<typeof bulkChunkResultSchema>;

export function emptyChunkResult(): BulkChunkResult {
  return { started: 0, alreadyRunning: 0, applied: 0, skipped: 0, failed: 0, errors: [] };
}

export interface BulkChunkInput {
  kind: BulkJobKind;
  itemsRef: string;
  itemCount: number;
  offset: number;
  limit: number;
  actor: string;
  params?: BulkJobParams;
  /** Minted by the job workflow, stable across retries: the update ids derive from it. */
  idempotencyKey: string;
}

export interface BulkJobState extends BulkChunkResult {
  kind: BulkJobKind;
  total: number;
  processed: number;
  /** Errors beyond {@link BULK_ERRORS_CAP}, counted only. */
  errorsOmitted: number;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'completed';
}

export const getBulkJobStateQuery = defineQuery<BulkJobState>('getBulkJobState');

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `bulk:<kind>:<id>`: one workflow per job, the id saying what it is. */
export function bulkJobWorkflowId(kind: BulkJobKind, id: string): string {
  if (!JOB_ID.test(id)) throw new RangeError(`invalid bulk job id: ${id}`);
  return `bulk:${kind}:${id}`;
}

export function initialBulkJobState(input: BulkJobInput, startedAt: string): BulkJobState {
  return {
    ...emptyChunkResult(),
    kind: input.kind,
    total: input.itemCount,
    processed: 0,
    errorsOmitted: 0,
    startedAt,
    status: 'running',
  };
}

/** Adds a chunk's counts and errors to the job's state (errors capped). Pure. */
export function accumulateChunk(state: BulkJobState, chunk: BulkChunkResult): void {
  state.started += chunk.started;
  state.alreadyRunning += chunk.alreadyRunning;
  state.applied += chunk.applied;
  state.skipped += chunk.skipped;
  state.failed += chunk.failed;
  state.processed += chunk.started + chunk.alreadyRunning + chunk.applied + chunk.skipped + chunk.failed;
  const room = Math.max(0, BULK_ERRORS_CAP - state.errors.length);
  state.errors.push(...chunk.errors.slice(0, room));
  state.errorsOmitted += Math.max(0, chunk.errors.length - room);
}

/** A chunk whose activity gave up: its items count as failed, named by position. */
export function failedChunk(offset: number, limit: number, message: string): BulkChunkResult {
  return {
    ...emptyChunkResult(),
    failed: limit,
    errors: [{ item: `elementi ${offset + 1}–${offset + limit}`, message }],
  };
}
