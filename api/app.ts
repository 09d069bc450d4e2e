import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import type { FileOutbox } from '../integrations/mail';
import { checkHealth } from './health';
import { errorHandler, notFoundHandler } from './problem';
import { requestLogger } from './request-logger';
import { outboxRouter } from './routes/outbox';

export interface ApiDependencies {
  client: Client;
  namespace: string;
  taskQueue: string;
  logger: Logger;
  /** The local SMTP catcher's outbox, when e-mails are caught instead of sent. */
  outbox?: FileOutbox;
}

export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(deps.logger));
  app.use(express.json({ limit: '1mb' }));

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(deps.client, deps.namespace, deps.taskQueue);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });

  app.use('/api/v1/outbox', outboxRouter(deps.outbox));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
