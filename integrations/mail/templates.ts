import type { z } from 'zod';
import type { RenderedEmail } from './document';
import {
  delegationInstructionsDataSchema,
  renderDelegationInstructionsA,
  renderDelegationInstructionsB,
} from './templates/delegation';
import { journeyCompletedDataSchema, renderJourneyCompleted } from './templates/completed';
import { managerEscalationDataSchema, renderManagerEscalation } from './templates/escalation';
import { renderSignedFormLinkExpired, signedFormLinkExpiredDataSchema } from './templates/link-expired';
import { renderReminder, reminderDataSchema } from './templates/reminder';
import {
  renderServiceRejected,
  renderStaffAlert,
  serviceRejectedDataSchema,
  staffAlertDataSchema,
} from './templates/staff';

/**
 * The notification kinds and their Italian templates. Each renderer is pure: it validates its input
 * with the kind's zod schema and returns `{ subject, text, html }`.
 */

export type { RenderedEmail } from './document';
export { escapeHtml, formatDateIt, formatDays, formatEuro } from './format';
export * from './schemas';
export * from './templates/completed';
export * from './templates/delegation';
export * from './templates/escalation';
export * from './templates/link-expired';
export * from './templates/reminder';
export * from './templates/staff';
export { SELFCARE_ONBOARDING_URL, DEFAULT_LINK_VALIDITY_DAYS } from './templates/scenario';

export const notificationKinds = [
  'delegation_instructions_a',
  'delegation_instructions_b',
  'reminder',
  'signed_form_link_expired',
  'staff_alert',
  'service_rejected',
  'manager_escalation',
  'journey_completed',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const notificationDataSchemas = {
  delegation_instructions_a: delegationInstructionsDataSchema,
  delegation_instructions_b: delegationInstructionsDataSchema,
  reminder: reminderDataSchema,
  signed_form_link_expired: signedFormLinkExpiredDataSchema,
  staff_alert: staffAlertDataSchema,
  service_rejected: serviceRejectedDataSchema,
  manager_escalation: managerEscalationDataSchema,
  journey_completed: journeyCompletedDataSchema,
} as const satisfies Record<NotificationKind, z.ZodType>;

export type NotificationData<K extends NotificationKind> = z.infer<(typeof notificationDataSchemas)[K]>;

const renderers: { [K in NotificationKind]: (data: NotificationData<K>) => RenderedEmail } = {
  delegation_instructions_a: renderDelegationInstructionsA,
  delegation_instructions_b: renderDelegationInstructionsB,
  reminder: renderReminder,
  signed_form_link_expired: renderSignedFormLinkExpired,
  staff_alert: renderStaffAlert,
  service_rejected: renderServiceRejected,
  manager_escalation: renderManagerEscalation,
  journey_completed: renderJourneyCompleted,
};

export function renderTemplate<K extends NotificationKind>(
  kind: K,
  data: NotificationData<K>,
): RenderedEmail {
  const render = renderers[kind] as (data: NotificationData<K>) => RenderedEmail;
  return render(data);
}
