import { ApplicationFailure, Context } from '@temporalio/activity';
import { transientBackoffMs } from '../domain/transient-backoff';
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

/** What an attempt leaves to the next one (heartbeat details): the transient failures in a row so far. */
interface RetryPacing {
  transientFailures: number;
}

/** Each attempt's heartbeat details so far: what {@link heartbeatMerged} merges into. */
const attemptDetails = new WeakMap<Context, Record<string, unknown>>();

/**
 * Heartbeats the fields given merged into this attempt's details so far (at first, the previous attempt's last
 * details, which Temporal keeps across attempts). One activity may keep several things there: the retry pacing below
 * and, for `setUpService`, the steps already done; neither overwrites the other.
 */
export function heartbeatMerged(ctx: Context, fields: Record<string, unknown>): void {
  const before = ctx.info.heartbeatDetails as unknown;
  const current =
    attemptDetails.get(ctx) ??
    (typeof before === 'object' && before !== null && !Array.isArray(before)
      ? (before as Record<string, unknown>)
      : {});
  const next = { ...current, ...fields };
  attemptDetails.set(ctx, next);
  ctx.heartbeat(next);
}

/**
 * Paces the next attempt after a transient failure by the transient failures in a row, not by the attempt number.
 * A 429 (or any answer with Retry-After) sets its own delay and counts as an attempt: after a minute of 429s the
 * policy's exponential backoff would be at its 2-minute cap, and the first 5xx after the burst would stall the
 * service for 2 minutes. Here a server's pacing resets the count, and the delay grows with the 5xx since: 2 s, 4 s,
 * 8 s… up to 2 minutes, as the retry policy would from a first attempt. The count travels in the heartbeat details
 * (kept by Temporal across attempts). Local activities keep their own short policy.
 */
function paced(failure: ApplicationFailure, err: HttpRetryableError): ApplicationFailure {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return failure; // outside an activity (a direct call in a test)
  }
  if (ctx.info.isLocal) return failure;
  if (err.retryAfterMs !== undefined) {
    heartbeatMerged(ctx, { transientFailures: 0 } satisfies RetryPacing);
    return failure;
  }
  const before = (ctx.info.heartbeatDetails as Partial<RetryPacing> | undefined)?.transientFailures ?? 0;
  const inARow = Number.isInteger(before) && before >= 0 ? before + 1 : 1;
  heartbeatMerged(ctx, { transientFailures: inARow } satisfies RetryPacing);
  const delayMs = transientBackoffMs(inARow);
  return ApplicationFailure.create({
    message: failure.message,
    type: failure.type ?? undefined,
    details: failure.details ? [...failure.details] : [],
    nonRetryable: false,
    nextRetryDelay: delayMs,
  });
}

/**
 * Wraps every activity of a group so its errors are classified the same way. `paceTransientRetries`: the next
 * attempt after a 5xx or a timeout is paced by the transient failures in a row (see {@link paced}); for activities
 * that do not keep heartbeat details of their own.
 */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  { paceTransientRetries = false } = {},
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const failure = toActivityFailure(err);
        if (
          paceTransientRetries &&
          err instanceof HttpRetryableError &&
          failure instanceof ApplicationFailure
        ) {
          throw paced(failure, err);
        }
        throw failure;
      }
    };
  }
  return wrapped as T;
}
