import type { NotifyRequest } from '../../../activities/notifications';
import { sentRecordSchema } from '../../../integrations/mail/ledger';
import {
  type Notification,
  notificationSchema,
  renderNotification,
} from '../../../integrations/mail/notification';
import {
  type Audience,
  audienceGroups,
  audienceMismatch,
  isNotificationKind,
  type NotificationKind,
  notificationKindLabel,
  notificationKinds,
  notificationKindSchema,
  notificationRegistry,
  recipientGroups,
  renderTemplate,
} from '../../../integrations/mail/registry';
import { comune, mayor, sampleNotifications, secretary } from './fixtures';

const samples = new Map(sampleNotifications('registry').map((n) => [n.kind, n] as const));
const sampleOf = (kind: NotificationKind): Notification => {
  const sample = samples.get(kind);
  if (!sample) throw new Error(`no sample notification of kind ${kind} in fixtures.ts`);
  return sample;
};

/** The audience a workflow gives a kind, built from the registry's recipients. */
const audienceFromRegistry = (kind: NotificationKind): Audience => {
  const groups: readonly string[] = notificationRegistry[kind].recipients;
  return {
    ...(groups.includes('comune') ? { to: [secretary], cc: [mayor] } : {}),
    ...(groups.includes('staff') ? { staff: true } : {}),
    ...(groups.includes('managers') ? { managers: true } : {}),
  };
};

