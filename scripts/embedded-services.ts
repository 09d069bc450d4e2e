import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import { startSmtpCatcher, type SmtpCatcher } from '../integrations/mail';
import { startSandbox, type RunningSandbox } from '../sandbox';

interface SandboxSecrets {
  /**
   * Legacy: the partner-wide manage key of data folders made before 0.5.0, kept for their journeys already past
   * «Accesso a IO». New data folders have none: every Comune's own key is issued by the sandbox's Selfcare.
   */
  manageKey?: string;
  /** The KEK sealing the Comuni's manage keys at rest (base64, 32 bytes). */
  manageKeysKek?: string;
  selfcareKey: string;
  portalUsername: string;
  portalPassword: string;
  adminToken: string;
}

/** Random credentials made once per data folder (mode 0600), so a restart keeps talking to the same sandbox. */
function loadOrCreateSecrets(dir: string): SandboxSecrets {
  const file = path.join(dir, 'secrets.json');
  if (fs.existsSync(file)) {
    const existing = JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxSecrets;
    if (existing.manageKeysKek) return existing;
    // A data folder from before 0.5.0: add the KEK, keep its legacy key for its running journeys.
    const upgraded = { ...existing, manageKeysKek: randomBytes(32).toString('base64') };
    fs.writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const token = () => randomBytes(24).toString('base64url');
  const secrets: SandboxSecrets = {
    manageKeysKek: randomBytes(32).toString('base64'),
    selfcareKey: token(),
    portalUsername: 'partner',
    portalPassword: token(),
    adminToken: token(),
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export interface EmbeddedServices {
  /** Variables the worker and the API receive so they talk to the embedded services. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * The local stand-ins for PagoPA and the SMTP relay, when the configuration names no real ones: the same HTTP and
 * SMTP contracts, so the worker's clients are the production ones.
 */
export async function startEmbeddedServices(config: Config, logger: Logger): Promise<EmbeddedServices> {
  const env: NodeJS.ProcessEnv = {};
  let sandbox: RunningSandbox | undefined;
  let catcher: SmtpCatcher | undefined;
  if (config.embeddedSandbox) {
    const dir = path.join(config.dataDir, 'sandbox');
    const secrets = loadOrCreateSecrets(dir);
    sandbox = await startSandbox({
      port: config.SANDBOX_PORT,
      host: '127.0.0.1',
      dataFile: path.join(dir, 'state.json'),
      ...(secrets.manageKey
        ? { legacyPartnerKeys: [{ key: secrets.manageKey, organizationFiscalCode: 'any' }] }
        : {}),
      selfcareKey: secrets.selfcareKey,
      portalCredentials: [
        { tenant: '*', username: secrets.portalUsername, password: secrets.portalPassword },
      ],
      adminToken: config.SANDBOX_ADMIN_TOKEN ?? secrets.adminToken,
      reviewer: { mode: config.SANDBOX_REVIEWER, reviewDelayMs: config.SANDBOX_REVIEW_DELAY_MS },
      portal: { autoCreateServices: true },
      logger: logger.child({ component: 'sandbox' }),
    });
    Object.assign(env, {
      IO_MANAGE_BASE_URL: sandbox.url,
      ...(secrets.manageKey ? { IO_MANAGE_API_KEY: secrets.manageKey } : {}),
      ...(config.MANAGE_KEYS_KEK ? {} : { MANAGE_KEYS_KEK: secrets.manageKeysKek }),
      IO_MESSAGES_BASE_URL: sandbox.url,
      SELFCARE_BASE_URL: sandbox.url,
      SELFCARE_API_KEY: secrets.selfcareKey,
      PORTAL_BASE_URL: `${sandbox.url}/portal`,
      PORTAL_USERNAME: secrets.portalUsername,
      PORTAL_PASSWORD: secrets.portalPassword,
      SANDBOX_ADMIN_TOKEN: config.SANDBOX_ADMIN_TOKEN ?? secrets.adminToken,
    });
    logger.info({ url: sandbox.url, reviewer: config.SANDBOX_REVIEWER }, 'PagoPA sandbox running');
  }
  if (config.embeddedMail) {
    catcher = await startSmtpCatcher({
      port: config.SMTP_CATCHER_PORT,
      host: '127.0.0.1',
      outboxDir: path.join(config.dataDir, 'mail', 'outbox'),
      logger: logger.child({ component: 'smtp-catcher' }),
    });
    Object.assign(env, {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(catcher.port),
      SMTP_SECURE: 'false',
      MAIL_OUTBOX_DIR: catcher.outbox.dir,
    });
    if (config.STAFF_EMAILS.length === 0) env.STAFF_EMAILS = 'staff@partner.example';
    if (config.MANAGER_EMAILS.length === 0) env.MANAGER_EMAILS = 'direzione@partner.example';
    logger.info({ port: catcher.port }, 'SMTP catcher running: e-mails land in the outbox');
  }
  return {
    env,
    close: async () => {
      await catcher?.close();
      await sandbox?.close();
    },
  };
}
