import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { TRANSIENT_BACKOFF } from '../domain/transient-backoff';

/**
 * Activity options in one place. Transient failures (5xx, 429, timeouts, SMTP 4xx) retry without limit, with
 * backoff capped at 2 minutes: an outage slows journeys down, it never fails them. Non-retryable failures
 * (4xx, rules broken) reach the workflow, which asks staff.
 *
 * Why 2 minutes: a 429 answer sets its own delay (Retry-After) but still counts as an attempt, so after a minute
 * of 429s the exponential backoff of the next 5xx would reach the cap at once (10 minutes in the first release:
 * journeys stalled long after PagoPA recovered, test/faults). Only activities in flight retry, so even thousands
 * of them waiting out an outage stay a modest load on PagoPA, and 429s keep pacing us. Since 0.8.0 the IO
 * activities also pace a 5xx by the 5xx in a row since PagoPA's last Retry-After, not by the attempt number
 * (activities/failures.ts): the first 5xx after a burst of 429s waits 2 seconds, not 2 minutes.
 */
// No maximumAttempts: unlimited retries.
const durable = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: TRANSIENT_BACKOFF.initialMs,
    backoffCoefficient: TRANSIENT_BACKOFF.coefficient,
    maximumInterval: TRANSIENT_BACKOFF.maxMs,
  },
} as const;

export const io = proxyActivities<Activities>(durable);

/**
 * A service's IO steps before its review in one activity (0.11.0): up to five PagoPA and portal calls, each with its
 * own HTTP timeout, so more time than one call; retried as the others. It heartbeats every 5 seconds, so an attempt
 * lost with its worker is retried after 30 seconds, not after the 3 minutes the whole chain may take.
 */
export const setUp = proxyActivities<Pick<Activities, 'setUpService'>>({
  ...durable,
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
});
export const mail = proxyActivities<Pick<Activities, 'notify'>>(durable);

/** The adhesion check falls back to staff quickly instead of retrying for long. */
export const adhesion = proxyActivities<Pick<Activities, 'checkAdhesion'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * Review polling: each attempt asks IO once and fails with ReviewPending while PagoPA is still reviewing, so the
 * retry policy is the polling schedule (no callback exists) and history records only the outcome.
 */
export function reviewPoller(initialMinutes: number, maxHours: number) {
  return proxyActivities<Pick<Activities, 'awaitReviewDecision'>>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: `${initialMinutes} minutes`,
      backoffCoefficient: 2,
      maximumInterval: `${maxHours} hours`,
    },
  });
}

/**
 * One read of the review asked by staff (checkReviewNow): «still in review» is an answer, not a failure to retry; a
 * network error is tried again briefly.
 */
export const reviewCheck = proxyActivities<Pick<Activities, 'awaitReviewDecision'>>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['ReviewPending'],
  },
});

/**
 * The onboarding check after the signed form: Selfcare decides in hours or days, so one look every 10 minutes at
 * first, backing off to every 6 hours; staff recording the outcome cancels it.
 */
export const onboardingPoller = proxyActivities<Pick<Activities, 'awaitIoOnboarding'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '10 minutes', backoffCoefficient: 2, maximumInterval: '6 hours' },
});

/**
 * The watch after completion reads the published services once a day: a check that cannot run (an outage) is
 * retried for a few minutes, then left to the next check, which is the retry that matters.
 */
export const publicationWatch = proxyActivities<Pick<Activities, 'checkPublishedServices'>>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
  },
});
