import { ActivityFailure, ApplicationFailure, isCancellation, log } from '@temporalio/workflow';
import type { z } from 'zod';
import type { NotifyRequest } from '../activities/notifications';
import { mail } from './activity-proxies';
import { nowIso } from './clock';

/** Type of the failure an update validator throws: the caller (API) turns it into a 409 with this message. */
export const STEP_REFUSED = 'StepRefused';

/** Refuses a staff step in an update validator, before anything enters history. */
export function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, STEP_REFUSED);
}

export function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'valore'}: ${i.message}`).join('; ');
}

/** The most useful sentence in an activity failure: the cause's message (e.g. PagoPA's Problem detail). */
export function describeFailure(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}

/**
 * Sends a notification. A notification that cannot be sent at all (a permanent SMTP refusal) must not stop the
 * journey: it is recorded in the timeline for staff to see. Its audience must be the one the notification
 * registry gives its kind (checked at compile time).
 */
export async function notifySafely(
  state: { timeline: { at: string; step: string; actor: string; detail?: string }[] },
  notification: NotifyRequest,
): Promise<void> {
  try {
    await mail.notify(notification);
  } catch (err) {
    if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
    const detail = describeFailure(err);
    log.warn('notification not sent', { kind: notification.kind, detail });
    state.timeline.push({ at: nowIso(), step: 'E-mail non inviata', actor: 'sistema', detail });
  }
}
