import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { installQuietRuntime } from '../support/temporal-env';

/**
 * The real engine started by scripts/real-engine/setup.sh (temporal-server on PostgreSQL): its address comes from
 * TEMPORAL_ENGINE_ADDRESS, and without it the engine tests are skipped so the normal suite stays fast.
 */
export const engineAddress = process.env.TEMPORAL_ENGINE_ADDRESS?.trim() || undefined;
export const engineNamespace = process.env.TEMPORAL_ENGINE_NAMESPACE?.trim() || 'default';

/** `describe` when an engine address is given, `describe.skip` otherwise. */
export const describeOnEngine: jest.Describe = engineAddress ? describe : describe.skip;

export interface EngineEnv {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  namespace: string;
  close(): Promise<void>;
}

/** Client and worker connections to the engine. Nothing is started: setup.sh owns the server's lifecycle. */
export async function connectToEngine(): Promise<EngineEnv> {
  if (!engineAddress) throw new Error('TEMPORAL_ENGINE_ADDRESS is not set: run scripts/real-engine/setup.sh');
  installQuietRuntime();
  const connection = await Connection.connect({ address: engineAddress });
  const nativeConnection = await NativeConnection.connect({ address: engineAddress });
  return {
    client: new Client({ connection, namespace: engineNamespace }),
    connection,
    nativeConnection,
    namespace: engineNamespace,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** A task queue of its own per run: the engine keeps every earlier run, and visibility queries filter on it. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
