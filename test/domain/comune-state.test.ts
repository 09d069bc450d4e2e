import {
  applyServiceStatus,
  cancelOpenServices,
  enterStage,
  initialComuneState,
  markLate,
  moveDeadline,
  recordDelegationDone,
  recordReminder,
  requestDelegation,
  sendSignedFormLink,
} from '../../domain/comune-state';
import { comuneInput } from '../support/fixtures';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('changes to a Comune’s state (domain/comune-state.ts)', () => {
  const fresh = () => initialComuneState(comuneInput({ now: new Date(T0) }), iso(T0));

  it('starts at the adhesion check with every service queued', () => {
    const state = fresh();
    expect(state.stage).toBe('adhesion_check');
    expect(state.services.map((s) => s.status)).toEqual(Array(5).fill('pending'));
    expect(state.timeline).toEqual([{ at: iso(T0), step: 'Percorso avviato', actor: 'sistema' }]);
  });

  it('alerts staff once, at the second reminder of a stage, and starts again in the next stage', () => {
    const state = fresh();
    expect(recordReminder(state, iso(T0 + DAY_MS))).toBe(false);
    expect(recordReminder(state, iso(T0 + 2 * DAY_MS))).toBe(true);
    expect(recordReminder(state, iso(T0 + 3 * DAY_MS))).toBe(false);
    enterStage(state, 'awaiting_signed_form', iso(T0 + 4 * DAY_MS), 'sistema');
    expect(state.reminders).toMatchObject({ sentInStage: 0, total: 3, staffAlerted: false });
    expect(recordReminder(state, iso(T0 + 5 * DAY_MS))).toBe(false);
    expect(recordReminder(state, iso(T0 + 6 * DAY_MS))).toBe(true);
  });

  it('asks for the delegation again after a record, with the earlier record kept', () => {
    const state = fresh();
    requestDelegation(state, iso(T0));
    recordDelegationDone(state, { actor: 'staff:Giulia' }, iso(T0 + DAY_MS));
    sendSignedFormLink(state, T0 + DAY_MS, 30);
    expect(state.signedForm.linkExpiresAt).toBe(iso(T0 + 31 * DAY_MS));
    requestDelegation(state, iso(T0 + 32 * DAY_MS));
    expect(state.delegation).toEqual({
      requestCount: 2,
      requestedAt: iso(T0 + 32 * DAY_MS),
      completedAt: iso(T0 + DAY_MS),
    });
  });

  it('moves a late Comune’s deadline into the future: no longer late, the ladder re-armed', () => {
    const state = fresh();
    markLate(state, iso(T0));
    markLate(state, iso(T0 + DAY_MS));
    expect(state.timeline.filter((t) => t.step.startsWith('Scadenza superata'))).toHaveLength(1);
    state.escalationStepsHandled = [60, 30, 14, 7, 1, 0];
    const deadline = iso(T0 + 90 * DAY_MS);
    moveDeadline(state, { actor: 'manager:Paolo', deadline, reason: 'proroga' }, T0, [60, 30, 14, 7, 1]);
    expect(state).toMatchObject({ late: false, lateSince: undefined, deadline });
    expect(state.escalationStepsHandled).toEqual([]);
    expect(state.nextEscalationAt).toBe(iso(T0 + 30 * DAY_MS));
  });

  it('applies a service’s report, ignores an unknown service, and cancels what is open on withdrawal', () => {
    const state = fresh();
    const [first, second] = state.services;
    expect(applyServiceStatus(state, { slug: 'nessuno', status: 'active' }, iso(T0))).toBe(false);
    applyServiceStatus(
      state,
      { slug: first!.slug, status: 'rejected', rejection: { at: iso(T0), reason: 'manca la privacy' } },
      iso(T0),
    );
    applyServiceStatus(state, { slug: second!.slug, status: 'active', ioServiceId: '01ABC' }, iso(T0));
    expect(state.services[0]).toMatchObject({
      status: 'rejected',
      rejections: [{ reason: 'manca la privacy' }],
    });
    cancelOpenServices(state);
    expect(state.services.map((s) => s.status)).toEqual([
      'cancelled',
      'active',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });
});
