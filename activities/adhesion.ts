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
  };
}
