/**
 * Workflow time. Inside the workflow sandbox `Date` is replaced by the SDK with the time of the current workflow
 * task, so it is deterministic on replay; this helper is the single place workflow code reads it.
 */
export function workflowNowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- the SDK's deterministic Date, see above
  return Date.now();
}

/** Workflow time as ISO 8601, for timelines and records. */
export function nowIso(): string {
  return new Date(workflowNowMs()).toISOString();
}
