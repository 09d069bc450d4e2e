import { z } from 'zod';
import type { RenderedEmail } from './document';
import { emailSchema, ipaCodeSchema } from './schemas';
import {
  type NotificationKind,
  type NotificationRegistry,
  notificationKinds,
  notificationRegistry,
  renderTemplate,
} from './registry';

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

/** One variant of the union: the envelope, the kind and the kind's data schema from the registry. */
const variantOf = <K extends NotificationKind>(kind: K) =>
  z.object({
    ...envelope,
    kind: z.literal(kind),
    // Keeps `K` in the type: without it TypeScript widens the schema to every kind's.
    data: notificationRegistry[kind].schema as NotificationRegistry[K]['schema'],
  });
type Variant = { [K in NotificationKind]: ReturnType<typeof variantOf<K>> }[NotificationKind];

/**
 * Every kind of the registry, discriminated by `kind`. `map` cannot keep each element's kind in its type: the
 * cast restores it (the registry's test checks that the schema accepts exactly the registry's kinds).
 */
export const notificationSchema = z.discriminatedUnion(
  'kind',
  notificationKinds.map(variantOf) as unknown as [Variant, ...Variant[]],
);
export type Notification = z.infer<typeof notificationSchema>;
/** The notification of one kind. */
export type NotificationOf<K extends NotificationKind> = Extract<Notification, { kind: K }>;

/** The kind's template from the registry; the schema has already correlated `kind` and `data`. */
export function renderNotification(notification: Notification): RenderedEmail {
  return renderTemplate(notification.kind, notification.data);
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
