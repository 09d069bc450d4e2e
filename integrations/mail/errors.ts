/**
 * Mail errors the activity layer maps to Temporal failures: a transient error (4xx reply, connection
 * refused or dropped, timeout) may succeed on retry; a permanent one (5xx reply, invalid notification,
 * bad credentials) will not and should become a non-retryable failure.
 */

export interface MailErrorDetails {
  /** Nodemailer's or the socket's code: ECONNECTION, ETIMEDOUT, EENVELOPE, ECONNREFUSED, ... */
  code?: string | undefined;
  /** The SMTP reply code, when the server answered. */
  responseCode?: number | undefined;
  /** The SMTP reply text. */
  response?: string | undefined;
  /** The SMTP command the reply answered. */
  command?: string | undefined;
}

export abstract class MailError extends Error {
  abstract readonly retryable: boolean;
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  readonly command: string | undefined;

  constructor(message: string, details: MailErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = details.code;
    this.responseCode = details.responseCode;
    this.response = details.response;
    this.command = details.command;
  }
}

export class MailTransientError extends MailError {
  readonly retryable = true;
}

export class MailPermanentError extends MailError {
  readonly retryable = false;
}

/** The notification failed validation: nothing was sent, and sending it again will fail again. */
export class MailInvalidNotificationError extends MailPermanentError {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message, { code: 'EINVALID' });
  }
}

/** Codes that say nothing was wrong with the message itself: the connection or the server's state. */
const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'EMAXLIMIT',
]);

/** Codes without an SMTP reply that retrying cannot fix: configuration or message problems. */
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'EENVELOPE',
  'EMESSAGE',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
]);

interface SmtpLikeError {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Maps what nodemailer throws to MailTransientError or MailPermanentError. */
export function classifySmtpError(err: unknown): MailTransientError | MailPermanentError {
  if (err instanceof MailTransientError || err instanceof MailPermanentError) return err;
  const e: SmtpLikeError = typeof err === 'object' && err !== null ? (err as SmtpLikeError) : {};
  const details: MailErrorDetails = {
    code: str(e.code),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: str(e.response),
    command: str(e.command),
  };
  const message = str(e.message) ?? String(err);
  const code = details.code;

  let permanent: boolean;
  if (details.responseCode !== undefined) {
    // RFC 5321: 5yz is a permanent negative reply, 4yz a transient one. 503 (bad sequence) is about
    // the session, not the message, and goes through on a new connection.
    permanent = details.responseCode >= 500 && details.responseCode < 600 && details.responseCode !== 503;
  } else if (code !== undefined && TRANSIENT_CODES.has(code)) {
    permanent = false;
  } else if (code !== undefined && PERMANENT_CODES.has(code)) {
    permanent = true;
  } else {
    const original = str(e.originalCode);
    // Unknown failures are retried: the activity's retry policy bounds them.
    permanent = original !== undefined && PERMANENT_CODES.has(original);
  }
  const Ctor = permanent ? MailPermanentError : MailTransientError;
  return new Ctor(`SMTP send failed: ${message}`, details, { cause: err });
}
