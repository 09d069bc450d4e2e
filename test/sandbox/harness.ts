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
/** A Comune whose prod-io onboarding is still pending: no manage key yet. */
export const PENDING_FC = '00555555555';

/** Selfcare seeds: ORG_FC and OTHER_FC onboarded on prod-io (each gets its manage keys), PENDING_FC not yet. */
export function onboardedInstitutions(): NonNullable<StartSandboxOptions['institutions']> {
  return {
    [ORG_FC]: { description: 'Comune di Prova', onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }] },
    [OTHER_FC]: { description: 'Comune di Altro', onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }] },
    [PENDING_FC]: {
      description: 'Comune in attesa',
      onboarding: [{ productId: 'prod-io', status: 'PENDING' }],
    },
  };
}
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
  /** Calls the manage API with the `any` key (a legacy partner key) or the one given. */
  manage: (
    method: string,
    p: string,
    body?: unknown,
    key?: string,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: Json; headers: Headers }>;
  /** An institution's manage keys, read from the admin API (the back office's "Chiavi API di gestione"). */
  manageKeys: (fiscalCode: string) => Promise<{ primary_key: string; secondary_key: string }>;
  stop: () => Promise<void>;
}

export function baseOptions(dataFile?: string): StartSandboxOptions {
  return {
    port: 0,
    dataFile,
    // The transitional partner-wide keys (the product's IO_MANAGE_API_KEY today); institutions' own keys are
    // issued when they are onboarded on prod-io.
    legacyPartnerKeys: [
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
    manage: async (method, p, body, key = MANAGE_KEY, headers = {}) =>
      (await call(
        `${sb.url}/api/v1/manage${p}`,
        method,
        { ...headers, 'Ocp-Apim-Subscription-Key': key },
        body,
      )) as { status: number; body: Json; headers: Headers },
    manageKeys: async (fiscalCode) => {
      const res = await call(`${sb.url}/__admin/institutions/${fiscalCode}/manage-keys`, 'GET', {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      });
      if (res.status !== 200) throw new Error(`manage keys of ${fiscalCode}: HTTP ${res.status}`);
      return res.body as { primary_key: string; secondary_key: string };
    },
    stop: async () => {
      await sb.close();
      if (!existingDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
