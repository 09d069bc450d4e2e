import type { Client } from '@temporalio/client';
import { temporal, type google } from '@temporalio/proto';

/** A poller seen within this window counts as alive (the server's long polls last up to about a minute). */
const POLLER_FRESHNESS_MS = 75_000;
const CHECK_TIMEOUT_MS = 3_000;

interface Polling {
  polling: boolean;
  pollers: number;
  lastSeen?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  temporal: { reachable: boolean; error?: string };
  /** Every task queue below polled (`polling`), by this many pollers in all. */
  worker: Polling;
  /** The Comuni's task queue. */
  taskQueue: string;
  /** Each workflow task queue a worker must poll (the Comuni's, the services' when they have their own). */
  taskQueues: (Polling & { name: string })[];
}

function timestampToMs(ts: google.protobuf.ITimestamp | null | undefined): number | undefined {
  if (!ts?.seconds) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** The workers polling one workflow task queue (seen within the last long poll). */
async function pollingOf(client: Client, namespace: string, name: string): Promise<Polling> {
  const response = await client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
    client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  const now = Date.now();
  const lastSeen = (response.pollers ?? [])
    .map((p) => timestampToMs(p.lastAccessTime))
    .filter((ms): ms is number => ms !== undefined && now - ms < POLLER_FRESHNESS_MS);
  return {
    polling: lastSeen.length > 0,
    pollers: lastSeen.length,
    ...(lastSeen.length > 0 ? { lastSeen: new Date(Math.max(...lastSeen)).toISOString() } : {}),
  };
}

/**
 * 200 only when Temporal answers and a worker polls each workflow task queue: the Comuni's and, when they have their
 * own, the services' (one worker process may poll both, or one process each: WORKER_QUEUES).
 */
export async function checkHealth(
  client: Client,
  namespace: string,
  taskQueue: string,
  servicesTaskQueue?: string,
): Promise<HealthReport> {
  const names =
    servicesTaskQueue && servicesTaskQueue !== taskQueue ? [taskQueue, servicesTaskQueue] : [taskQueue];
  const report: HealthReport = {
    status: 'unavailable',
    temporal: { reachable: false },
    worker: { polling: false, pollers: 0 },
    taskQueue,
    taskQueues: names.map((name) => ({ name, polling: false, pollers: 0 })),
  };
  try {
    report.taskQueues = await Promise.all(
      names.map(async (name) => ({ name, ...(await pollingOf(client, namespace, name)) })),
    );
    report.temporal.reachable = true;
    const seen = report.taskQueues.flatMap((q) => (q.lastSeen ? [q.lastSeen] : []));
    report.worker = {
      polling: report.taskQueues.every((q) => q.polling),
      pollers: report.taskQueues.reduce((sum, q) => sum + q.pollers, 0),
      ...(seen.length > 0 ? { lastSeen: seen.sort().at(-1)! } : {}),
    };
  } catch (err) {
    report.temporal.error = err instanceof Error ? err.message : String(err);
  }
  report.status = report.temporal.reachable && report.worker.polling ? 'ok' : 'unavailable';
  return report;
}
