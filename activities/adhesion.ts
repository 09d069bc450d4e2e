import { ApplicationFailure } from '@temporalio/activity';
import type { SelfcareClient } from '../integrations/selfcare';

export function createAdhesionActivities({ selfcare }: { selfcare?: SelfcareClient }) {
  return {
    /** Whether the Comune is already onboarded on `prod-io` (scenario B) or not (scenario A). */
    async checkAdhesion(input: {
      fiscalCode: string;
    }): Promise<{ adherent: boolean; found: boolean; status?: string }> {
      if (!selfcare) {
        throw ApplicationFailure.nonRetryable('nessuna chiave Selfcare configurata', 'SelfcareNotConfigured');
      }
      const result = await selfcare.getIoOnboardingStatus(input.fiscalCode);
      return {
        adherent: result.adherent,
        found: result.found,
        ...(result.status ? { status: result.status } : {}),
      };
    },

    /**
     * One look at the Comune's `prod-io` onboarding after the signed form. While Selfcare has not decided it fails
     * retryably (`OnboardingPending`): the activity's retry policy is the polling schedule, and history records only
     * the outcome. ACTIVE → active; REJECTED → rejected; DELETED (the request expired or was cancelled) → expired.
     */
    async awaitIoOnboarding(input: {
      fiscalCode: string;
    }): Promise<{ outcome: 'active' | 'rejected' | 'expired'; status: string }> {
      if (!selfcare) {
        throw ApplicationFailure.nonRetryable('nessuna chiave Selfcare configurata', 'SelfcareNotConfigured');
      }
      const result = await selfcare.getIoOnboardingStatus(input.fiscalCode);
      switch (result.status) {
        case 'ACTIVE':
          return { outcome: 'active', status: result.status };
        case 'REJECTED':
          return { outcome: 'rejected', status: result.status };
        case 'DELETED':
          return { outcome: 'expired', status: result.status };
        default:
          throw ApplicationFailure.retryable(
            `adesione a prod-io non ancora attiva su Selfcare (${result.status ?? (result.found ? 'nessuna richiesta' : 'ente non presente')})`,
            ONBOARDING_PENDING,
          );
      }
    },
  };
}

/** `awaitIoOnboarding` while Selfcare has not decided: retried by the poller's policy. */
export const ONBOARDING_PENDING = 'OnboardingPending';
