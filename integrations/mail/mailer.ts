import nodemailer from 'nodemailer';
import type { SMTPSentMessageInfo } from 'nodemailer/lib/smtp-transport';
import { z } from 'zod';
import { createLogger, type Logger } from '../../common/logger';
import type { RenderedEmail } from './document';
import { MailInvalidNotificationError, classifySmtpError } from './errors';
import type { SentLedger, SentRecord } from './ledger';
import {
  type Notification,
  messageIdFor,
  notificationComuneIpa,
  notificationSchema,
  renderNotification,
} from './notification';
import { emailSchema } from './schemas';

export type SendResult =
  | { status: 'sent'; messageId: string; accepted: string[]; rejected: string[]; sentAt: string }
  | { status: 'already_sent'; messageId: string; sentAt: string };

export interface Mailer {
  /**
   * Sends once per `notification.id`. Throws MailInvalidNotificationError (permanent) on invalid input,
   * MailPermanentError on a 5xx reply, MailTransientError on a 4xx reply or a connection failure.
   */
  send(notification: Notification): Promise<SendResult>;
}

/** Headers the SMTP catcher's outbox reads back. */
export const HEADER_COMUNE_IPA = 'X-Comune-IPA';
export const HEADER_NOTIFICATION_KIND = 'X-Notification-Kind';
export const HEADER_NOTIFICATION_ID = 'X-Notification-Id';

const DEFAULT_TIMEOUT_MS = 10_000;
const timeout = z.number().int().min(100).max(300_000).default(DEFAULT_TIMEOUT_MS);

export const smtpMailerOptionsSchema = z
  .object({
    host: z.string().trim().min(1),
    port: z.number().int().min(1).max(65535),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** "noreply@consorzio.example" or "Consorzio dei Comuni <noreply@consorzio.example>". */
    from: z.string().trim().min(3),
    /** Right-hand side of the Message-IDs; defaults to the domain of `from`. */
    messageIdDomain: z
      .string()
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/)
      .optional(),
    connectionTimeoutMs: timeout,
    greetingTimeoutMs: timeout,
    socketTimeoutMs: timeout,
    /** Refuse to send without STARTTLS. */
    requireTls: z.boolean().default(false),
    tlsRejectUnauthorized: z.boolean().default(true),
  })
  .refine((o) => (o.user === undefined) === (o.password === undefined), {
    message: 'user and password go together',
    path: ['password'],
  });
export type SmtpMailerOptions = z.input<typeof smtpMailerOptionsSchema>;

export interface SmtpMailerDeps {
  ledger: SentLedger;
  logger?: Logger;
  now?: () => Date;
}

/** "Name <addr>" or "addr". */
export function parseFromAddress(from: string): { name?: string; address: string } {
  const match = /^(?:"?([^"<>]*?)"?\s*<([^<>\s]+)>|([^<>\s]+))$/.exec(from.trim());
  const address = match?.[2] ?? match?.[3];
  if (!address || !emailSchema.safeParse(address).success) throw new Error(`invalid "from" address: ${from}`);
  const name = match?.[1]?.trim();
  return name ? { name, address } : { address };
}

const issuesOf = (error: z.ZodError): { path: string; message: string }[] =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));

type ParsedOptions = z.output<typeof smtpMailerOptionsSchema>;

function createSmtpTransport(o: ParsedOptions) {
  return nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    ...(o.user !== undefined && o.password !== undefined ? { auth: { user: o.user, pass: o.password } } : {}),
    connectionTimeout: o.connectionTimeoutMs,
    greetingTimeout: o.greetingTimeoutMs,
    socketTimeout: o.socketTimeoutMs,
    requireTLS: o.requireTls,
    tls: { rejectUnauthorized: o.tlsRejectUnauthorized },
    // Templates never attach files or URLs: refuse any by construction.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
}
type SmtpTransporter = ReturnType<typeof createSmtpTransport>;

/**
 * Sends notifications over SMTP with nodemailer (one connection per message, 10 s timeouts by default).
 *
 * Idempotency: the notification id becomes the Message-ID and, once the server has accepted the
 * message, is recorded in the SentLedger; a later send of the same id returns `already_sent`. Sends of
 * one id are serialised within the process. Delivery is at least once: a crash between the server's
 * acceptance and the ledger write lets a retry send again, with the same Message-ID.
 */
