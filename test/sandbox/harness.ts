import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, redactedPaths, type Logger } from '../../common/logger';
import type { ServicePayload } from '../../integrations/io/schemas';
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../sandbox';

/** Manage API answers are read loosely in tests (the clients' tests use the zod schemas). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export const MANAGE_KEY = 'test-manage-key-any-0001';
export const ORG_FC = '00123456789';
export const OTHER_FC = '00987654321';
export const ORG_MANAGE_KEY = 'test-manage-key-org-0002';
export const SELFCARE_KEY = 'test-selfcare-key-0003';
export const ADMIN_TOKEN = 'test-admin-token-0004';
export const PORTAL = { tenant: 'comune-di-prova', username: 'partner', password: 'portal-password-0005' };
/** A 1×1 PNG. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AwAI/AL+p5qgoAAAAABJRU5ErkJggg==';

export const silentLogger: Logger = createLogger('test', 'silent');

/** A pino logger at debug level that keeps every line, to assert that no secret was logged. */
export function capturingLogger(): { logger: Logger; output: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: redactedPaths, censor: '[REDACTED]' } }, stream);
  return { logger, output: () => lines.join('') };
}

export function servicePayload(overrides: Partial<ServicePayload> = {}): ServicePayload {
  return {
    name: 'Prenotazione sale comunali',
    description: 'Prenota le **sale comunali** per eventi e riunioni.',
    organization: { name: 'Comune di Prova', fiscal_code: ORG_FC },
    authorized_cidrs: ['127.0.0.1/32'],
    authorized_recipients: [],
    max_allowed_payment_amount: 0,
    require_secure_channel: false,
    ...overrides,
    metadata: {
      scope: 'LOCAL',
      topic_id: 14,
      privacy_url: 'https://www.comune.prova.it/privacy',
      email: 'protocollo@comune.prova.it',
      ...overrides.metadata,
    },
  };
}

export interface TestSandbox {
  sb: RunningSandbox;
  dir: string;
  dataFile: string;
  url: string;
  /** Calls the admin API; returns status and parsed JSON (undefined for 204). */
  admin: (method: string, p: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
  /** Calls the manage API with the `any` key. */
  manage: (
    method: string,
    p: string,
    body?: unknown,
    key?: string,
  ) => Promise<{ status: number; body: Json }>;
  stop: () => Promise<void>;
}

export function baseOptions(dataFile?: string): StartSandboxOptions {
  return {
    port: 0,
    dataFile,
    manageKeys: [
      { key: MANAGE_KEY, organizationFiscalCode: 'any' },
      { key: ORG_MANAGE_KEY, organizationFiscalCode: ORG_FC },
    ],
    selfcareKey: SELFCARE_KEY,
    adminToken: ADMIN_TOKEN,
    portalCredentials: [PORTAL],
    logger: silentLogger,
    saveDebounceMs: 5,
  };
}

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

export async function startTestSandbox(
  overrides: Partial<StartSandboxOptions> = {},
  existingDir?: string,
): Promise<TestSandbox> {
  const dir = existingDir ?? (await mkdtemp(path.join(tmpdir(), 'io-sandbox-')));
  const dataFile = path.join(dir, 'sandbox.json');
  const sb = await startSandbox({ ...baseOptions(dataFile), ...overrides });
  return {
    sb,
    dir,
    dataFile,
    url: sb.url,
    admin: (method, p, body) =>
      call(`${sb.url}/__admin${p}`, method, { authorization: `Bearer ${ADMIN_TOKEN}` }, body),
    manage: async (method, p, body, key = MANAGE_KEY) =>
      (await call(`${sb.url}/api/v1/manage${p}`, method, { 'Ocp-Apim-Subscription-Key': key }, body)) as {
        status: number;
        body: Json;
      },
    stop: async () => {
      await sb.close();
      if (!existingDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
