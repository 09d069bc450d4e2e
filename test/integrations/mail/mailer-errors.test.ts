import {
  MailInvalidNotificationError,
  MailPermanentError,
  MailTransientError,
  classifySmtpError,
} from '../../../integrations/mail/errors';
import { InMemorySentLedger } from '../../../integrations/mail/ledger';
import { SmtpMailer } from '../../../integrations/mail/mailer';
import type { Notification } from '../../../integrations/mail/notification';
import { type SmtpCatcher, startSmtpCatcher } from '../../../integrations/mail/smtp-catcher';
import { closedPort, sampleNotifications, silentLogger, staff, tempDir } from './fixtures';

const REFUSED = 'casella.inesistente@comune.trento.it';
const BUSY = 'casella.piena@comune.trento.it';

let catcher: SmtpCatcher;
let cleanup: () => Promise<void>;
let ledger: InMemorySentLedger;
let mailer: SmtpMailer;

beforeAll(async () => {
  const outbox = await tempDir('outbox-errors');
  cleanup = outbox.cleanup;
  catcher = await startSmtpCatcher({
    port: 0,
    outboxDir: outbox.dir,
    logger: silentLogger,
    // smtp-server's onRcptTo: refuse one address for good (550) and one for now (450).
    rejectRecipient: (address) => {
      if (address === REFUSED) return { code: 550, message: '5.1.1 Mailbox unavailable' };
      if (address === BUSY) return { code: 450, message: '4.2.1 Mailbox busy, try again later' };
      return undefined;
    },
  });
  ledger = new InMemorySentLedger();
  mailer = new SmtpMailer(
    { host: '127.0.0.1', port: catcher.port, secure: false, from: 'noreply@comunitrentini.it' },
    { ledger, logger: silentLogger },
  );
});

afterAll(async () => {
  mailer.close();
  await catcher.close();
  await cleanup();
});

const alertTo = (id: string, to: string[]): Notification => {
  const alert = sampleNotifications('errors').find((n) => n.kind === 'staff_alert')!;
  return { ...alert, id, to } as Notification;
};

describe('SMTP failures are classified', () => {
  test('a 550 on the only recipient is a MailPermanentError; nothing is stored or recorded', async () => {
    const count = await catcher.outbox.count();
    const error = await mailer.send(alertTo('errors:550', [REFUSED])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailPermanentError);
    expect(error).not.toBeInstanceOf(MailTransientError);
    expect((error as MailPermanentError).responseCode).toBe(550);
    expect((error as MailPermanentError).retryable).toBe(false);
    expect(await catcher.outbox.count()).toBe(count);
    expect(await ledger.get('errors:550')).toBeUndefined();
  });

  test('a 450 is a MailTransientError', async () => {
    const error = await mailer.send(alertTo('errors:450', [BUSY])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailTransientError);
    expect((error as MailTransientError).responseCode).toBe(450);
    expect((error as MailTransientError).retryable).toBe(true);
  });

  test('one refused recipient among others: sent to the rest, the refusal is reported', async () => {
    const result = await mailer.send(alertTo('errors:partial', [staff, REFUSED]));
    expect(result).toMatchObject({ status: 'sent', accepted: [staff], rejected: [REFUSED] });
    expect((await ledger.get('errors:partial'))?.rejected).toEqual([REFUSED]);
  });

  test('connection refused is a MailTransientError', async () => {
    const port = await closedPort();
    const offline = new SmtpMailer(
      {
        host: '127.0.0.1',
        port,
        secure: false,
        from: 'noreply@comunitrentini.it',
        connectionTimeoutMs: 2_000,
      },
      { ledger: new InMemorySentLedger(), logger: silentLogger },
    );
    try {
      const error = await offline.send(alertTo('errors:refused', [staff])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailTransientError);
      expect(['ECONNECTION', 'ESOCKET', 'ECONNREFUSED']).toContain((error as MailTransientError).code);
      expect((error as MailTransientError).responseCode).toBeUndefined();
    } finally {
      offline.close();
    }
  });

  test('an invalid recipient is refused before any SMTP exchange, as a permanent error', async () => {
    const count = await catcher.outbox.count();
    const error = await mailer.send(alertTo('errors:invalid', ['non-un-indirizzo'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailInvalidNotificationError);
    expect(error).toBeInstanceOf(MailPermanentError);
    expect((error as MailInvalidNotificationError).issues[0]?.path).toBe('to.0');
    expect(await catcher.outbox.count()).toBe(count);
  });

  test('an invalid id or missing data is refused too', async () => {
    const bad = { ...alertTo('has space', [staff]) };
    await expect(mailer.send(bad)).rejects.toBeInstanceOf(MailInvalidNotificationError);
    const noMissing = alertTo('errors:no-missing', [staff]);
    const withoutItems = { ...noMissing, data: { ...noMissing.data, missing: [] } } as Notification;
    await expect(mailer.send(withoutItems)).rejects.toBeInstanceOf(MailInvalidNotificationError);
  });
});

describe('classifySmtpError', () => {
  test.each([
    [{ responseCode: 550, code: 'EENVELOPE' }, MailPermanentError],
    [{ responseCode: 554, code: 'EMESSAGE' }, MailPermanentError],
    [{ responseCode: 535, code: 'EAUTH' }, MailPermanentError],
    [{ responseCode: 421, code: 'ECONNECTION' }, MailTransientError],
    [{ responseCode: 451, code: 'EMESSAGE' }, MailTransientError],
    [{ responseCode: 503, code: 'EPROTOCOL' }, MailTransientError],
    [{ code: 'ETIMEDOUT' }, MailTransientError],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, MailTransientError],
    [{ code: 'EAUTH' }, MailPermanentError],
    [{ code: 'EENVELOPE' }, MailPermanentError],
    [new Error('something unexpected'), MailTransientError],
  ])('%p', (input, expected) => {
    const error = classifySmtpError(Object.assign(new Error('smtp'), input));
    expect(error).toBeInstanceOf(expected);
  });
});

describe('SmtpMailer options', () => {
  test('never echoes the password in a configuration error', () => {
    expect(
      () =>
        new SmtpMailer(
          {
            host: '127.0.0.1',
            port: 25,
            secure: false,
            from: 'noreply@comunitrentini.it',
            password: 'segreto-42',
          },
          { ledger: new InMemorySentLedger(), logger: silentLogger },
        ),
    ).toThrow(/user and password go together/);
    const attempt = () =>
      new SmtpMailer(
        {
          host: '',
          port: 25,
          secure: false,
          from: 'noreply@comunitrentini.it',
          user: 'u',
          password: 'segreto-42',
        },
        { ledger: new InMemorySentLedger(), logger: silentLogger },
      );
    let message = '';
    try {
      attempt();
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain('invalid SMTP mailer options: host');
    expect(message).not.toContain('segreto-42');
  });

  test('refuses a "from" that is not an address', () => {
    expect(
      () =>
        new SmtpMailer(
          { host: '127.0.0.1', port: 25, secure: false, from: 'Consorzio <non valido>' },
          { ledger: new InMemorySentLedger(), logger: silentLogger },
        ),
    ).toThrow(/invalid "from"/);
  });
});
