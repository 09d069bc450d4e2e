import {
  applyServiceStatus,
  cancelOpenServices,
  enterStage,
  initialComuneState,
  markLate,
  moveDeadline,
  recordDelegationDone,
  fallBackToManualOnboardingCheck,
  openIoAccess,
  recordManageKey,
  recordManageKeyRefused,
  recordOnboardingOutcome,
  recordReminder,
  recordSignedForm,
  requestDelegation,
  restartAdhesionRound,
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

  describe('the stage «Accesso a IO»', () => {
    const keyRef = (fp: string) => ({
      actor: 'staff:Giulia',
      ref: `mk_c_l378_${fp}`,
      fingerprint: fp,
      hasSecondary: false,
    });
    const KEY_X = 'aaaaaaaaaaaa';
    const KEY_Y = 'bbbbbbbbbbbb';

    it('opens once with the settings’ check, and falls back to staff with the reason', () => {
      const state = fresh();
      expect(openIoAccess(state, 'automatic')).toEqual({ check: 'automatic', pausedServices: [] });
      expect(openIoAccess(state, 'manual').check).toBe('automatic');
      fallBackToManualOnboardingCheck(state, 'nessuna chiave Selfcare configurata');
      expect(state.ioAccess).toEqual({
        check: 'manual',
        checkFallback: 'nessuna chiave Selfcare configurata',
        pausedServices: [],
      });
    });

    it('records the onboarding outcome: only an active one marks it active', () => {
      const state = fresh();
      recordOnboardingOutcome(
        state,
        { outcome: 'rejected', actor: 'sistema', detail: 'Selfcare: REJECTED' },
        iso(T0),
      );
      expect(state.ioAccess?.onboardingActiveAt).toBeUndefined();
      recordOnboardingOutcome(
        state,
        { outcome: 'active', actor: 'staff:Giulia', note: 'visto' },
        iso(T0 + DAY_MS),
      );
      expect(state.ioAccess).toMatchObject({
        onboardingActiveAt: iso(T0 + DAY_MS),
        onboardingRecordedBy: 'staff:Giulia',
      });
      expect(state.timeline.slice(-2)).toEqual([
        {
          at: iso(T0),
          step: 'Adesione ad App IO su Selfcare rifiutata',
          actor: 'sistema',
          detail: 'Selfcare: REJECTED',
        },
        {
          at: iso(T0 + DAY_MS),
          step: 'Adesione ad App IO su Selfcare attiva',
          actor: 'staff:Giulia',
          detail: 'visto',
        },
      ]);
    });

    it('restarts the adhesion round: delegation, signed form and onboarding no longer count', () => {
      const state = fresh();
      requestDelegation(state, iso(T0));
      recordDelegationDone(state, { actor: 'staff:Giulia' }, iso(T0 + DAY_MS));
      state.signedForm.expiredCount = 1;
      recordSignedForm(
        state,
        { actor: 'staff:Giulia', document: { sha256: 'b'.repeat(64), signerName: 'Franco Ianeselli' } },
        iso(T0 + 2 * DAY_MS),
      );
      expect(state.signedForm.record).toBeDefined();
      recordOnboardingOutcome(state, { outcome: 'active', actor: 'sistema' }, iso(T0 + 3 * DAY_MS));
      const timeline = state.timeline.length;
      restartAdhesionRound(state);
      expect(state.delegation.completedAt).toBeUndefined();
      expect(state.delegation.requestCount).toBe(1);
      expect(state.signedForm).toEqual({ expiredCount: 1 });
      expect(state.ioAccess?.onboardingActiveAt).toBeUndefined();
      expect(state.ioAccess?.onboardingRecordedBy).toBeUndefined();
      expect(state.timeline).toHaveLength(timeline);
    });

    it('records a key (proving the onboarding active), and a replacement returns the paused services', () => {
      const state = fresh();
      expect(recordManageKey(state, keyRef(KEY_X), iso(T0))).toEqual([]);
      expect(state.ioAccess).toMatchObject({
        check: 'manual',
        onboardingActiveAt: iso(T0),
        onboardingRecordedBy: 'staff:Giulia',
        manageKey: {
          ref: `mk_c_l378_${KEY_X}`,
          fingerprint: KEY_X,
          hasSecondary: false,
          recordedAt: iso(T0),
        },
      });
      expect(state.timeline.at(-1)).toMatchObject({
        step: 'Chiave di gestione registrata',
        detail: 'primaria',
      });

      const refusal = { ref: `mk_c_l378_${KEY_X}`, cause: '401 Unauthorized' };
      expect(recordManageKeyRefused(state, { slug: 'tari', ...refusal }, iso(T0 + DAY_MS))).toBe(true);
      expect(recordManageKeyRefused(state, { slug: 'mensa', ...refusal }, iso(T0 + 2 * DAY_MS))).toBe(true);
      expect(recordManageKeyRefused(state, { slug: 'tari', ...refusal }, iso(T0 + 3 * DAY_MS))).toBe(true);
      // The first refusal opens the task (its time and cause); each paused service is listed once.
      expect(state.ioAccess?.keyRefused).toEqual({ at: iso(T0 + DAY_MS), ...refusal });
      expect(state.ioAccess?.pausedServices).toEqual(['tari', 'mensa']);
      expect(state.timeline.filter((t) => t.step.startsWith('Chiave di gestione rifiutata'))).toHaveLength(1);

      const paused = recordManageKey(
        state,
        { ...keyRef(KEY_Y), hasSecondary: true, group: 'Tributi' },
        iso(T0 + 4 * DAY_MS),
      );
      expect(paused).toEqual(['tari', 'mensa']);
      expect(state.ioAccess?.pausedServices).toEqual([]);
      expect(state.ioAccess?.keyRefused).toBeUndefined();
      expect(state.ioAccess?.manageKey).toMatchObject({
        fingerprint: KEY_Y,
        group: 'Tributi',
        hasSecondary: true,
      });
      // The onboarding stays as first recorded.
      expect(state.ioAccess?.onboardingActiveAt).toBe(iso(T0));
      expect(state.timeline.at(-1)).toMatchObject({
        step: 'Chiave di gestione sostituita',
        detail: 'primaria e secondaria · gruppo Tributi',
      });
      recordManageKey(state, { ...keyRef(KEY_Y), actor: 'staff:Luca' }, iso(T0 + 5 * DAY_MS));
      expect(state.timeline.at(-1)!.step).toBe('Chiave di gestione registrata di nuovo (la stessa)');
    });

    it('lets a service refused with a key older than the current one resume at once', () => {
      const state = fresh();
      recordManageKey(state, keyRef(KEY_Y), iso(T0));
      const stale = { slug: 'tari', ref: `mk_c_l378_${KEY_X}`, cause: '401' };
      expect(recordManageKeyRefused(state, stale, iso(T0 + DAY_MS))).toBe(false);
      expect(state.ioAccess?.keyRefused).toBeUndefined();
      expect(state.ioAccess?.pausedServices).toEqual([]);
      expect(state.timeline.some((t) => t.step.startsWith('Chiave di gestione rifiutata'))).toBe(false);
    });
  });
});
