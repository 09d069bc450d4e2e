import path from 'node:path';
import { createLogger, type Logger } from '../../common/logger';
import { FileSentLedger } from './ledger';
import { SmtpMailer } from './mailer';
import { type SmtpCatcher, startSmtpCatcher } from './smtp-catcher';

/**
 * For the embedded local run: an SMTP catcher on a free loopback port and a mailer pointed at it.
 * Every notification lands in `<dataDir>/mail/outbox` (listable through `catcher.outbox`); the
 * ledger of sent ids is `<dataDir>/mail/sent`.
 */
export interface LocalMail {
  catcher: SmtpCatcher;
  mailer: SmtpMailer;
  close(): Promise<void>;
}

export async function startLocalMail(options: {
  dataDir: string;
  from?: string;
  port?: number;
  logger?: Logger;
}): Promise<LocalMail> {
  const logger = options.logger ?? createLogger('mail');
  const root = path.join(options.dataDir, 'mail');
  const catcher = await startSmtpCatcher({
    port: options.port ?? 0,
    host: '127.0.0.1',
    outboxDir: path.join(root, 'outbox'),
    logger,
  });
  const mailer = new SmtpMailer(
    {
      host: catcher.host,
      port: catcher.port,
      secure: false,
      from: options.from ?? 'Back office App IO <noreply@localhost.localdomain>',
    },
    { ledger: new FileSentLedger(path.join(root, 'sent')), logger },
  );
  return {
    catcher,
    mailer,
    close: async () => {
      mailer.close();
      await catcher.close();
    },
  };
}
