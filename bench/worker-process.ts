import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startBenchWorkers, type BenchWorkerConfig } from './worker-setup';

/**
 * The bench's worker in a process of its own, as in production (`npm run start:worker` beside `npm run start:api`):
 * started by bench/environment.ts with its configuration in BENCH_WORKER_CONFIG and an IPC channel. It reports
 * each activity attempt's time to the bench in batches, and stops gracefully on SIGTERM, as worker/main.ts does.
 */

type Attempt = [type: string, ms: number, ok: boolean];
type FromBench = { type: 'flush' };

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/worker-process.ts runs under bench/environment.ts (IPC channel)');
  const send = (message: unknown) => process.send!(message);
  const config = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '') as BenchWorkerConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let pending: Attempt[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    send({ type: 'timings', records: pending });
    pending = [];
  };
  setInterval(flush, 500).unref();
  const workers = await startBenchWorkers(config, (type, ms, ok) => pending.push([type, ms, ok]));
  process.on('message', (message: FromBench) => {
    if (message.type === 'flush') {
      flush();
      send({ type: 'flushed' });
    }
  });
  const stop = () =>
    void workers.stop().then(() => {
      if (process.connected) flush();
      process.exit(0);
    });
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  console.error('bench worker process failed:', err);
  process.exit(1);
});
