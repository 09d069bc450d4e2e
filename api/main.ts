import { loadConfigOrExit } from '../common/config';
import { createLogger } from '../common/logger';
import { connectClient } from '../common/temporal';
import { FileOutbox } from '../integrations/mail';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('api', config.LOG_LEVEL);
  const client = await connectClient(config);
  const app = createApp({
    client,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger,
    outbox: config.MAIL_OUTBOX_DIR ? new FileOutbox(config.MAIL_OUTBOX_DIR) : undefined,
  });
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'API listening');
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'API stopping');
    server.close(() => {
      void client.connection.close().finally(() => process.exit(0));
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
