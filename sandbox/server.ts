import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../common/logger';
import { createSandboxApp, type SandboxApp } from './app';
import { PUBLICATION_DELAY_ENV, type SandboxOptions, type SandboxRuntime } from './runtime';
import { StateStore, type SandboxState } from './state-store';

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 = a random free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JSON file for the state (loaded at start, saved after changes). Absent = memory only. */
  dataFile?: string;
  /** Default 50 ms. */
  saveDebounceMs?: number;
}

export interface RunningSandbox {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  port: number;
  app: SandboxApp;
  /** Reviewer, faults, tokens, store: for tests that skip the admin API. */
  runtime: SandboxRuntime;
  /** The live state (services, institutions, portal, messages, counters). */
  readonly state: SandboxState;
  /** Writes pending state to the data file. */
  flush(): Promise<void>;
  /** Stops listening, drops open connections and saves the state. */
  close(): Promise<void>;
}

/** `SANDBOX_PUBLICATION_DELAY_MS` (ms, ≥ 0), for the embedded demo; undefined when unset. */
function publicationDelayFromEnv(): number | undefined {
  const raw = process.env[PUBLICATION_DELAY_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0)
    throw new Error(`${PUBLICATION_DELAY_ENV} must be a whole number of ms ≥ 0`);
  return ms;
}

export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const logger = options.logger ?? createLogger('sandbox');
  options = { ...options, publicationDelayMs: options.publicationDelayMs ?? publicationDelayFromEnv() };
  const store = await StateStore.open({
    dataFile: options.dataFile,
    debounceMs: options.saveDebounceMs,
    logger,
  });
  const app = createSandboxApp({ ...options, logger, store });
  const host = options.host ?? '127.0.0.1';

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, dataFile: options.dataFile ?? null }, 'sandbox listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    runtime: app.sandbox,
    get state() {
      return app.sandbox.state;
    },
    flush: () => store.flush(),
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.flush();
        logger.info({ url }, 'sandbox stopped');
      })();
      return closed;
    },
  };
}
