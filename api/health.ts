import type { Client } from '@temporalio/client';
import { temporal, type google } from '@temporalio/proto';

/** A poller seen within this window counts as alive (the server's long polls last up to about a minute). */
const POLLER_FRESHNESS_MS = 75_000;
const CHECK_TIMEOUT_MS = 3_000;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  temporal: { reachable: boolean; error?: string };
  worker: { polling: boolean; pollers: number; lastSeen?: string };
  taskQueue: string;
}

function timestampToMs(ts: google.protobuf.ITimestamp | null | undefined): number | undefined {
  if (!ts?.seconds) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** 200 only when Temporal answers and a worker is polling the workflow task queue. */
export async function checkHealth(
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<HealthReport> {
  const report: HealthReport = {
    status: 'unavailable',
    temporal: { reachable: false },
    worker: { polling: false, pollers: 0 },
    taskQueue,
  };
  try {
    const response = await client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    report.temporal.reachable = true;
    const now = Date.now();
    const lastSeen = (response.pollers ?? [])
      .map((p) => timestampToMs(p.lastAccessTime))
      .filter((ms): ms is number => ms !== undefined && now - ms < POLLER_FRESHNESS_MS);
    report.worker.pollers = lastSeen.length;
    report.worker.polling = lastSeen.length > 0;
    if (lastSeen.length > 0) report.worker.lastSeen = new Date(Math.max(...lastSeen)).toISOString();
  } catch (err) {
    report.temporal.error = err instanceof Error ? err.message : String(err);
  }
  report.status = report.temporal.reachable && report.worker.polling ? 'ok' : 'unavailable';
  return report;
}
