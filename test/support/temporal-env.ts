import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataConverter, LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { allSearchAttributeKeys } from '../../contracts/search-attributes';
import { resolveTemporalBinaries } from '../../common/temporal-binaries';
import { devServerDynamicConfigArgs, registerSearchAttributes } from '../../common/temporal';
import { createLogger } from '../../common/logger';
import { ReadModelStore } from '../../common/read-model-store';
import { readModelSinks } from '../../worker/read-model-sink';
import { LevelledTemporalLogger } from '../../worker/temporal-logger';
import { RUN_DIR_ENV } from './run-dir';

const bundlePath = path.resolve(__dirname, '../../.temporal/test-workflow-bundle.js');

/**
 * The worker's completions of a workflow task that the server refused, most recent last (at most 20): the SDK's core
 * logs each one («Error while completing workflow activation») and goes on; the server may then hold the task as
 * started for ever (the time-skipping server refuses, for one, the cancel of an activity that has just completed).
 * lostWorkflowTasks names them in its message.
 */
const refusedCompletions: string[] = [];
export const recentRefusedCompletions = (): readonly string[] => refusedCompletions;

/** Logs as `shown` does, and keeps the refused completions the core's warnings report. */
class TestRuntimeLogger extends LevelledTemporalLogger {
  constructor(private readonly shown: Logger) {
    super();
  }
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message.startsWith('Error while completing workflow activation')) {
      const fields = ['error', 'run_id', 'workflow_id']
        .filter((k) => meta?.[k] !== undefined)
        .map((k) => `${k}=${String(meta![k])}`);
      refusedCompletions.push(`${message} ${fields.join(' ')}`.trim());
      if (refusedCompletions.length > 20) refusedCompletions.shift();
    }
    this.shown.log(level, message, meta);
  }
}

let runtimeInstalled = false;
/**
 * Keep the SDK quiet in tests unless TEST_LOG_LEVEL asks otherwise. The core's own warnings are forwarded to the same
 * logger, so that the refused completions are kept whatever the level shown.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TEST_LOG_LEVEL ?? 'WARN') as 'WARN';
  Runtime.install({
    logger: new TestRuntimeLogger(new DefaultLogger(level)),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
    },
  });
}

/** The workflow bundle built once by globalSetup (falls back to bundling if a single file is run oddly). */
export function workflowBundle(): NonNullable<WorkerOptions['workflowBundle']> {
  if (fs.existsSync(bundlePath)) return { codePath: bundlePath };
  throw new Error(`${bundlePath} missing: run the tests through jest (globalSetup builds it)`);
}

/**
 * The journeys' read-model sink for a test worker (worker/read-model-sink.ts): into `store` (an API context's, so its
 * pages read what the worker wrote), by default into a folder of this test process. Every worker of the workflow
 * bundle needs it: the bundle's interceptor hands the documents to it at each workflow task.
 */
export function testReadModelSinks(store?: ReadModelStore): WorkerOptions['sinks'] {
  const target = store ?? (defaultReadModel ??= processReadModel());
  return readModelSinks(target, createLogger('test-read-model', 'silent'));
}
let defaultReadModel: ReadModelStore | undefined;
function processReadModel(): ReadModelStore {
  // In the run's folder, which globalTeardown removes (a test file's `process.once('exit')` never ran).
  const dir = fs.mkdtempSync(path.join(process.env[RUN_DIR_ENV] ?? os.tmpdir(), 'io-read-model-'));
  return new ReadModelStore(dir);
}

/**
 * Time-skipping server (Java test server provisioned by scripts/provision-temporal.sh), the project's search
 * attributes registered unless `searchAttributes: false` (a test of the registration itself).
 */
export async function createTimeSkippingEnv(
  options: { searchAttributes?: false } = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const { testServerPath } = resolveTemporalBinaries();
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    testServerPath ? { server: { executable: { type: 'existing-path', path: testServerPath } } } : {},
  );
  // The Java test server implements the operator API: the workflows upsert these attributes.
  if (options.searchAttributes !== false) {
    await registerSearchAttributes(
      env.connection,
      env.namespace ?? 'default',
      createLogger('test', 'silent'),
    );
  }
  return env;
}

/**
 * A real dev server (Temporal CLI, in-memory SQLite) with the project's search attributes created at its start, unless
 * `searchAttributes: false` (a server that gets them while it runs, as a data file of an earlier release does).
 * `dataConverter` (e.g. the payload codec) is given to `env.client`; pass the same one to the test's worker.
 */
export async function createDevServerEnv(
  options: { dataConverter?: DataConverter; searchAttributes?: false } = {},
): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const { cliPath } = resolveTemporalBinaries();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cliPath ? { executable: { type: 'existing-path', path: cliPath } } : {}),
      ...(options.searchAttributes === false ? {} : { searchAttributes: allSearchAttributeKeys }),
      ip: '127.0.0.1',
      // As every dev server the project starts (common/temporal.ts): the search attributes are given above.
      extraArgs: devServerDynamicConfigArgs(),
    },
    ...(options.dataConverter ? { client: { dataConverter: options.dataConverter } } : {}),
  });
}
