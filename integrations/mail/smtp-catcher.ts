import type { AddressInfo } from 'node:net';
import { type AddressObject, type EmailAddress, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { createLogger, type Logger } from '../../common/logger';
import { HEADER_COMUNE_IPA, HEADER_NOTIFICATION_ID, HEADER_NOTIFICATION_KIND } from './mailer';
import { FileOutbox, type NewOutboxMessage } from './outbox';

/**
 * A local SMTP server that accepts everything (no auth, no TLS, loopback by default) and keeps each
 * message in an outbox folder instead of delivering it. The embedded local run points the mailer at
 * it, so a demo shows every e-mail that would have gone out; the tests use it as the SMTP server.
 */

export interface RecipientRejection {
  /** An SMTP reply code: 550 (permanent) or 450 (transient), for instance. */
  code: number;
  message: string;
}

export interface SmtpCatcherOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  outboxDir: string;
  logger?: Logger;
  /** Lets a test (or a demo) refuse some recipients at RCPT TO. */
  rejectRecipient?: (address: string) => RecipientRejection | undefined;
  /** Larger messages are refused with 552. */
  maxMessageBytes?: number;
}

export interface SmtpCatcher {
  host: string;
  port: number;
  outbox: FileOutbox;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const collect = (list: EmailAddress[]): string[] =>
    list.flatMap((a) => [...(a.address ? [a.address] : []), ...(a.group ? collect(a.group) : [])]);
  return objects.flatMap((o) => collect(o.value));
}

function headerText(parsed: ParsedMail, name: string): string | null {
  const value = parsed.headers.get(name.toLowerCase());
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

export function toOutboxMessage(parsed: ParsedMail, session: SMTPServerSession): NewOutboxMessage {
  return {
    messageId: parsed.messageId ?? null,
    from: addressesOf(parsed.from)[0] ?? null,
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    envelopeTo: session.envelope.rcptTo.map((r) => r.address),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    comuneIpa: headerText(parsed, HEADER_COMUNE_IPA),
    kind: headerText(parsed, HEADER_NOTIFICATION_KIND),
    notificationId: headerText(parsed, HEADER_NOTIFICATION_ID),
  };
}

export async function startSmtpCatcher(options: SmtpCatcherOptions): Promise<SmtpCatcher> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? createLogger('smtp-catcher');
  const outbox = new FileOutbox(options.outboxDir);
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
  if (!LOOPBACK.has(host)) {
    log.warn(
      { host },
      'SMTP catcher listening beyond loopback: it accepts mail from anyone who can reach it',
    );
  }

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'App IO back office SMTP catcher (nothing is delivered)',
    size: maxBytes,
    closeTimeout: 2_000,
    logger: false,
    onRcptTo(address, _session, callback) {
      const rejection = options.rejectRecipient?.(address.address);
      if (rejection) {
        log.info({ code: rejection.code }, 'recipient refused by configuration');
        callback(smtpError(rejection.code, rejection.message));
        return;
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      simpleParser(stream)
        .then(async (parsed) => {
          if (stream.sizeExceeded) {
            callback(smtpError(552, `Message exceeds the fixed maximum message size (${maxBytes} bytes)`));
            return;
          }
          const stored = await outbox.store(toOutboxMessage(parsed, session));
          log.info({ outboxId: stored.id, comuneIpa: stored.comuneIpa, kind: stored.kind }, 'message caught');
          callback(null, `Message queued as ${stored.id}`);
        })
        .catch((err: unknown) => {
          log.error({ err }, 'could not store a received message');
          callback(smtpError(451, 'Local error in processing, try again later'));
        });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'SMTP catcher connection error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  log.info({ host, port, outboxDir: options.outboxDir }, 'SMTP catcher listening');

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    outbox,
    close: () => (closing ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}
