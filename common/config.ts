import path from 'node:path';
import { z } from 'zod';
import { TASK_QUEUE_NAME } from '../contracts/ids';

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
/** Comma-separated e-mail addresses. */
const emailList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.email({ error: 'comma-separated e-mail addresses' })));
const positive = (defaultValue: number) => z.coerce.number().positive().default(defaultValue);
/** A non-negative count where 0 turns the limit off; blank counts as unset (not as 0). */
const limitCount = (defaultValue: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(0).max(1_000_000).default(defaultValue),
  );
const payloadKeyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"');
const isAes256KeyBase64 = (v: string) =>
  /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32;
const aes256KeyMessage = '32 random bytes in base64 (e.g. `openssl rand -base64 32`)';
/** `id:base64key,id:base64key` */
const payloadKeyList = z.string().refine(
  (v) =>
    v
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .every((item) => {
        const [id = '', key = ''] = item.split(':');
        return payloadKeyId.safeParse(id).success && isAes256KeyBase64(key);
      }),
  `comma-separated id:key pairs, each key ${aes256KeyMessage}`,
);

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

  // PagoPA and the Comuni's portal. Unset IO_MANAGE_BASE_URL: the launcher runs the local sandbox and fills these.
  IO_MANAGE_BASE_URL: optionalUrl,
  /**
   * Legacy only: the partner-wide manage key of the first releases. PagoPA has no such key (a manage key belongs to
   * one institution); journeys that reached the services before the stage «Accesso a IO» (0.5.0) keep using it
   * where it is set. New journeys never do: each Comune's own key is recorded at that stage.
   */
  IO_MANAGE_API_KEY: optionalString,
  /**
   * Key-encryption key of the Comuni's manage keys at rest (AES-256-GCM, integrations/keys/manage-key-store.ts):
   * 32 random bytes in base64. Required with IO_MANAGE_BASE_URL; the launcher makes one in embedded mode.
   */
  MANAGE_KEYS_KEK: optionalString.pipe(z.string().refine(isAes256KeyBase64, aes256KeyMessage).optional()),
  MANAGE_KEYS_KEK_ID: payloadKeyId.default('kek1'),
  /** Retired KEKs kept to open records sealed before a rotation: `id:base64key,id:base64key`. */
  MANAGE_KEYS_PREVIOUS_KEKS: optionalString.pipe(payloadKeyList.optional()),
  /**
   * `;`-separated addresses (IPv4 or CIDR) the worker and the API call IO's manage API from: each Comune's manage
   * key must authorise them, and a key refused with 403 names them. Default PARTNER_AUTHORIZED_CIDRS.
   */
  IO_PARTNER_ADDRESSES: optionalString,
  /** Where the sealed manage keys live (one file per Comune); default `<DATA_DIR>/manage-keys`. */
  MANAGE_KEYS_DIR: optionalString,
  /**
   * Where the worker writes the pages' read model and the API reads it (one folder per Comune); default
   * `<DATA_DIR>/read-model`. Shared by the API and the worker, like the manage keys.
   */
  READ_MODEL_DIR: optionalString,
  IO_MESSAGES_BASE_URL: optionalUrl,
  SELFCARE_BASE_URL: optionalUrl,
  /** Without it the adhesion check is recorded by staff. */
  SELFCARE_API_KEY: optionalString,
  PORTAL_BASE_URL: optionalUrl,
  PORTAL_USERNAME: optionalString,
  PORTAL_PASSWORD: optionalString,
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * How long `POST /services/{id}/release` may answer 404 after approval (PagoPA writes the published copy later,
   * through a queue) before staff are told. Counted from the publish activity's first attempt.
   */
  IO_PUBLICATION_WAIT_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /**
   * Service creations in flight at once in this process. PagoPA's gateway allows 10 across all its users:
   * worker processes × this ≤ 10.
   */
  IO_MAX_CONCURRENT_CREATIONS: z.coerce.number().int().min(1).max(10).default(5),

  // The local sandbox (embedded mode only).
  SANDBOX_PORT: port(3100),
  SANDBOX_ADMIN_TOKEN: optionalString,
  SANDBOX_REVIEWER: z.enum(['approve', 'reject', 'manual']).default('approve'),
  SANDBOX_REVIEW_DELAY_MS: z.coerce.number().int().min(0).default(60_000),

  // E-mail. Unset SMTP_HOST: the launcher runs a local SMTP catcher whose messages the API lists (outbox).
  SMTP_HOST: optionalString,
  SMTP_PORT: port(587),
  SMTP_SECURE: envBoolean(false),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  MAIL_FROM: z.string().min(3).default('Back office App IO <noreply@localhost.localdomain>'),
  SMTP_CATCHER_PORT: port(2525),
  /** The SMTP catcher's outbox folder, listed by the API (set by the launcher in embedded mode). */
  MAIL_OUTBOX_DIR: optionalString,

  // The partner running the back office.
  PARTNER_NAME: z.string().trim().min(2).default('Partner tecnologico'),
  STAFF_EMAILS: emailList,
  MANAGER_EMAILS: emailList,
  PARTNER_CONTACT_EMAIL: z
    .email()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  PARTNER_CONTACT_PHONE: optionalString,

  // The partner's delegate each Comune appoints as Selfcare "Amministratore", and card defaults.
  DELEGATE_GIVEN_NAME: z.string().trim().min(1).default('Mario'),
  DELEGATE_SURNAME: z.string().trim().min(1).default('Rossi'),
  DELEGATE_FISCAL_CODE: z
    .string()
    .regex(/^[A-Z0-9]{16}$/i, '16-character personal fiscal code')
    .default('RSSMRA85T10A562S'),
  DELEGATE_EMAIL: z.email().default('delegato@partner.example'),
  /** `;`-separated IPv4 CIDRs the portal calls IO from (authorized_cidrs of every card). */
  PARTNER_AUTHORIZED_CIDRS: z.string().min(9).default('203.0.113.10/32'),
  PARTNER_SUPPORT_URL: optionalUrl,
  /** A 300×300 PNG used as logo when a Comune has none uploaded; unset: a plain white placeholder. */
  DEFAULT_LOGO_PATH: optionalString,
  CONTRACT_DURATION_DAYS: z.coerce.number().int().min(1).max(1000).default(240),

  // API security.
  /** OIDC JWTs accepted besides back-office tokens when set (issuer, audience and JWKS URL). */
  OIDC_ISSUER: optionalUrl,
  OIDC_AUDIENCE: optionalString,
  OIDC_JWKS_URL: optionalUrl,
  OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  /** Requests ending 401 per client IP in 15 minutes before further unauthenticated ones get 429; 0 = no limit. */
  RATE_LIMIT_AUTH_FAILURES: limitCount(300),
  /** POST/PUT/PATCH/DELETE under /api/v1 per token per minute; 0 = no limit. */
  RATE_LIMIT_WRITES_PER_MINUTE: limitCount(300),

  // Payload encryption (AES-256-GCM codec, common/payload-codec.ts): unset = payloads stored as plain JSON.
  PAYLOAD_ENCRYPTION_KEY: optionalString.pipe(
    z.string().refine(isAes256KeyBase64, aes256KeyMessage).optional(),
  ),
  PAYLOAD_ENCRYPTION_KEY_ID: payloadKeyId.default('k1'),
  /** Retired keys kept to read older payloads after a rotation: `id:base64key,id:base64key`. */
  PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: optionalString.pipe(payloadKeyList.optional()),

  // Journey defaults applied to Comuni started from now on.
  REMINDER_INTERVAL_DAYS: positive(7),
  ESCALATION_LADDER_DAYS: z
    .string()
    .default('60,30,14,7,1')
    .transform((v) => v.split(',').map((d) => Number(d.trim())))
    .pipe(z.array(z.number().int().positive().max(365)).min(1).max(10)),
  SIGNED_FORM_LINK_VALIDITY_DAYS: positive(30),
  MAX_PARALLEL_SERVICES: z.coerce.number().int().min(1).max(50).default(5),
  /** After completion, days a journey keeps checking that its services stay published in App IO; 0: none. */
  POST_COMPLETION_WATCH_DAYS: z.coerce.number().int().min(0).max(730).default(365),
  /** Hours between two checks of a completed journey's published services. */
  WATCH_CHECK_EVERY_HOURS: z.coerce.number().positive().max(168).default(24),
  REVIEW_POLL_INITIAL_MINUTES: positive(60),
  REVIEW_POLL_MAX_HOURS: positive(12),
  /**
   * Workflows each worker (the Comuni's, the services') keeps in memory between their tasks; one evicted replays its
   * history at its next task. The worker's memory is bounded by it: README, «Sizing a worker».
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(10).max(100_000).default(150),
  /**
   * Task queue of the service workflows, polled by the worker beside TEMPORAL_TASK_QUEUE with its own slots and
   * pollers, so a staff step on a Comune never waits behind the services' workflow tasks. Unset: the main queue's
   * name with `-services` (since 0.6.0); the main queue's own name to share one queue. Fixed per journey at its start.
   */
  TEMPORAL_SERVICES_TASK_QUEUE: optionalString.pipe(
    z.string().regex(TASK_QUEUE_NAME, 'letters, digits and _.:- (at most 200)').optional(),
  ),
  /**
   * Which task queues this worker process polls: `all` (default: both, in one process), `comuni` (the Comuni's
   * journeys, the staff steps' Updates and the bulk jobs) or `services` (the service workflows). Two processes, one
   * `comuni` and one `services` (or several), keep the staff steps' workflow tasks off the event loop the services'
   * activities keep busy, where cores allow it (BENCHMARKS.md, «two worker processes»).
   */
  WORKER_QUEUES: z.enum(['all', 'comuni', 'services']).default('all'),
});

