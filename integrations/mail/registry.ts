import { z } from 'zod';
import type { RenderedEmail } from './document';
import { journeyCompletedDataSchema, renderJourneyCompleted } from './templates/completed';
import {
  delegationInstructionsDataSchema,
  renderDelegationInstructionsA,
  renderDelegationInstructionsB,
} from './templates/delegation';
import { managerEscalationDataSchema, renderManagerEscalation } from './templates/escalation';
import { renderSignedFormLinkExpired, signedFormLinkExpiredDataSchema } from './templates/link-expired';
import { renderReminder, reminderDataSchema } from './templates/reminder';
import {
  renderServiceRejected,
  renderServiceUnpublished,
  renderStaffAlert,
  serviceRejectedDataSchema,
  serviceUnpublishedDataSchema,
  staffAlertDataSchema,
} from './templates/staff';

/**
 * The registry of notifications: for each kind, its Italian label, the template's input schema, the Italian
 * template and who receives it. Everything else derives from it: the kinds, the notification schema and type
 * (notification.ts), the renderer dispatch, the ledger's kinds (ledger.ts), the outbox's labels (outbox.ts) and
 * the audience a workflow may give each kind (`AudienceFor`).
 *
 * Adding a notification = a template file under templates/ (schema + pure renderer) and one entry here.
 */

/**
 * Who receives a notification:
 * - `comune`: the Comune's people, To the Segretario comunale, Cc the Sindaco and the Comune's PEC (the workflow
 *   knows their addresses and passes them as `audience.to` / `audience.cc`);
 * - `staff`: the partner's staff (`STAFF_EMAILS`), `audience.staff`;
 * - `managers`: the partner's managers (`MANAGER_EMAILS`), `audience.managers`.
 */
export const recipientGroups = ['comune', 'staff', 'managers'] as const;
export type RecipientGroup = (typeof recipientGroups)[number];

/** What a workflow decides: the Comune's people by address, the partner's teams by role. */
export interface Audience {
  to?: string[];
  cc?: string[];
  staff?: boolean;
  managers?: boolean;
}

export interface NotificationDefinition<
  S extends z.ZodType = z.ZodType,
  R extends readonly RecipientGroup[] = readonly RecipientGroup[],
> {
  /** The kind in Italian, for screens (the outbox): a raw kind id never reaches a person. */
  label: string;
  /** The template's input (every template's extends `baseDataSchema`). */
  schema: S;
  /** The Italian template: pure, validates its input, returns `{ subject, text, html }`. */
  render: (data: z.output<S>) => RenderedEmail;
  /** Who receives it. */
  recipients: R;
}

const defineNotification = <S extends z.ZodType, const R extends readonly RecipientGroup[]>(
  definition: NotificationDefinition<S, R>,
): NotificationDefinition<S, R> => definition;

export const notificationRegistry = {
  delegation_instructions_a: defineNotification({
    label: 'Istruzioni per l’adesione e la delega (scenario A)',
    schema: delegationInstructionsDataSchema,
    render: renderDelegationInstructionsA,
    recipients: ['comune'],
  }),
  delegation_instructions_b: defineNotification({
    label: 'Istruzioni per la delega (scenario B)',
    schema: delegationInstructionsDataSchema,
    render: renderDelegationInstructionsB,
    recipients: ['comune'],
  }),
  reminder: defineNotification({
    label: 'Promemoria al Comune',
    schema: reminderDataSchema,
    render: renderReminder,
    recipients: ['comune'],
  }),
  signed_form_link_expired: defineNotification({
    label: 'Link Selfcare scaduto',
    schema: signedFormLinkExpiredDataSchema,
    render: renderSignedFormLinkExpired,
    recipients: ['comune', 'staff'],
  }),
  staff_alert: defineNotification({
    label: 'Segnalazione al personale',
    schema: staffAlertDataSchema,
    render: renderStaffAlert,
    recipients: ['staff'],
  }),
  service_rejected: defineNotification({
    label: 'Rifiuto di un servizio',
    schema: serviceRejectedDataSchema,
    render: renderServiceRejected,
    recipients: ['staff'],
  }),
  service_unpublished: defineNotification({
    label: 'Servizi non più visibili in App IO',
    schema: serviceUnpublishedDataSchema,
    render: renderServiceUnpublished,
    recipients: ['staff', 'managers'],
  }),
  manager_escalation: defineNotification({
    label: 'Escalation alla direzione',
    schema: managerEscalationDataSchema,
    render: renderManagerEscalation,
    recipients: ['managers'],
  }),
  journey_completed: defineNotification({
    label: 'Percorso completato',
    schema: journeyCompletedDataSchema,
    render: renderJourneyCompleted,
    recipients: ['comune', 'staff'],
  }),
};

export type NotificationRegistry = typeof notificationRegistry;
export type NotificationKind = keyof NotificationRegistry;

/** In registry order. */
export const notificationKinds = Object.keys(notificationRegistry) as readonly NotificationKind[];
export const notificationKindSchema = z.enum(notificationKinds);

export type NotificationData<K extends NotificationKind> = z.output<NotificationRegistry[K]['schema']>;

/** The registry seen per kind, so that a generic `K` correlates a kind's schema, data and renderer. */
const definitions: { [K in NotificationKind]: NotificationDefinition<NotificationRegistry[K]['schema']> } =
  notificationRegistry;

export const isNotificationKind = (kind: string): kind is NotificationKind =>
  Object.hasOwn(notificationRegistry, kind);

export function renderTemplate<K extends NotificationKind>(
  kind: K,
  data: NotificationData<K>,
): RenderedEmail {
  return definitions[kind].render(data);
}

/** The Italian label of a kind; null for no kind or one the registry does not know (e.g. retired). */
export function notificationKindLabel(kind: string | null | undefined): string | null {
  return kind != null && isNotificationKind(kind) ? notificationRegistry[kind].label : null;
}

type GroupsOf<K extends NotificationKind> = NotificationRegistry[K]['recipients'][number];

/**
 * The audience the registry allows for a kind: the Comune's addresses exactly when it lists `comune`, each
 * partner role exactly when it lists that role. Workflows send through it (checked at compile time: they cannot
 * import the registry's values).
 */
export type AudienceFor<K extends NotificationKind> = ('comune' extends GroupsOf<K>
  ? { to: string[]; cc?: string[] }
  : { to?: never; cc?: never }) &
  ('staff' extends GroupsOf<K> ? { staff: true } : { staff?: never }) &
  ('managers' extends GroupsOf<K> ? { managers: true } : { managers?: never });

/** The groups an audience reaches. */
export function audienceGroups(audience: Audience): RecipientGroup[] {
  return recipientGroups.filter((group) =>
    group === 'comune'
      ? (audience.to?.length ?? 0) + (audience.cc?.length ?? 0) > 0
      : audience[group] === true,
  );
}

/** How an audience departs from the kind's recipients in the registry; undefined when it does not. */
export function audienceMismatch(
  kind: string,
  audience: Audience,
): { missing: RecipientGroup[]; unexpected: RecipientGroup[] } | undefined {
  // An unknown kind is the notification schema's to refuse.
  if (!isNotificationKind(kind)) return undefined;
  const expected: readonly RecipientGroup[] = notificationRegistry[kind].recipients;
  const actual = audienceGroups(audience);
  const missing = expected.filter((group) => !actual.includes(group));
  const unexpected = actual.filter((group) => !expected.includes(group));
  return missing.length > 0 || unexpected.length > 0 ? { missing, unexpected } : undefined;
}
