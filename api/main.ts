import path from 'node:path';
import { loadConfigOrExit } from '../common/config';
import { createLogger } from '../common/logger';
import { connectClient } from '../common/temporal';
import { FileSystemDocumentStore } from '../integrations/documents/document-store';
import { FileOutbox } from '../integrations/mail';
import { createApp } from './app';
import { FileTokenStore } from './auth/token-store';
import { registrationDefaultsFrom } from './registration-defaults';
import { manageKeyStoreFromConfig } from '../integrations/keys';
import { createManageKeyVerifier } from '../integrations/keys/manage-key-verifier';
import { payloadCodecFromConfig } from '../common/payload-codec';
import { readModelStoreFromConfig } from '../common/read-model-store';
import type { ApiContext } from './context';
import { closePortfolio, portfolioReader } from './portfolio-index';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('api', config.LOG_LEVEL);
  const client = await connectClient(config);
  const tokens = new FileTokenStore(path.join(config.dataDir, 'auth', 'tokens.json'));
  if (!tokens.hasActiveAdmin()) {
    // First start: one admin token, shown once here and stored only as a hash.
    const { token } = tokens.create({ name: 'amministratore', role: 'admin', createdBy: 'primo avvio' });
    process.stdout.write(
      `\n  Primo avvio: token amministratore (mostrato una sola volta, conservalo):\n\n    ${token}\n\n` +
        `  Crea altri token dalla console o con: npm run token -- create --name <nome> --role staff|manager|admin\n\n`,
    );
  }
  const documents = new FileSystemDocumentStore(path.join(config.dataDir, 'documents'));
  const keyStore = manageKeyStoreFromConfig(config);
  const ctx: ApiContext = {
    client,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    servicesTaskQueue: config.TEMPORAL_SERVICES_TASK_QUEUE,
    logger,
    documents,
    registrationDefaults: await registrationDefaultsFrom(config, documents),
    tokens,
    oidc:
      config.OIDC_ISSUER && config.OIDC_AUDIENCE && config.OIDC_JWKS_URL
        ? {
            issuer: config.OIDC_ISSUER,
            audience: config.OIDC_AUDIENCE,
            jwksUrl: config.OIDC_JWKS_URL,
            rolesClaim: config.OIDC_ROLES_CLAIM,
          }
        : undefined,
    readModel: readModelStoreFromConfig(config, payloadCodecFromConfig(config)),
    outbox: config.MAIL_OUTBOX_DIR ? new FileOutbox(config.MAIL_OUTBOX_DIR) : undefined,
    temporalUiUrl: config.temporalUiUrl,
    ...(keyStore && config.IO_MANAGE_BASE_URL
      ? {
          manageKeys: {
            store: keyStore,
            verify: createManageKeyVerifier({
              baseUrl: config.IO_MANAGE_BASE_URL,
              partnerAddresses: (config.IO_PARTNER_ADDRESSES ?? config.PARTNER_AUTHORIZED_CIDRS)
                .split(';')
                .map((c) => c.trim())
                .filter(Boolean),
              timeoutMs: config.HTTP_TIMEOUT_MS,
            }),
          },
        }
      : {}),
  };
  const app = createApp(ctx);
  // The portfolio index reads every Comune's document once now, not at the first manager's request.
  void portfolioReader(ctx)
    .list({})
    .catch((err: unknown) => logger.warn({ err }, 'portfolio not read at start'));
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info(
      { url: `http://${config.HOST}:${config.PORT}`, console: `http://${config.HOST}:${config.PORT}/` },
      'API listening',
    );
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'API stopping');
    server.close(() => {
      void closePortfolio(ctx)
        .then(() => client.connection.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  createLogger('api').fatal({ err }, 'API failed to start');
  process.exit(1);
});
