import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { comuneWorkflowId } from '../contracts/ids';
import { serviceSetUpSteps } from '../contracts/service';
import { summarise } from './stats';

const EventType = temporal.api.enums.v1.EventType;
/** The calls of one `setUpService` activity (contracts/service.ts). */
const SET_UP_STEPS = Object.keys(serviceSetUpSteps).length;

export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activities: number;
  /**
   * The PagoPA and portal calls those activities stand for: one each, and one per step for a service's set-up chain
   * (0.11.0: create, logo, portal keys, test message and submission in one activity), and the publication a
   * review's poll made (0.12.0). The minimal workflow makes as
   * many no-op activities: the engine's cost of the same work done one call per activity.
   */
  ioSteps: number;
  /** Local activities (their markers): IO calls without an activity task of their own. */
  localActivities: number;
  timers: number;
  signalsSent: number;
  signalsReceived: number;
  updates: number;
  children: number;
  searchAttributeUpserts: number;
  /** Memo upserts (WorkflowPropertiesModified): the Comune's read model in visibility. */
  memoUpserts: number;
  /** patched() markers; the SDK upserts TemporalChangeVersion with each (counted among the upserts above). */
  patchMarkers: number;
  /**
   * Writes to visibility: the start, each search attribute or memo upsert, the close. Each is a task of the
   * server's visibility queue and a row written (about 2 ms of this box per write, bench/findings.md).
   */
  visibilityWrites: number;
}

function count(events: temporal.api.history.v1.IHistoryEvent[]): HistoryCounts {
  const c: HistoryCounts = {
    events: events.length,
    workflowTasks: 0,
    activities: 0,
    ioSteps: 0,
    localActivities: 0,
    timers: 0,
    signalsSent: 0,
    signalsReceived: 0,
    updates: 0,
    children: 0,
    searchAttributeUpserts: 0,
    memoUpserts: 0,
    patchMarkers: 0,
    visibilityWrites: 0,
  };
  const scheduled = new Set<string>();
  for (const e of events) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        c.workflowTasks++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        c.activities++;
        scheduled.add(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
        c.ioSteps +=
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'setUpService' ? SET_UP_STEPS : 1;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') c.localActivities++;
        if (e.markerRecordedEventAttributes?.markerName === 'core_patch') c.patchMarkers++;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        c.timers++;
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        c.signalsSent++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        c.signalsReceived++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        c.updates++;
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        c.children++;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        c.searchAttributeUpserts++;
        c.visibilityWrites++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        c.memoUpserts++;
        c.visibilityWrites++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        c.visibilityWrites++;
        break;
      default:
        break;
    }
  }
  // Since 0.12.0 the review's poll publishes an approved service itself: a published service without an
  // `ensurePublished` activity made that call in its poll.
  const completed = events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  if (completed && scheduled.has('awaitReviewDecision') && !scheduled.has('ensurePublished')) c.ioSteps++;
  return c;
}

export type HistoryStats = Record<keyof HistoryCounts, ReturnType<typeof summarise>>;

function stats(list: HistoryCounts[]): HistoryStats {
  const keys = Object.keys(count([])) as (keyof HistoryCounts)[];
  return Object.fromEntries(keys.map((k) => [k, summarise(list.map((c) => c[k]))])) as HistoryStats;
}

export interface HistorySample {
  comuni: HistoryStats;
  services: HistoryStats;
  comuniSampled: number;
  servicesSampled: number;
  /** Sampled Comuni whose run continued as new. */
  continuedAsNew: number;
}

/** Histories of `sample` Comuni spread over the list, and of every service each of them started. */
export async function sampleHistories(
  client: Client,
  ipaCodes: readonly string[],
  sample: number,
): Promise<HistorySample> {
  const n = Math.min(sample, ipaCodes.length);
  const picked = Array.from({ length: n }, (_, i) => ipaCodes[Math.floor((i * ipaCodes.length) / n)]!);
  const comuni: HistoryCounts[] = [];
  const services: HistoryCounts[] = [];
  let continuedAsNew = 0;
  for (const ipa of picked) {
    const history = await client.workflow.getHandle(comuneWorkflowId(ipa)).fetchHistory();
    const events = history.events ?? [];
    if (events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)) {
      continuedAsNew++;
    }
    comuni.push(count(events));
    // Child ids from the history itself: exactly the services this Comune started.
    const childIds = events.flatMap((e) =>
      e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        ? [e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? '']
        : [],
    );
    for (const id of childIds.filter(Boolean)) {
      const child = await client.workflow.getHandle(id).fetchHistory();
      services.push(count(child.events ?? []));
    }
  }
  return {
    comuni: stats(comuni),
    services: stats(services),
    comuniSampled: comuni.length,
    servicesSampled: services.length,
    continuedAsNew,
  };
}
