import { defineSignal, type Sinks } from '@temporalio/workflow';
import type { JourneyFacts } from './comune';

/**
 * The pages' read model (issue #13): each journey hands its current state to the worker at the end of every workflow
 * task that changed it, through a sink (no command, no history event, nothing replayed), and the worker stores it
 * before the task completes. The API reads the Comune and service pages from there without a workflow task
 * (api/journey-view.ts); a query is the fallback for journeys that have not written one yet.
 */

/**
 * One document of a Comune's read model: its journey, its planned services, the facts of its input, or one service's
 * own state. `job`: a bulk job's progress (the import page), its owner the job's name ({@link bulkJobDocumentOwner}),
 * kept apart from the Comuni's.
 */
export type ReadModelDocumentKey = 'comune' | 'plan' | 'facts' | 'job' | `service:${string}`;

/** The owner of a bulk job's `job` document: its workflow id with what a file name cannot hold replaced. */
export const bulkJobDocumentOwner = (workflowId: string): string =>
  workflowId.replace(/[^A-Za-z0-9_-]/g, '-');

/**
 * The `facts` document: what the journey's input holds and its state does not, fixed for the run. The portfolio
 * reads the escalation ladder from it (when a Comune is at risk), the dossier its contract date and ISTAT code.
 */
export interface JourneyFactsDocument extends JourneyFacts {
  escalationLadderDays: number[];
}

export interface ReadModelDocument {
  key: ReadModelDocumentKey;
  /** The document, serialized by the workflow (it compares it with the last one it handed over). */
  json: string;
}

export interface ReadModelWrite {
  /** The Comune's IPA code: its documents live together. */
  ipa: string;
  /** Workflow time of the task that produced the documents (ISO 8601): the `asOf` of the pages read from them. */
  asOf: string;
  documents: ReadModelDocument[];
  /**
   * The first task of a new journey (not a continuation): the Comune's earlier documents, left by a journey started
   * before under the same id, are removed first.
   */
  fresh?: boolean;
}

export interface ReadModelSinks extends Sinks {
  readModel: {
    write(write: ReadModelWrite): void;
  };
}

export const serviceDocumentKey = (slug: string): ReadModelDocumentKey => `service:${slug}`;

/**
 * Asks a journey to write all its documents again at its next task (a journey started before 0.9.0 has none until
 * its next task; a read-model folder deleted by hand). No command: the task it causes is what writes. Sent by the
 * API when a page finds no document, and by `npm run read-model -- write` for every open journey.
 */
export const writeReadModelSignal = defineSignal('writeReadModel');
