import { Connection, type WorkflowClient } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/**
 * A run's history through a connection that accepts answers over gRPC's default 4 MiB. A Comune with 50 services
 * writes about 4.2 MB of history (each service's input in its start event, its read model in every memo upsert), and
 * the time-skipping server answers it in one page; the client's own connection refuses it (RESOURCE_EXHAUSTED, and
 * retries it for tens of seconds first).
 */
export async function fetchLargeHistory(
  client: WorkflowClient,
  workflowId: string,
  runId?: string,
): Promise<temporal.api.history.v1.IHistory> {
  const connection = await Connection.connect({
    address: (client.connection as Connection).options.address,
    channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
  try {
    const { history } = await connection.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
    });
    return history ?? { events: [] };
  } finally {
    await connection.close();
  }
}
