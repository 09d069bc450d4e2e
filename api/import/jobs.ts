import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import {
  bulkJobInputSchema,
  bulkJobWorkflowId,
  type BulkJobInput,
  type BulkJobKind,
  type BulkJobParams,
} from '../../contracts/bulk';
import type { ComuneInput } from '../../contracts/comune';
import type { DocumentStore } from '../../integrations/documents/document-store';

/**
 * Starting a bulk job from the API: the items go to the document store (history holds only their sha256), then
 * one `bulkJobWorkflow` runs the chunks. Every job gets its own id, so the same list sent again is a new job.
 */

/** Stores the job's items as a JSON array; the same items always give the same reference. */
export async function storeBulkItems(
  documents: DocumentStore,
  items: readonly unknown[],
): Promise<{ itemsRef: string; itemCount: number }> {
  const stored = await documents.put(Buffer.from(JSON.stringify(items), 'utf8'), {
    contentType: 'application/json',
    originalName: 'bulk-items.json',
  });
  return { itemsRef: stored.sha256, itemCount: items.length };
}

export type BulkJobRequest = {
  actor: string;
  chunkSize?: number;
  /** Defaults to a new ULID. */
  jobId?: string;
} & (
  | { kind: 'import'; items: readonly ComuneInput[]; params?: undefined }
  | { kind: Exclude<BulkJobKind, 'import'>; items: readonly string[]; params?: BulkJobParams }
);

export interface StartedBulkJob {
  workflowId: string;
  input: BulkJobInput;
}

export async function startBulkJob(
  deps: { client: Client; taskQueue: string; documents: DocumentStore },
  request: BulkJobRequest,
): Promise<StartedBulkJob> {
  const { itemsRef, itemCount } = await storeBulkItems(deps.documents, request.items);
  const input = bulkJobInputSchema.parse({
    kind: request.kind,
    actor: request.actor,
    itemsRef,
    itemCount,
    chunkSize: request.chunkSize,
    params: request.params,
  });
  const workflowId = bulkJobWorkflowId(request.kind, request.jobId ?? ulid());
  await deps.client.workflow.start('bulkJobWorkflow', {
    taskQueue: deps.taskQueue,
    workflowId,
    args: [input],
  });
  return { workflowId, input };
}
