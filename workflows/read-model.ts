import { proxySinks, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  writeReadModelSignal,
  type ReadModelDocumentKey,
  type ReadModelSinks,
} from '../contracts/read-model';
import { nowIso } from './clock';

const { readModel } = proxySinks<ReadModelSinks>();

interface Publisher {
  workflowId: string;
  ipa: string;
  documents: () => Partial<Record<ReadModelDocumentKey, unknown>>;
  /** Documents that never change during the run (the Comune's plan): handed over once, never compared again. */
  fixed: Partial<Record<ReadModelDocumentKey, unknown>>;
  /** The JSON last handed to the worker, by document. */
  handed: Map<ReadModelDocumentKey, string>;
  /** A new journey whose first write has not happened yet: it clears what an earlier journey left. */
  freshPending: boolean;
}

// Modules loaded by a workflow are its own (the SDK keeps a module cache per workflow), so this is this run's.
let publisher: Publisher | undefined;

/**
 * Declares what this workflow's pages are read from: called once at the start of the workflow function. The
 * documents are read at the end of every activation (workflows/read-model-interceptor.ts), so every change is
 * written, wherever in the code it was made.
 */
export function keepReadModel(
  ipa: string,
  documents: () => Partial<Record<ReadModelDocumentKey, unknown>>,
  options: { fixed?: Partial<Record<ReadModelDocumentKey, unknown>>; newJourney?: boolean } = {},
): void {
  publisher = {
    workflowId: workflowInfo().workflowId,
    ipa,
    documents,
    fixed: options.fixed ?? {},
    handed: new Map(),
    freshPending: options.newJourney ?? false,
  };
  // Everything is handed over again at the end of this activation, whether it changed or not.
  setHandler(writeReadModelSignal, () => publisher?.handed.clear());
}

/**
 * Hands the documents that changed since the last activation to the worker's sink. While replaying nothing is
 * remembered (the worker drops sink calls of replayed activations), so the first live activation after a replay
 * writes every document again.
 */
export function publishChangedDocuments(): void {
  if (!publisher || publisher.workflowId !== workflowInfo().workflowId) return;
  if (workflowInfo().unsafe.isReplaying) {
    publisher.freshPending = false; // the first task was live once, and wrote then
    return;
  }
  const changed = [];
  for (const [key, value] of Object.entries(publisher.fixed) as [ReadModelDocumentKey, unknown][]) {
    if (publisher.handed.has(key)) continue;
    const json = JSON.stringify(value);
    publisher.handed.set(key, json);
    changed.push({ key, json });
  }
  for (const [key, value] of Object.entries(publisher.documents()) as [ReadModelDocumentKey, unknown][]) {
    if (value === undefined) continue;
    const json = JSON.stringify(value);
    if (publisher.handed.get(key) === json) continue;
    publisher.handed.set(key, json);
    changed.push({ key, json });
  }
  if (changed.length === 0) return;
  readModel.write({
    ipa: publisher.ipa,
    asOf: nowIso(),
    documents: changed,
    ...(publisher.freshPending ? { fresh: true } : {}),
  });
  publisher.freshPending = false;
}
