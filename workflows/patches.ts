import { patched } from '@temporalio/workflow';

/**
 * patched() ids: one per history-altering change of the workflows, kept until no execution started before the
 * change is still running (then deprecatePatch(), then removed). The replay tests hold histories from before each.
 */
export const workflowPatches = {
  /** 0.2.0: the Comune gets an e-mail when all its services are active. */
  journeyCompletedNotice: 'journey-completed-notice',
  /** 0.3.0: a service signals its Comune only on milestones (review, rejection, correction, active, cancelled). */
  serviceReportsMilestonesOnly: 'service-reports-milestones-only',
  /** 0.4.0: the Comune keeps its open tasks and service counts in its memo, read by the inbox and the dashboard. */
  journeyReadModel: 'journey-read-model',
  /** 0.5.0: the stage «Accesso a IO» (Selfcare onboarding active, the Comune's own manage key) before the services. */
  ioAccessStage: 'io-access-stage',
  /** 0.6.0: a rejection recorded by hand may be undone by a manager until the card is corrected. */
  undoReviewOutcome: 'undo-review-outcome',
  /** 0.6.0: a completed journey watches its published services for the days its settings give. */
  postCompletionWatch: 'post-completion-watch',
  /** 0.7.0: a service tells its Comune again when a signal is refused (the Comune between two runs). */
  serviceSignalRetried: 'service-signal-retried',
  /** 0.7.0: the journey's read model keeps the time spent in each stage it has left (where journeys stall). */
  journeyStageTimes: 'journey-stage-times',
  /** 0.8.0: a bulk job runs a few chunks at once. */
  bulkParallelChunks: 'bulk-parallel-chunks',
  /** 0.11.0: a service's IO steps before its review (create to first submission) run as one activity. */
  serviceSetUpInOneActivity: 'service-set-up-in-one-activity',
  /** 0.11.0: the Comune starts together the services its free slots allow, each with its search attributes. */
  cheaperServiceStarts: 'cheaper-service-starts',
  /**
   * 0.12.0: one marker for every change above, in runs started since 0.12.0 (see `hasChange`). The same run also
   * publishes its search attributes and memo once per activation, not at every change (comune.workflow.ts).
   */
  release012: 'release-0.12.0',
} as const;

type ChangeId = Exclude<
  (typeof workflowPatches)[keyof typeof workflowPatches],
  typeof workflowPatches.release012
>;

/**
 * The changes `release-0.12.0` stands for: every one released up to 0.12.0. A change made later is not in it: it
 * records its own marker, in every run, until a later release marker takes it in.
 */
export const inRelease012: ReadonlySet<ChangeId> = new Set<ChangeId>([
  workflowPatches.journeyCompletedNotice,
  workflowPatches.serviceReportsMilestonesOnly,
  workflowPatches.journeyReadModel,
  workflowPatches.ioAccessStage,
  workflowPatches.undoReviewOutcome,
  workflowPatches.postCompletionWatch,
  workflowPatches.serviceSignalRetried,
  workflowPatches.journeyStageTimes,
  workflowPatches.bulkParallelChunks,
  workflowPatches.serviceSetUpInOneActivity,
  workflowPatches.cheaperServiceStarts,
]);

// A workflow's modules are its own (the SDK keeps a module cache per workflow): this is this run's answer.
let startedSince012: boolean | undefined;

/**
 * Called first thing in a workflow function. A run started since 0.12.0 records one marker, `release-0.12.0`, and
 * every change up to it applies without a marker of its own. Each marker costs two history events and a visibility
 * write (the SDK upserts TemporalChangeVersion with it): two per service and five per Comune before 0.12.0. A run
 * started earlier replays without the marker and asks each change's own patched(), as before.
 */
export function openRun(): void {
  startedSince012 = patched(workflowPatches.release012);
}

/**
 * Whether this run has the change: a change up to 0.12.0 always in runs started since 0.12.0, else (older runs,
 * later changes) its own patched() marker.
 */
export function hasChange(id: ChangeId): boolean {
  return (startedSinceRelease012() && inRelease012.has(id)) || patched(id);
}

/** Whether this run was started by 0.12.0 or later (it records the release's marker). */
export function startedSinceRelease012(): boolean {
  if (startedSince012 === undefined)
    throw new Error('openRun() must be called first in the workflow function');
  return startedSince012;
}
