import type { ComuneState, ServiceRequest } from './comune';
import type { ServiceState } from './service';

/**
 * The read model: each Comune and each service writes its page's state to a store the API reads directly, at every
 * change that matters, so reading a page never waits for a workflow task (issue #13). Written by a local activity
 * (`publishView`): the document is not kept in workflow history (a local activity's marker records its result, not
 * its input), only a small marker per write. A workflow query is the fallback for journeys that predate it.
 */
export interface ViewDocument<K extends 'comune' | 'service', S> {
  kind: K;
  /** `comune:<ipa>` or `service:<ipa>:<slug>`. */
  workflowId: string;
  /** Workflow time of the snapshot: a document replaces the stored one only when it is newer. */
  asOf: string;
  /** Order of the snapshots taken at the same workflow time. */
  seq: number;
  state: S;
}

export type ComuneViewDocument = ViewDocument<'comune', ComuneState> & {
  /** The services as the Comune planned them (for the pages of services not started yet). */
  planned: ServiceRequest[];
};
export type ServiceViewDocument = ViewDocument<'service', ServiceState>;
export type AnyViewDocument = ComuneViewDocument | ServiceViewDocument;

/** How fresh an answer is: read from the read model (written at `asOf`, workflow time) or from the workflow itself. */
export interface Freshness {
  source: 'read-model' | 'workflow' | 'visibility';
  /** The state's own time: the workflow time of the snapshot (read model) or of the answer (workflow). */
  asOf: string;
  /** When the snapshot reached the store (read model only). */
  writtenAt?: string;
}
