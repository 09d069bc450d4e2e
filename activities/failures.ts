import { ApplicationFailure } from '@temporalio/activity';
import { HttpError, HttpRetryableError } from '../integrations/http';
import { MailError } from '../integrations/mail';
import { DocumentIntegrityError, InvalidDocumentReference } from '../integrations/documents/document-store';

/**
 * The one place infrastructure errors become Temporal failures. Retrying cannot fix a 4xx or a permanent SMTP
 * refusal: those become non-retryable failures carrying PagoPA's Problem detail. 429/5xx/timeouts stay retryable,
 * and a Retry-After becomes the next retry's delay.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof HttpError) {
    const type =
      err.kind === 'client_error' || err.kind === 'rate_limited' || err.kind === 'server_error'
        ? `Http${err.status ?? ''}`
        : `Http_${err.kind}`;
    const details = err.problem ? [err.problem] : [];
    if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, type, ...details);
    const retryAfterMs = err instanceof HttpRetryableError ? err.retryAfterMs : undefined;
    return ApplicationFailure.create({
      message: err.message,
      type,
      details,
      nonRetryable: false,
      ...(retryAfterMs ? { nextRetryDelay: retryAfterMs } : {}),
    });
  }
  if (err instanceof InvalidDocumentReference || err instanceof DocumentIntegrityError) {
    return ApplicationFailure.nonRetryable(err.message, err.name);
  }
  if (err instanceof MailError) {
    return err.retryable
      ? ApplicationFailure.retryable(err.message, 'MailTransient')
      : ApplicationFailure.nonRetryable(err.message, 'MailPermanent');
  }
  return err;
}

/** Wraps every activity of a group so its errors are classified the same way. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return wrapped as T;
}