export class SmtpMailer implements Mailer {
  private readonly transporter: SmtpTransporter;
  private readonly from: { name?: string; address: string };
  private readonly domain: string;
  private readonly ledger: SentLedger;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Serialises sends of the same id within this process. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(options: SmtpMailerOptions, deps: SmtpMailerDeps) {
    const parsed = smtpMailerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      // Paths and messages only: never echo the values (the password).
      const detail = issuesOf(parsed.error).map((i) => `${i.path}: ${i.message}`);
      throw new Error(`invalid SMTP mailer options: ${detail.join('; ')}`);
    }
    const o = parsed.data;
    this.from = parseFromAddress(o.from);
    this.domain = o.messageIdDomain ?? this.from.address.split('@')[1] ?? 'localhost';
    this.ledger = deps.ledger;
    this.log = deps.logger ?? createLogger('mailer');
    this.now = deps.now ?? (() => new Date());
    this.transporter = createSmtpTransport(o);
    this.log.debug(
      { host: o.host, port: o.port, secure: o.secure, auth: o.user !== undefined },
      'SMTP mailer ready',
    );
  }

  async send(notification: Notification): Promise<SendResult> {
    const parsed = notificationSchema.safeParse(notification);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error);
      this.log.warn({ notificationId: safeId(notification), issues }, 'invalid notification, not sent');
      throw new MailInvalidNotificationError(
        `invalid notification: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      );
    }
    const valid = parsed.data;
    return this.withLock(valid.id, () => this.sendOnce(valid));
  }

  /** Checks the connection and the credentials. */
  async verify(): Promise<void> {
    try {
      await this.transporter.verify();
    } catch (err) {
      throw classifySmtpError(err);
    }
  }

  close(): void {
    this.transporter.close();
  }

  private async sendOnce(notification: Notification): Promise<SendResult> {
    const { id, kind } = notification;
    const comuneIpa = notificationComuneIpa(notification);
    const previous = await this.ledger.get(id);
    if (previous) {
      this.log.info({ notificationId: id, kind, comuneIpa }, 'notification already sent, skipped');
      return { status: 'already_sent', messageId: previous.messageId, sentAt: previous.sentAt };
    }

    const messageId = messageIdFor(id, this.domain);
    const email: RenderedEmail = renderNotification(notification);
    const cc = notification.cc ?? [];
    let info: SMTPSentMessageInfo;
    try {
      info = await this.transporter.sendMail({
        from: this.from.name ? { name: this.from.name, address: this.from.address } : this.from.address,
        to: notification.to,
        ...(cc.length > 0 ? { cc } : {}),
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId,
        headers: {
          [HEADER_COMUNE_IPA]: comuneIpa,
          [HEADER_NOTIFICATION_KIND]: kind,
          [HEADER_NOTIFICATION_ID]: id,
          'Auto-Submitted': 'auto-generated',
        },
      });
    } catch (err) {
      const error = classifySmtpError(err);
      this.log.warn(
        {
          notificationId: id,
          kind,
          comuneIpa,
          code: error.code,
          responseCode: error.responseCode,
          retryable: error.retryable,
        },
        'notification not sent',
      );
      throw error;
    }

    const sentAt = this.now().toISOString();
    const record: SentRecord = {
      id,
      messageId,
      kind,
      comuneIpa,
      to: notification.to,
      cc,
      accepted: [...info.accepted],
      rejected: [...info.rejected],
      response: info.response,
      sentAt,
    };
    try {
      await this.ledger.record(record);
    } catch (err) {
      // The mail went out: report success. A later send of this id would go out again (same Message-ID).
      this.log.error({ notificationId: id, err }, 'notification sent but not recorded in the ledger');
    }
    const level = record.rejected.length > 0 ? 'warn' : 'info';
    this.log[level](
      {
        notificationId: id,
        kind,
        comuneIpa,
        accepted: record.accepted.length,
        rejected: record.rejected.length,
      },
      'notification sent',
    );
    return { status: 'sent', messageId, accepted: record.accepted, rejected: record.rejected, sentAt };
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

function safeId(notification: unknown): string | undefined {
  const id = (notification as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 200) : undefined;
}
