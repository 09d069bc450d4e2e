import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  recordDelegationDoneUpdate,
  recordSignedFormUpdate,
  remindNowUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  DAY_MS,
  HOUR_MS,
  notifyIds,
  ofKind,
  recordManageKey,
  signedForm,
  waitForNotifications,
  waitForStage,
  waitForState,
  withComune,
} from './helpers';

const automaticA = {
  behaviour: { adherent: false, onboarding: 'active' as const },
  fixture: { settings: { adhesionCheck: 'automatic' as const } },
};

/** Waits until the reminder loop has sent `total` reminders and armed the next timer (nothing left in flight). */
const afterReminders = (total: number, intervalDays: number) => (s: ComuneState) =>
  s.reminders.total === total &&
  s.reminders.lastAt !== undefined &&
  s.reminders.nextAt !== undefined &&
  Date.parse(s.reminders.nextAt) === Date.parse(s.reminders.lastAt) + intervalDays * DAY_MS;

describe('Comune journey: reminders and the signed-form link', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('reminds the Comune every 7 days, alerts staff once after the second reminder, and reminds on demand', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_r001',
        ...automaticA,
        fixture: { settings: { adhesionCheck: 'automatic', reminderIntervalDays: 7 } },
      },
      async ({ handle, mocks, input }) => {
        // Instructions sent and the first reminder armed: the workflow is parked on its timer.
        const requested = await waitForState(
          handle,
          'delegation requested',
          (s) => s.stage === 'delegation_requested' && s.reminders.nextAt !== undefined,
        );
        await waitForNotifications(mocks, 'delegation_instructions_a', 1);
        expect(Date.parse(requested.reminders.nextAt!)).toBe(
          Date.parse(requested.delegation.requestedAt!) + 7 * DAY_MS,
        );
        const requestedAtMs = Date.parse(requested.delegation.requestedAt!);

        await env.sleep('7 days');
        const first = await waitForState(handle, 'first reminder', afterReminders(1, 7));
        expect(Date.parse(first.reminders.lastAt!) - requestedAtMs).toBeGreaterThanOrEqual(7 * DAY_MS);
        expect(Date.parse(first.reminders.lastAt!) - requestedAtMs).toBeLessThan(7 * DAY_MS + HOUR_MS);
        expect(ofKind(mocks, 'reminder')).toHaveLength(1);
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(0);
        const [reminder] = ofKind(mocks, 'reminder');
        expect(reminder!.audience.to).toEqual([input.contacts.secretary.email]);
        expect(reminder!.data).toMatchObject({ reminderNumber: 1, daysSinceRequest: 7 });

        await env.sleep('7 days');
        const second = await waitForState(handle, 'second reminder', afterReminders(2, 7));
        expect(second.reminders.staffAlerted).toBe(true);
        expect(ofKind(mocks, 'reminder')).toHaveLength(2);
        const alerts = ofKind(mocks, 'staff_alert');
        expect(alerts).toHaveLength(1);
        expect(alerts[0]!.audience).toEqual({ staff: true });
        expect(alerts[0]!.data).toMatchObject({ alert: 'Nessuna risposta dopo il secondo sollecito' });

        await env.sleep('7 days');
        const third = await waitForState(handle, 'third reminder', afterReminders(3, 7));
        expect(Date.parse(third.reminders.lastAt!) - requestedAtMs).toBeLessThan(21 * DAY_MS + HOUR_MS);
        expect(ofKind(mocks, 'reminder')).toHaveLength(3);
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(1);

        // A staff member asks for a reminder now: it goes at once, without moving time.
        const beforeMs = await env.currentTimeMs();
        await handle.executeUpdate(remindNowUpdate, { args: [{ actor: 'Giulia Verdi (staff)' }] });
        const fourth = await waitForState(handle, 'reminder on demand', afterReminders(4, 7));
        expect(Date.parse(fourth.reminders.lastAt!) - beforeMs).toBeLessThan(HOUR_MS);
        expect(ofKind(mocks, 'reminder')).toHaveLength(4);
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(1);
        expect(
          fourth.timeline.some((t) => t.step === 'Sollecito richiesto' && t.actor === 'Giulia Verdi (staff)'),
        ).toBe(true);

        const ids = notifyIds(mocks);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(mocks.notifications.length);
      },
    );
  });

  it('a signed-form link unused for 30 days expires: the delegation is requested again, then the journey goes on', async () => {
    await withComune(env, { ipaCode: 'c_r002', ...automaticA }, async ({ handle, mocks, input }) => {
      await waitForStage(handle, 'delegation_requested');
      await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'Giulia Verdi (staff)' }] });
      const awaiting = await waitForStage(handle, 'awaiting_signed_form');
      const linkSentMs = Date.parse(awaiting.signedForm.linkSentAt!);
      expect(Date.parse(awaiting.signedForm.linkExpiresAt!) - linkSentMs).toBe(30 * DAY_MS);

      await env.sleep('31 days');
      const again = await waitForState(
        handle,
        'delegation requested again',
        (s) => s.stage === 'delegation_requested' && s.delegation.requestCount === 2,
      );
      expect(again.signedForm.expiredCount).toBe(1);
      expect(again.signedForm.record).toBeUndefined();

      const [expired] = await waitForNotifications(mocks, 'signed_form_link_expired', 1);
      expect(expired!.audience).toMatchObject({ to: [input.contacts.secretary.email], staff: true });
      expect(expired!.audience.cc).toEqual(expect.arrayContaining([input.comune.pec]));
      const expiredAtMs = Date.parse((expired!.data as { expiredAt: string }).expiredAt);
      expect(expiredAtMs - linkSentMs).toBeGreaterThanOrEqual(30 * DAY_MS);
      expect(expiredAtMs - linkSentMs).toBeLessThan(30 * DAY_MS + HOUR_MS);

      const instructions = await waitForNotifications(mocks, 'delegation_instructions_a', 2);
      expect(instructions).toHaveLength(2);
      expect(new Set(instructions.map((n) => n.id)).size).toBe(2);
      // The reminders of the expired link (days 7, 14, 21, 28) came before it.
      expect(ofKind(mocks, 'reminder')).toHaveLength(4);

      await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'Giulia Verdi (staff)' }] });
      const relinked = await waitForStage(handle, 'awaiting_signed_form');
      expect(Date.parse(relinked.signedForm.linkSentAt!)).toBeGreaterThan(linkSentMs + 30 * DAY_MS);
      await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
      await recordManageKey(handle);
      const final = (await handle.result()) as ComuneState;
      expect(final.stage).toBe('completed');
      expect(final.delegation.requestCount).toBe(2);
      expect(final.signedForm.expiredCount).toBe(1);
      expect(final.servicesActive).toBe(final.servicesTotal);
      const ids = notifyIds(mocks);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
});
