import path from 'node:path';
import type { ActivityDependencies } from '../activities';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import { FileSystemDocumentStore } from '../integrations/documents/document-store';
import { createIoManageClient, createIoMessagesClient } from '../integrations/io';
import { manageKeyStoreFromConfig } from '../integrations/keys';
import { cachedClientFactory } from '../activities/manage-keys';
import { FileSentLedger, SmtpMailer } from '../integrations/mail';
import { createPortalClient } from '../integrations/portal';
import { createSelfcareClient } from '../integrations/selfcare';

function required(config: Config, name: keyof Config): string {
  const value = config[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${String(name)} is required by the worker (the launcher sets it in embedded mode)`);
  }
  return value;
}

/**
 * The production wiring of the activities' clients. Pointing them at PagoPA or at the local sandbox is only a
 * matter of configuration: the code is the same.
 */
export function buildActivityDependencies(config: Config, logger: Logger): ActivityDependencies {
  const ioBaseUrl = required(config, 'IO_MANAGE_BASE_URL');
  const common = { timeoutMs: config.HTTP_TIMEOUT_MS };
  const manageLogger = logger.child({ client: 'io-manage' });
  const store = manageKeyStoreFromConfig(config);
  if (!store)
    throw new Error('MANAGE_KEYS_KEK is required by the worker (the launcher sets it in embedded mode)');
  // Each Comune's own key, read from the store at each call; one client per key.
  const manageKeys = {
    store,
    clientFor: cachedClientFactory((manageKey) =>
      createIoManageClient({ ...common, baseUrl: ioBaseUrl, manageKey, logger: manageLogger }),
    ),
  };
  // Legacy: the partner-wide key, only for journeys that reached the services before «Accesso a IO».
  const io = config.IO_MANAGE_API_KEY
    ? createIoManageClient({
        ...common,
        baseUrl: ioBaseUrl,
        manageKey: config.IO_MANAGE_API_KEY,
        logger: manageLogger,
      })
    : undefined;
  const messages = createIoMessagesClient({
    ...common,
    baseUrl: config.IO_MESSAGES_BASE_URL ?? ioBaseUrl,
    logger: logger.child({ client: 'io-messages' }),
  });
  const selfcare =
    config.SELFCARE_API_KEY && config.SELFCARE_BASE_URL
      ? createSelfcareClient({
          ...common,
          baseUrl: config.SELFCARE_BASE_URL,
          subscriptionKey: config.SELFCARE_API_KEY,
          logger: logger.child({ client: 'selfcare' }),
        })
      : undefined;
  const portal = createPortalClient({
    ...common,
    baseUrl: required(config, 'PORTAL_BASE_URL'),
    credentials: {
      username: required(config, 'PORTAL_USERNAME'),
      password: required(config, 'PORTAL_PASSWORD'),
    },
    logger: logger.child({ client: 'portal' }),
  });
  const mailer = new SmtpMailer(
    {
      host: required(config, 'SMTP_HOST'),
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      user: config.SMTP_USER,
      password: config.SMTP_PASSWORD,
      from: config.MAIL_FROM,
    },
    {
      ledger: new FileSentLedger(path.join(config.dataDir, 'mail', 'sent')),
      logger: logger.child({ client: 'smtp' }),
    },
  );
  return {
    ...(io ? { io } : {}),
    manageKeys,
    messages,
    selfcare,
    portal,
    mailer,
    documents: new FileSystemDocumentStore(path.join(config.dataDir, 'documents')),
    partner: {
      name: config.PARTNER_NAME,
      staffEmails: config.STAFF_EMAILS,
      managerEmails: config.MANAGER_EMAILS,
      contactEmail: config.PARTNER_CONTACT_EMAIL,
      contactPhone: config.PARTNER_CONTACT_PHONE,
    },
  };
}