export type Config = Omit<z.infer<typeof configSchema>, 'TEMPORAL_SERVICES_TASK_QUEUE'> & {
  /** The service workflows' task queue: TEMPORAL_TASK_QUEUE itself when they share it. */
  TEMPORAL_SERVICES_TASK_QUEUE: string;
  /** Absolute data folder. */
  dataDir: string;
  /** Whether the launcher runs an embedded dev server (no TEMPORAL_ADDRESS given). */
  embeddedTemporal: boolean;
  /** The address the API and the worker connect to. */
  temporalAddress: string;
  /** The Temporal Web UI base URL, for links from the console. */
  temporalUiUrl: string;
  /** Whether the launcher runs the local PagoPA sandbox (no IO_MANAGE_BASE_URL given). */
  embeddedSandbox: boolean;
  /** Whether the launcher runs the local SMTP catcher (no SMTP_HOST given). */
  embeddedMail: boolean;
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
  if (c.IO_MANAGE_BASE_URL && !c.MANAGE_KEYS_KEK) {
    throw new ConfigError([
      {
        variable: 'MANAGE_KEYS_KEK',
        message: `required when IO_MANAGE_BASE_URL is set (the Comuni's manage keys are sealed with it): ${aes256KeyMessage}`,
      },
    ]);
  }
  if (
    c.MANAGE_KEYS_KEK &&
    c.MANAGE_KEYS_PREVIOUS_KEKS?.split(',').some((item) => item.trim().split(':')[0] === c.MANAGE_KEYS_KEK_ID)
  ) {
    throw new ConfigError([
      {
        variable: 'MANAGE_KEYS_PREVIOUS_KEKS',
        message: `must not reuse the current KEK id ${c.MANAGE_KEYS_KEK_ID}`,
      },
    ]);
  }
  if (c.OIDC_ISSUER && (!c.OIDC_AUDIENCE || !c.OIDC_JWKS_URL)) {
    throw new ConfigError([
      {
        variable: c.OIDC_AUDIENCE ? 'OIDC_JWKS_URL' : 'OIDC_AUDIENCE',
        message: 'required when OIDC_ISSUER is set',
      },
    ]);
  }
  if (c.SELFCARE_API_KEY && !c.SELFCARE_BASE_URL && c.IO_MANAGE_BASE_URL) {
    throw new ConfigError([
      { variable: 'SELFCARE_BASE_URL', message: 'required when SELFCARE_API_KEY is set' },
    ]);
  }
  if (
    c.PAYLOAD_ENCRYPTION_KEY &&
    c.PAYLOAD_ENCRYPTION_PREVIOUS_KEYS?.split(',').some(
      (item) => item.trim().split(':')[0] === c.PAYLOAD_ENCRYPTION_KEY_ID,
    )
  ) {
    throw new ConfigError([
      {
        variable: 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS',
        message: `must not reuse the current key id ${c.PAYLOAD_ENCRYPTION_KEY_ID}`,
      },
    ]);
  }
  const servicesTaskQueue = c.TEMPORAL_SERVICES_TASK_QUEUE ?? `${c.TEMPORAL_TASK_QUEUE}-services`;
  if (c.WORKER_QUEUES !== 'all' && servicesTaskQueue === c.TEMPORAL_TASK_QUEUE) {
    throw new ConfigError([
      {
        variable: 'WORKER_QUEUES',
        message: `must be "all" while the services share the task queue ${c.TEMPORAL_TASK_QUEUE} (TEMPORAL_SERVICES_TASK_QUEUE)`,
      },
    ]);
  }
  return {
    ...c,
    TEMPORAL_SERVICES_TASK_QUEUE: servicesTaskQueue,
    dataDir: path.resolve(c.DATA_DIR),
    embeddedTemporal,
    temporalAddress: c.TEMPORAL_ADDRESS ?? `127.0.0.1:${c.TEMPORAL_DEV_SERVER_PORT}`,
    temporalUiUrl: c.TEMPORAL_UI_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`,
    embeddedSandbox: c.IO_MANAGE_BASE_URL === undefined,
    embeddedMail: c.SMTP_HOST === undefined,
  };
}

export type IoLimits = Pick<Config, 'IO_PUBLICATION_WAIT_MINUTES' | 'IO_MAX_CONCURRENT_CREATIONS'>;

/**
 * Only the IO limits, for the activities and the IO client, which are built without the whole configuration. The
 * worker parsed every variable at start-up, so a bad value has already stopped it with a message naming it.
 */
export function ioLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): IoLimits {
  return configSchema
    .pick({ IO_PUBLICATION_WAIT_MINUTES: true, IO_MAX_CONCURRENT_CREATIONS: true })
    .parse(env);
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
