import { z } from 'zod';
import type { RenderedEmail } from './document';
import { emailSchema, ipaCodeSchema } from './schemas';
import { notificationDataSchemas, renderTemplate } from './templates';

/**
 * A notification: what to send (kind + kind-specific data), to whom, and under which idempotency key.
 * The caller gives a deterministic `id` (e.g. built from the workflow id, the kind and a counter): the
 * same id is never sent twice.
 */

/** Printable ASCII without spaces: safe in a header and mapped one-to-one to a Message-ID. */
export const notificationIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const recipientsSchema = z.array(emailSchema).min(1).max(50);

const envelope = {
  id: notificationIdSchema,
  to: recipientsSchema,
  cc: z.array(emailSchema).max(50).optional(),
  /** Sent as `X-Comune-IPA`; defaults to the data's Comune. */
  comuneIpa: ipaCodeSchema.optional(),
};

export const notificationSchema = z.discriminatedUnion('kind', [
  z.object({
    ...envelope,
    kind: z.literal('delegation_instructions_a'),
    data: notificationDataSchemas.delegation_instructions_a,
  }),
  z.object({
    ...envelope,
    kind: z.literal('delegation_instructions_b'),
    data: notificationDataSchemas.delegation_instructions_b,
  }),
  z.object({ ...envelope, kind: z.literal('reminder'), data: notificationDataSchemas.reminder }),
  z.object({
    ...envelope,
    kind: z.literal('signed_form_link_expired'),
    data: notificationDataSchemas.signed_form_link_expired,
  }),
  z.object({ ...envelope, kind: z.literal('staff_alert'), data: notificationDataSchemas.staff_alert }),
  z.object({
    ...envelope,
    kind: z.literal('service_rejected'),
    data: notificationDataSchemas.service_rejected,
  }),
  z.object({
    ...envelope,
    kind: z.literal('manager_escalation'),
    data: notificationDataSchemas.manager_escalation,
  }),
  z.object({
    ...envelope,
    kind: z.literal('journey_completed'),
    data: notificationDataSchemas.journey_completed,
  }),
]);
export type Notification = z.infer<typeof notificationSchema>;

export function renderNotification(notification: Notification): RenderedEmail {
  // The union narrows `data` per kind; TypeScript cannot correlate the two through a generic call.
  switch (notification.kind) {
    case 'delegation_instructions_a':
      return renderTemplate(notification.kind, notification.data);
    case 'delegation_instructions_b':
      return renderTemplate(notification.kind, notification.data);
    case 'reminder':
      return renderTemplate(notification.kind, notification.data);
    case 'signed_form_link_expired':
      return renderTemplate(notification.kind, notification.data);
    case 'staff_alert':
      return renderTemplate(notification.kind, notification.data);
    case 'service_rejected':
      return renderTemplate(notification.kind, notification.data);
    case 'manager_escalation':
      return renderTemplate(notification.kind, notification.data);
    case 'journey_completed':
      return renderTemplate(notification.kind, notification.data);
  }
}

/** The Comune a notification is about: the explicit `comuneIpa`, else the data's. */
export const notificationComuneIpa = (notification: Notification): string =>
  notification.comuneIpa ?? notification.data.comune.ipaCode;

/**
 * `<id@domain>`. Letters, digits, `-` and `_` are kept; any other character becomes `=XX` (its hex
 * code, `=` included), so distinct ids give distinct, RFC 5322-valid Message-IDs.
 */
export function messageIdFor(id: string, domain: string): string {
  const local = id.replace(
    /[^A-Za-z0-9_-]/g,
    (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return `<${local}@${domain}>`;
}
