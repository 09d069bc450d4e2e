import fs from 'node:fs';
import type { Config } from '../common/config';
import type { DocumentStore } from '../integrations/documents/document-store';
import { checkLogo, createSolidPng } from '../integrations/documents/png';
import type { RegistrationDefaults } from './import/registration';

/**
 * The partner's defaults from configuration. The default logo (DEFAULT_LOGO_PATH, or a plain white 300×300
 * placeholder) is stored once in the document store; cards reference it by sha256.
 */
export async function registrationDefaultsFrom(
  config: Config,
  documents: DocumentStore,
): Promise<RegistrationDefaults> {
  const logo = config.DEFAULT_LOGO_PATH
    ? fs.readFileSync(config.DEFAULT_LOGO_PATH)
    : createSolidPng(300, 300, [255, 255, 255, 255]);
  const problems = checkLogo(logo);
  if (problems.length > 0) throw new Error(`DEFAULT_LOGO_PATH: ${problems.join('; ')}`);
  const stored = await documents.put(logo, {
    contentType: 'image/png',
    originalName: 'logo-predefinito.png',
  });
  return {
    delegate: {
      givenName: config.DELEGATE_GIVEN_NAME,
      surname: config.DELEGATE_SURNAME,
      fiscalCode: config.DELEGATE_FISCAL_CODE,
      email: config.DELEGATE_EMAIL,
    },
    authorizedCidrs: config.PARTNER_AUTHORIZED_CIDRS,
    logoRef: stored.sha256,
    ...(config.PARTNER_SUPPORT_URL ? { supportUrl: config.PARTNER_SUPPORT_URL } : {}),
    ...(config.PARTNER_CONTACT_PHONE ? { phone: config.PARTNER_CONTACT_PHONE } : {}),
    contractDurationDays: config.CONTRACT_DURATION_DAYS,
    settings: {
      adhesionCheck: config.SELFCARE_API_KEY ? 'automatic' : 'manual',
      reminderIntervalDays: config.REMINDER_INTERVAL_DAYS,
      escalationLadderDays: config.ESCALATION_LADDER_DAYS,
      signedFormLinkValidityDays: config.SIGNED_FORM_LINK_VALIDITY_DAYS,
      maxParallelServices: config.MAX_PARALLEL_SERVICES,
      reviewPollInitialMinutes: config.REVIEW_POLL_INITIAL_MINUTES,
      reviewPollMaxHours: config.REVIEW_POLL_MAX_HOURS,
      watchAfterCompletionDays: config.POST_COMPLETION_WATCH_DAYS,
      watchCheckEveryHours: config.WATCH_CHECK_EVERY_HOURS,
      ...(config.TEMPORAL_SERVICES_TASK_QUEUE !== config.TEMPORAL_TASK_QUEUE
        ? { servicesTaskQueue: config.TEMPORAL_SERVICES_TASK_QUEUE }
        : {}),
    },
  };
}