describe('the notification registry drives every notification', () => {
  test('the kinds are the registry’s keys, in order, everywhere', () => {
    expect(notificationKinds).toEqual(Object.keys(notificationRegistry));
    expect(notificationKinds.length).toBeGreaterThan(0);
    expect(notificationKindSchema.options).toEqual([...notificationKinds]);
    // The notification union has exactly one variant per registry kind.
    const variantKinds = notificationSchema.options.flatMap((variant) => [...variant.shape.kind.values]);
    expect(variantKinds).toEqual([...notificationKinds]);
    // The fixtures have one sample per kind: a new kind without a sample fails here.
    expect([...samples.keys()].sort()).toEqual([...notificationKinds].sort());
  });

  test.each(notificationKinds.map((kind) => [kind]))(
    '%s: a label, a schema, a template and recipients',
    (kind) => {
      const definition = notificationRegistry[kind];
      expect(definition.label.trim()).toBe(definition.label);
      expect(definition.label.length).toBeGreaterThan(3);
      // Italian words, never an id.
      expect(definition.label).not.toMatch(/_/);
      expect(definition.label).not.toContain(kind);
      expect(typeof definition.schema.safeParse).toBe('function');
      expect(typeof definition.render).toBe('function');
      expect(definition.recipients.length).toBeGreaterThan(0);
      expect(new Set(definition.recipients).size).toBe(definition.recipients.length);
      for (const group of definition.recipients) expect(recipientGroups).toContain(group);
    },
  );

  test('labels are distinct and looked up only for the registry’s own kinds', () => {
    const labels = notificationKinds.map(notificationKindLabel);
    expect(new Set(labels).size).toBe(notificationKinds.length);
    expect(notificationKindLabel('service_rejected')).toBe('Rifiuto di un servizio');
    for (const other of [null, undefined, '', 'delegation_request', 'constructor', '__proto__', 'toString']) {
      expect(notificationKindLabel(other)).toBeNull();
      if (other) expect(isNotificationKind(other)).toBe(false);
    }
  });

  test.each(notificationKinds.map((kind) => [kind]))(
    '%s: the sample validates and renders an Italian e-mail through the registry',
    (kind) => {
      const sample = sampleOf(kind);
      expect(notificationSchema.parse(sample).kind).toBe(kind);
      const email = renderNotification(sample);
      expect(email).toEqual(renderTemplate(kind, notificationRegistry[kind].schema.parse(sample.data)));
      expect(email.subject.trim().length).toBeGreaterThan(0);
      expect(email.subject).toContain(`${comune.name} (${comune.ipaCode})`);
      expect(email.subject).not.toContain(kind);
      expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="it">/);
      expect(email.text).toContain('Cordiali saluti');
    },
  );

  test('the notification schema refuses a kind outside the registry and data of another kind', () => {
    const reminder = sampleOf('reminder');
    expect(notificationSchema.safeParse({ ...reminder, kind: 'delegation_request' }).success).toBe(false);
    expect(notificationSchema.safeParse({ ...reminder, kind: 'constructor' }).success).toBe(false);
    const staffAlert = sampleOf('staff_alert');
    expect(notificationSchema.safeParse({ ...reminder, data: staffAlert.data }).success).toBe(false);
  });

  test('the ledger records only the registry’s kinds', () => {
    for (const kind of notificationKinds) expect(notificationKindSchema.parse(kind)).toBe(kind);
    const record = {
      id: 'comune:c_l378:x',
      messageId: '<x@comunitrentini.it>',
      kind: 'reminder',
      to: [secretary],
      cc: [],
      accepted: [secretary],
      rejected: [],
      sentAt: '2026-06-18T08:00:00.000Z',
    };
    expect(sentRecordSchema.safeParse(record).success).toBe(true);
    expect(sentRecordSchema.safeParse({ ...record, kind: 'delegation_request' }).success).toBe(false);
  });

  test('recipients: the audience built from the registry matches it; any other is a mismatch', () => {
    for (const kind of notificationKinds) {
      const audience = audienceFromRegistry(kind);
      expect(audienceGroups(audience)).toEqual(
        recipientGroups.filter((g) =>
          (notificationRegistry[kind].recipients as readonly string[]).includes(g),
        ),
      );
      expect(audienceMismatch(kind, audience)).toBeUndefined();
    }
    // Internal alerts never go to the Comune; the Comune's e-mails reach its people.
    expect(audienceMismatch('staff_alert', { to: [secretary], staff: true })).toEqual({
      missing: [],
      unexpected: ['comune'],
    });
    expect(audienceMismatch('reminder', { staff: true })).toEqual({
      missing: ['comune'],
      unexpected: ['staff'],
    });
    expect(audienceMismatch('manager_escalation', {})).toEqual({ missing: ['managers'], unexpected: [] });
    // A cc alone still counts as the Comune's people; the mailer decides that it is not enough to send.
    expect(audienceGroups({ cc: [mayor] })).toEqual(['comune']);
    expect(audienceMismatch('not_a_kind', {})).toBeUndefined();
  });

  test('workflows can only send the audience the registry gives a kind (compile-time check)', () => {
    const data = { comune, alert: 'prova', missing: ['x'] };
    const staffAlert: NotifyRequest = {
      id: 'a',
      kind: 'staff_alert',
      comuneIpa: 'c_l378',
      audience: { staff: true },
      data,
    };
    // @ts-expect-error: a staff alert is internal, never addressed to the Comune.
    const toTheComune: NotifyRequest = {
      id: 'b',
      kind: 'staff_alert',
      comuneIpa: 'c_l378',
      audience: { to: [secretary], staff: true },
      data,
    };
    const escalation: NotifyRequest<'manager_escalation'>['audience'] = { managers: true };
    // @ts-expect-error: the escalation goes to managers, not to staff.
    const notToStaff: NotifyRequest<'manager_escalation'>['audience'] = { staff: true };
    // @ts-expect-error: the Comune's e-mails need the Comune's addresses.
    const withoutAddresses: NotifyRequest<'reminder'>['audience'] = { staff: true };
    const linkExpired: NotifyRequest<'signed_form_link_expired'>['audience'] = {
      to: [secretary],
      cc: [mayor],
      staff: true,
    };
    // @ts-expect-error: the union correlates each kind with its own data.
    const reminderWithAlertData: Notification = {
      id: 'c',
      kind: 'reminder',
      to: [secretary],
      data: { ...data, partnerName: 'Consorzio' },
    };
    for (const value of [
      staffAlert,
      toTheComune,
      escalation,
      notToStaff,
      withoutAddresses,
      linkExpired,
      reminderWithAlertData,
    ]) {
      expect(value).toBeDefined();
    }
  });
});
