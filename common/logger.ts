import pino, { type Logger } from 'pino';

/**
 * Paths that may hold secrets anywhere in a log line. pino censors them before serialisation,
 * so a key passed by mistake in a context object never reaches the output.
 */
export const redactedPaths = [
  '*.apiKey',
  '*.api_key',
  '*.primary_key',
  '*.secondary_key',
  '*.primaryKey',
  '*.secondaryKey',
  '*.token',
  '*.password',
  '*.authorization',
  '*.Authorization',
  '*["Ocp-Apim-Subscription-Key"]',
  '*.headers.authorization',
  '*.headers["ocp-apim-subscription-key"]',
  'apiKey',
  'token',
  'password',
];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: redactedPaths, censor: '[REDACTED]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
