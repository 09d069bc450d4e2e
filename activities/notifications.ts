import { log } from '@temporalio/activity';
import {
  type Audience,
  type AudienceFor,
  audienceMismatch,
  type Mailer,
  type Notification,
  type NotificationData,
  type NotificationKind,
} from '../integrations/mail';

export interface PartnerProfile {
  /** Signs every e-mail, e.g. "Consorzio dei Comuni Trentini". */
  name: string;
  staffEmails: string[];
  managerEmails: string[];
  contactEmail?: string;
  contactPhone?: string;
}

/** Who receives a notification: the Comune's people by address, the partner's teams by role. */
export type { Audience };

/**
 * What the workflow decides: the partner's signature and contacts are added here, from configuration. The
 * activity honours any audience (histories recorded by earlier releases replay with theirs); workflows send a
 * `NotifyRequest`, whose audience the registry's recipients check.
 */
export type NotifyInput<K extends NotificationKind = NotificationKind> = {
  [Kind in K]: {
    /** Deterministic, minted by the workflow: a retried activity never sends twice. */
    id: string;
    kind: Kind;
    comuneIpa: string;
    audience: Audience;
    data: Omit<NotificationData<Kind>, 'partnerName' | 'contacts'>;
  };
}[K];

/** A `NotifyInput` whose audience is the one the registry gives its kind (`AudienceFor`). */
export type NotifyRequest<K extends NotificationKind = NotificationKind> = {
  [Kind in K]: Omit<NotifyInput<Kind>, 'audience'> & { audience: AudienceFor<Kind> };
}[K];

export function createNotificationActivities({
  mailer,
  partner,
}: {
  mailer: Mailer;
  partner: PartnerProfile;
}) {
  return {
    async notify(input: NotifyInput): Promise<{ status: 'sent' | 'already_sent' | 'no_recipients' }> {
      const mismatch = audienceMismatch(input.kind, input.audience);
      if (mismatch) {
        log.warn('notification audience differs from the registry’s recipients', {
          kind: input.kind,
          notificationId: input.id,
          ...mismatch,
        });
      }
      const roleRecipients = [
        ...(input.audience.staff ? partner.staffEmails : []),
        ...(input.audience.managers ? partner.managerEmails : []),
      ];
      const to = [...new Set([...(input.audience.to ?? []), ...roleRecipients])];
      if (to.length === 0) {
        log.warn('notification without recipients: check STAFF_EMAILS / MANAGER_EMAILS', {
          kind: input.kind,
        });
        return { status: 'no_recipients' };
      }
      const cc = (input.audience.cc ?? []).filter((address) => !to.includes(address));
      const contacts =
        partner.contactEmail || partner.contactPhone
          ? { email: partner.contactEmail, phone: partner.contactPhone }
          : undefined;
      const notification = {
        id: input.id,
        kind: input.kind,
        to,
        ...(cc.length > 0 ? { cc } : {}),
        comuneIpa: input.comuneIpa,
        data: { ...input.data, partnerName: partner.name, ...(contacts ? { contacts } : {}) },
      } as Notification;
      const result = await mailer.send(notification);
      log.info('notification', { kind: input.kind, notificationId: input.id, status: result.status });
      return { status: result.status };
    },
  };
}
