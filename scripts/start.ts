/**
 * The back office from one command: an embedded Temporal dev server (unless TEMPORAL_ADDRESS points to a cluster),
 * the custom search attributes, the worker and the API as child processes. Ctrl-C stops them in order: API, worker,
 * then Temporal, so in-flight work is finished or left in history, never half-done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfigOrExit, type Config } from '../common/config';
import { createLogger } from '../common/logger';
import { devServerArgs, registerSearchAttributes, temporalConnectionOptions } from '../common/temporal';
import { resolveTemporalBinaries } from '../common/temporal-binaries';
import { startEmbeddedServices, type EmbeddedServices } from './embedded-services';

const config = loadConfigOrExit();
const logger = createLogger('launcher', config.LOG_LEVEL);

interface Supervised {
  name: string;
  child?: ChildProcess;
  stopping: boolean;
  restarts: number;
}

const children: Supervised[] = [];
let shuttingDown = false;
let embedded: EmbeddedServices | undefined;
let downloadedServer: TestWorkflowEnvironment | undefined;

function startDevServer(cliPath: string): Supervised {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(config.dataDir, 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(config.TEMPORAL_DEV_SERVER_PORT),
    '--ui-port',
    String(config.TEMPORAL_UI_PORT),
    '--namespace',
    config.TEMPORAL_NAMESPACE,
    '--log-level',
    'warn',
    ...devServerArgs(),
  ];
  const entry: Supervised = { name: 'temporal', stopping: false, restarts: 0 };
  // Own process group: Ctrl-C reaches the launcher only, which stops Temporal last.
  entry.child = spawn(cliPath, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  entry.child.on('exit', (code, signal) => {
    if (!entry.stopping) {
      logger.fatal({ code, signal }, 'Temporal dev server exited');
      void shutdown(1);
    }
  });
  children.push(entry);
  return entry;
}

/**
 * No provisioned CLI (a machine without Go): the SDK downloads the same dev server and runs it with the same
 * options, so a machine with internet access needs nothing more.
 */
async function startDownloadedDevServer(): Promise<void> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      dbFilename: path.join(config.dataDir, 'temporal.db'),
      ip: '127.0.0.1',
      port: config.TEMPORAL_DEV_SERVER_PORT,
      ui: true,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      extraArgs: devServerArgs(),
    },
  });
  downloadedServer = env;
}

async function waitForTemporal(cfg: Config, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({
        ...temporalConnectionOptions(cfg),
        connectTimeout: 2_000,
      });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function startNodeProcess(name: string, script: string, env: NodeJS.ProcessEnv): Supervised {
  const entry: Supervised = { name, stopping: false, restarts: 0 };
  const launch = () => {
    entry.child = spawn(process.execPath, [path.join(__dirname, script)], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
      detached: true,
    });
    entry.child.on('exit', (code, signal) => {
      if (entry.stopping || shuttingDown) return;
      entry.restarts += 1;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(entry.restarts, 5));
      logger.error({ process: name, code, signal, restartInMs: delay }, 'process exited; restarting');
      setTimeout(launch, delay).unref();
    });
  };
  launch();
  children.push(entry);
  return entry;
}

function stopChild(entry: Supervised, timeoutMs: number): Promise<void> {
  entry.stopping = true;
  const child = entry.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ process: entry.name }, 'did not stop in time; killing');
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info('stopping the back office');
  const byName = (n: string) => children.filter((c) => c.name === n);
  for (const c of byName('api')) await stopChild(c, 5_000);
  for (const c of byName('worker')) await stopChild(c, 20_000);
  await embedded?.close();
  for (const c of byName('temporal')) await stopChild(c, 10_000);
  await downloadedServer?.teardown();
  logger.info('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Last resort if the launcher dies on an exception: leave no orphan holding the SQLite file.
process.on('exit', () => {
  for (const c of children) if (c.child && c.child.exitCode === null) c.child.kill('SIGKILL');
});

async function main(): Promise<void> {
  if (config.embeddedTemporal) {
    const { cliPath } = resolveTemporalBinaries();
    logger.info(
      { dbFile: path.join(config.dataDir, 'temporal.db'), ui: config.temporalUiUrl, downloaded: !cliPath },
      'starting the embedded Temporal dev server',
    );
    if (cliPath) startDevServer(cliPath);
    else await startDownloadedDevServer();
  } else {
    logger.info(
      { address: config.temporalAddress, namespace: config.TEMPORAL_NAMESPACE },
      'using Temporal cluster',
    );
  }
  const connection = await waitForTemporal(config, 60_000);
  await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE, logger);
  await connection.close();

  embedded = await startEmbeddedServices(config, logger);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...embedded.env,
    TEMPORAL_ADDRESS: config.temporalAddress,
  };
  startNodeProcess('worker', '../worker/main.js', env);
  startNodeProcess('api', '../api/main.js', env);
  logger.info(
    {
      api: `http://${config.HOST}:${config.PORT}`,
      temporalUi: config.embeddedTemporal ? config.temporalUiUrl : undefined,
    },
    'back office starting; Ctrl-C stops everything',
  );
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'the back office could not start');
  void shutdown(1);
});
