/**
 * Runs the sandbox from the environment: `npx tsx sandbox/main.ts`.
 *
 *   SANDBOX_PORT (3100), SANDBOX_HOST (127.0.0.1), SANDBOX_DATA_FILE (memory only when unset),
 *   SANDBOX_LEGACY_PARTNER_KEY (former name SANDBOX_MANAGE_KEY; optional: the transitional partner-wide
 *   manage key, which real PagoPA does not have; institutions get their own keys when onboarded on prod-io),
 *   SANDBOX_LEGACY_PARTNER_KEY_ORG (former name SANDBOX_MANAGE_KEY_ORG; `any` or an 11-digit fiscal code),
 *   SANDBOX_SELFCARE_KEY (required), SANDBOX_ADMIN_TOKEN (admin API disabled when unset),
 *   SANDBOX_PUBLICATION_DELAY_MS (0), SANDBOX_CREATE_LATENCY_MS (2), SANDBOX_TRUST_FORWARDED_FOR (false),
 *   SANDBOX_PORTAL_USERNAME / SANDBOX_PORTAL_PASSWORD / SANDBOX_PORTAL_TENANT (`*`),
 *   SANDBOX_PORTAL_AUTOCREATE (false), SANDBOX_REVIEWER_MODE (approve|reject|manual),
 *   SANDBOX_REVIEW_DELAY_MS (0), SANDBOX_ERROR_RATE (0), SANDBOX_LATENCY_MS (0), SANDBOX_SEED (42).
 */
import { z } from 'zod';
import { createLogger } from '../common/logger';
import { reviewOutcomeSchema } from './reviewer';
import { startSandbox } from './server';

const secret = z.string().min(8, 'must be at least 8 characters');
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
  .pipe(secret.optional());

const legacyOrg = z.union([z.literal('any'), z.string().regex(/^[0-9]{11}$/)]).optional();

const envSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_DATA_FILE: z.string().optional(),
  SANDBOX_LEGACY_PARTNER_KEY: optionalSecret,
  SANDBOX_MANAGE_KEY: optionalSecret,
  SANDBOX_LEGACY_PARTNER_KEY_ORG: legacyOrg,
  SANDBOX_MANAGE_KEY_ORG: legacyOrg,
  SANDBOX_PUBLICATION_DELAY_MS: z.coerce.number().int().min(0).default(0),
  SANDBOX_CREATE_LATENCY_MS: z.coerce.number().int().min(0).default(2),
  SANDBOX_TRUST_FORWARDED_FOR: z.enum(['true', 'false']).default('false'),
  SANDBOX_SELFCARE_KEY: secret,
  SANDBOX_ADMIN_TOKEN: optionalSecret,
  SANDBOX_PORTAL_USERNAME: z.string().min(1).default('partner'),
  SANDBOX_PORTAL_PASSWORD: optionalSecret,
  SANDBOX_PORTAL_TENANT: z.string().min(1).default('*'),
  SANDBOX_PORTAL_AUTOCREATE: z.enum(['true', 'false']).default('false'),
  SANDBOX_REVIEWER_MODE: reviewOutcomeSchema.default('approve'),
  SANDBOX_REVIEW_DELAY_MS: z.coerce.number().int().min(0).default(0),
  SANDBOX_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  SANDBOX_SEED: z.coerce.number().int().default(42),
  LOG_LEVEL: z.string().default('info'),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    // Issue messages name the variable; values (possibly secrets) are never printed.
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    process.stderr.write(`Invalid sandbox configuration:\n${lines.join('\n')}\n`);
    process.exit(78);
  }
  const env = parsed.data;
  const logger = createLogger('sandbox', env.LOG_LEVEL);
  const legacyKey = env.SANDBOX_LEGACY_PARTNER_KEY ?? env.SANDBOX_MANAGE_KEY;
  const sandbox = await startSandbox({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    dataFile: env.SANDBOX_DATA_FILE || undefined,
    legacyPartnerKeys: legacyKey
      ? [
          {
            key: legacyKey,
            organizationFiscalCode: env.SANDBOX_LEGACY_PARTNER_KEY_ORG ?? env.SANDBOX_MANAGE_KEY_ORG ?? 'any',
          },
        ]
      : [],
    publicationDelayMs: env.SANDBOX_PUBLICATION_DELAY_MS,
    createLatencyMs: env.SANDBOX_CREATE_LATENCY_MS,
    trustForwardedFor: env.SANDBOX_TRUST_FORWARDED_FOR === 'true',
    selfcareKey: env.SANDBOX_SELFCARE_KEY,
    adminToken: env.SANDBOX_ADMIN_TOKEN,
    portalCredentials: env.SANDBOX_PORTAL_PASSWORD
      ? [
          {
            tenant: env.SANDBOX_PORTAL_TENANT,
            username: env.SANDBOX_PORTAL_USERNAME,
            password: env.SANDBOX_PORTAL_PASSWORD,
          },
        ]
      : [],
    portal: { autoCreateServices: env.SANDBOX_PORTAL_AUTOCREATE === 'true' },
    reviewer: { mode: env.SANDBOX_REVIEWER_MODE, reviewDelayMs: env.SANDBOX_REVIEW_DELAY_MS },
    faults: { errorRate: env.SANDBOX_ERROR_RATE, latencyMs: env.SANDBOX_LATENCY_MS, seed: env.SANDBOX_SEED },
    logger,
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'sandbox stopping');
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'sandbox stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
