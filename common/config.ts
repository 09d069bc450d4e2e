import path from 'node:path';
import { z } from 'zod';

/** `Boolean("false")` is true: parse booleans explicitly and refuse anything else. */
const envBoolean = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: 'must be one of true, false, 1, 0, yes, no',
    })
    .default(defaultValue ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = (defaultValue: number) => z.coerce.number().int().min(1).max(65535).default(defaultValue);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
const optionalUrl = z
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));

/**
 * Every environment variable the back office reads, with its default. Parsed once at start-up:
 * a bad value stops the process with a message that names the variable.
 */
export const configSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('data'),

  // API
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),

  // Temporal: when TEMPORAL_ADDRESS is unset the launcher starts an embedded dev server.
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('io-onboarding'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: envBoolean(false),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_CA_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_DEV_SERVER_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_UI_URL: optionalUrl,
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,
});

export type Config = z.infer<typeof configSchema> & {
  /** Absolute data folder. */
  dataDir: string;
  /** Whether the launcher runs an embedded dev server (no TEMPORAL_ADDRESS given). */
  embeddedTemporal: boolean;
  /** The address the API and the worker connect to. */
  temporalAddress: string;
  /** The Temporal Web UI base URL, for links from the console. */
  temporalUiUrl: string;
};

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const c = parsed.data;
  if (c.TEMPORAL_TLS_CERT_PATH && !c.TEMPORAL_TLS_KEY_PATH) {
    throw new ConfigError([
      { variable: 'TEMPORAL_TLS_KEY_PATH', message: 'required when TEMPORAL_TLS_CERT_PATH is set' },
    ]);
  }
  const embeddedTemporal = c.TEMPORAL_ADDRESS === undefined;
  return {
    ...c,
    dataDir: path.resolve(c.DATA_DIR),
    embeddedTemporal,
    temporalAddress: c.TEMPORAL_ADDRESS ?? `127.0.0.1:${c.TEMPORAL_DEV_SERVER_PORT}`,
    temporalUiUrl: c.TEMPORAL_UI_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`,
  };
}

/** For entry points: parse or print the problem and exit. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
