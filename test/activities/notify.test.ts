import type { NotifyInput } from '../../activities';
import {
  COMUNE,
  failureOf,
  PARTNER,
  runActivity,
  startActivityHarness,
  type ActivityHarness,
} from './harness';

const SECRETARY = 'segreteria@comune.trento.it';
const MAYOR = 'sindaco@comune.trento.it';
const GREYLISTED = 'greylisted@comune.trento.it';
const UNKNOWN_MAILBOX = 'nessuno@comune.trento.it';

const comune = { name: COMUNE.name, ipaCode: COMUNE.ipaCode };
const delegate = {
  firstName: 'Laura',
  lastName: 'Bianchi',
  fiscalCode: 'BNCLRA85T41L378T',
  email: 'laura.bianchi@tndigit.it',
};

let h: ActivityHarness;

beforeAll(async () => {
  h = await startActivityHarness({
    catcher: {
      rejectRecipient: (address) => {
        if (address === GREYLISTED) return { code: 450, message: 'Mailbox busy, try again later' };
        if (address === UNKNOWN_MAILBOX) return { code: 550, message: 'No such user' };
        return undefined;
      },
    },
  });
});

afterAll(async () => {
  await h?.close();
});

function delegationA(id: string, audience: NotifyInput['audience']): NotifyInput {
  return {
    id,
    kind: 'delegation_instructions_a',
    comuneIpa: COMUNE.ipaCode,
    audience,
    data: { comune, delegate, trackingFormUrl: 'https://forms.gle/daPtSSu9vhrfiVsZ7' },
  };
}

function staffAlert(id: string, audience: NotifyInput['audience']): NotifyInput {
  return {
    id,
    kind: 'staff_alert',
    comuneIpa: COMUNE.ipaCode,
    audience,
    data: {
      comune,
      alert: 'nessuna risposta dopo il secondo sollecito',
      missing: ['delega del ruolo di Amministratore su Selfcare'],
      remindersSent: 2,
    },
  };
}

async function newest() {
  const page = await h.catcher.outbox.listOutbox({ limit: 1 });
  return page.items[0];
}

describe('notify', () => {
  it('sends the delegation instructions to the secretary, cc the mayor, signed by the partner', async () => {
    const before = await h.catcher.outbox.count();
    const id = 'comune:c_l378:delegation-a:1';
    expect(await runActivity(h.activities.notify, delegationA(id, { to: [SECRETARY], cc: [MAYOR] }))).toEqual(
      {
        status: 'sent',
      },
    );
    expect(await h.catcher.outbox.count()).toBe(before + 1);
    const message = await newest();
    expect(message).toMatchObject({
      to: [SECRETARY],
      cc: [MAYOR],
      kind: 'delegation_instructions_a',
      notificationId: id,
      comuneIpa: 'c_l378',
      from: 'noreply@comunitrentini.it',
    });
    expect([...message!.envelopeTo].sort()).toEqual([MAYOR, SECRETARY].sort());
    // The partner's signature and contacts come from configuration, not from the workflow.
    expect(message!.text).toContain(PARTNER.name);
    expect(message!.text).toContain(PARTNER.contactEmail);
    expect(message!.text).toContain('Laura');
  });

  it("audience { staff: true } goes to the partner's staff", async () => {
    const id = 'comune:c_l378:staff-alert:1';
    expect(await runActivity(h.activities.notify, staffAlert(id, { staff: true }))).toEqual({
      status: 'sent',
    });
    const message = await newest();
    expect(message).toMatchObject({
      notificationId: id,
      kind: 'staff_alert',
      to: PARTNER.staffEmails,
      cc: [],
    });
  });

  it('merges addresses and roles without duplicates; cc never repeats a recipient', async () => {
    const id = 'comune:c_l378:staff-alert:2';
    const audience = {
      to: [PARTNER.staffEmails[0]!],
      cc: [PARTNER.managerEmails[0]!, MAYOR],
      staff: true,
      managers: true,
    };
    expect(await runActivity(h.activities.notify, staffAlert(id, audience))).toEqual({ status: 'sent' });
    const message = await newest();
    expect(message?.to).toEqual([...PARTNER.staffEmails, ...PARTNER.managerEmails]);
    expect(message?.cc).toEqual([MAYOR]);
  });

  it('a retried activity (same id) does not send twice', async () => {
    const input = delegationA('comune:c_l378:delegation-a:retry', { to: [SECRETARY], cc: [MAYOR] });
    expect(await runActivity(h.activities.notify, input)).toEqual({ status: 'sent' });
    const count = await h.catcher.outbox.count();
    expect(await runActivity(h.activities.notify, input)).toEqual({ status: 'already_sent' });
    expect(await h.catcher.outbox.count()).toBe(count);
  });

  it('without recipients nothing is sent', async () => {
    const count = await h.catcher.outbox.count();
    expect(await runActivity(h.activities.notify, staffAlert('comune:c_l378:nobody:1', {}))).toEqual({
      status: 'no_recipients',
    });
    // A cc alone is not an audience.
    expect(
      await runActivity(h.activities.notify, staffAlert('comune:c_l378:nobody:2', { cc: [MAYOR] })),
    ).toEqual({
      status: 'no_recipients',
    });
    const noStaff = h.build({ ...h.deps, partner: { ...PARTNER, staffEmails: [] } });
    expect(await runActivity(noStaff.notify, staffAlert('comune:c_l378:nobody:3', { staff: true }))).toEqual({
      status: 'no_recipients',
    });
    expect(await h.catcher.outbox.count()).toBe(count);
  });

  it('an invalid notification is a non-retryable MailPermanent', async () => {
    const input = delegationA('comune:c_l378:invalid:1', { to: ['not an address'] });
    const failure = await failureOf(runActivity(h.activities.notify, input));
    expect(failure).toMatchObject({ type: 'MailPermanent', nonRetryable: true });
  });

  it('a 4xx SMTP refusal is retryable (MailTransient), a 5xx one is not (MailPermanent)', async () => {
    const transient = await failureOf(
      runActivity(h.activities.notify, delegationA('comune:c_l378:smtp:450', { to: [GREYLISTED] })),
    );
    expect(transient).toMatchObject({ type: 'MailTransient', nonRetryable: false });
    const permanent = await failureOf(
      runActivity(h.activities.notify, delegationA('comune:c_l378:smtp:550', { to: [UNKNOWN_MAILBOX] })),
    );
    expect(permanent).toMatchObject({ type: 'MailPermanent', nonRetryable: true });
  });
});
