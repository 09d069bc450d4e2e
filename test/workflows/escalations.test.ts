import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { moveDeadlineUpdate } from '../../contracts/comune';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  DAY_MS,
  HOUR_MS,
  TRENTO_EUR_PER_SERVICE,
  notifyIds,
  ofKind,
  stateOf,
  waitForState,
  withComune,
} from './helpers';

/** A Comune that never progresses: staff never record the adhesion, so it stays in the first stage. */
const stuck = { fixture: { deadlineInDays: 90, settings: { adhesionCheck: 'manual' as const } } };

interface EscalationData {
  deadline: string;
  daysToDeadline: number;
  missing: string[];
  servicesTotal: number;
  fundingAtRiskEur: number;
  fundingLostEur?: number;
}

describe('Comune journey: the deadline escalation ladder', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('escalates to managers 60, 30, 14, 7 and 1 days before the deadline and at it, then the Comune is late', async () => {
    await withComune(env, { ipaCode: 'c_e001', ...stuck }, async ({ handle, mocks, input }) => {
      const deadlineMs = Date.parse(input.deadline);
      const first = await stateOf(handle);
      expect(first.nextEscalationAt).toBe(new Date(deadlineMs - 60 * DAY_MS).toISOString());

      // Day 29: nothing yet (the first step, 60 days before, is day 30).
      await env.sleep('29 days');
      expect((await stateOf(handle)).escalations).toHaveLength(0);

      await env.sleep('62 days'); // day 91
      const late = await waitForState(handle, 'six escalations', (s) => s.escalations.length === 6 && s.late);
      expect(late.escalations.map((e) => e.daysBefore)).toEqual([60, 30, 14, 7, 1, 0]);
      for (const escalation of late.escalations) {
        const expectedMs = deadlineMs - escalation.daysBefore * DAY_MS;
        expect(Math.abs(Date.parse(escalation.at) - expectedMs)).toBeLessThanOrEqual(HOUR_MS);
        expect(escalation.missing).toEqual(
          expect.arrayContaining([
            'Verifica dell’adesione del Comune a App IO su Selfcare (prodotto prod-io)',
          ]),
        );
      }

      const notifications = ofKind(mocks, 'manager_escalation');
      expect(notifications).toHaveLength(6);
      const total = input.services.length * TRENTO_EUR_PER_SERVICE;
      notifications.forEach((n, i) => {
        const data = n.data as EscalationData;
        expect(n.audience).toEqual({ managers: true });
        expect(data.deadline).toBe(input.deadline);
        expect(data.servicesTotal).toBe(input.services.length);
        expect(data.missing).toEqual(
          expect.arrayContaining([expect.stringContaining('Verifica dell’adesione')]),
        );
        expect(data.missing).toEqual(
          expect.arrayContaining([expect.stringContaining('Servizio «Mensa scolastica»')]),
        );
        if (i < 5) {
          expect(data.fundingAtRiskEur).toBe(total);
          expect(data.daysToDeadline).toBe(late.escalations[i]!.daysBefore);
        } else {
          expect(data.fundingLostEur).toBe(total);
        }
      });

      expect(late.late).toBe(true);
      const lateAfterMs = Date.parse(late.lateSince!) - deadlineMs;
      expect(lateAfterMs).toBeGreaterThanOrEqual(0);
      expect(lateAfterMs).toBeLessThanOrEqual(HOUR_MS);
      expect(late.funding.lostEur).toBe(total);
      expect(late.funding.lostEur).toBeGreaterThan(0);
      expect(late.funding.atRiskEur).toBe(0);
      expect(late.nextEscalationAt).toBeUndefined();

      // The Comune keeps running (and can still be worked on) after its deadline.
      await env.sleep('10 days');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const after = await stateOf(handle);
      expect(after.stage).toBe('adhesion_check');
      expect(after.escalations).toHaveLength(6);
      const ids = notifyIds(mocks);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  it('a deadline moved 30 days later re-arms the ladder against the new date', async () => {
    await withComune(env, { ipaCode: 'c_e002', ...stuck }, async ({ handle, mocks, input, startedAtMs }) => {
      const oldDeadlineMs = Date.parse(input.deadline);
      await waitForState(handle, 'ladder armed', (s) => s.nextEscalationAt !== undefined);
      await env.sleep('61 days');
      const afterThirty = await waitForState(handle, '30-day escalation', (s) => s.escalations.length === 2);
      expect(afterThirty.escalations.map((e) => e.daysBefore)).toEqual([60, 30]);

      const newDeadline = new Date(oldDeadlineMs + 30 * DAY_MS).toISOString();
      const moved = await handle.executeUpdate(moveDeadlineUpdate, {
        args: [
          {
            actor: 'Paolo Neri (manager)',
            deadline: newDeadline,
            reason: 'proroga concessa dal Dipartimento',
          },
        ],
      });
      expect(moved.deadline).toBe(newDeadline);
      expect(moved.nextEscalationAt).toBe(new Date(Date.parse(newDeadline) - 30 * DAY_MS).toISOString());
      expect(moved.timeline.at(-1)).toMatchObject({
        step: 'Scadenza spostata',
        actor: 'Paolo Neri (manager)',
      });

      // Day 77: the old 14-day step (day 76) no longer fires.
      await env.sleep('16 days');
      const quiet = await stateOf(handle);
      expect(quiet.escalations).toHaveLength(2);
      expect(quiet.late).toBe(false);

      // Day 91: the new 30-day step (day 90, which was the old deadline) fired, and the Comune is not late.
      await env.sleep('14 days');
      const rearmed = await waitForState(
        handle,
        'escalation on the new date',
        (s) => s.escalations.length === 3,
      );
      const third = rearmed.escalations[2]!;
      expect(third.daysBefore).toBe(30);
      expect(Math.abs(Date.parse(third.at) - (Date.parse(newDeadline) - 30 * DAY_MS))).toBeLessThanOrEqual(
        HOUR_MS,
      );
      expect(Date.parse(third.at) - startedAtMs).toBeGreaterThan(89 * DAY_MS);
      expect(rearmed.late).toBe(false);
      expect(rearmed.funding.lostEur).toBe(0);
      const data = ofKind(mocks, 'manager_escalation')[2]!.data as EscalationData;
      expect(data.deadline).toBe(newDeadline);
      expect(data.daysToDeadline).toBe(30);

      // Day 119: still in time, with the 14, 7 and 1 day steps of the new date behind.
      await env.sleep('28 days');
      const justBefore = await waitForState(
        handle,
        'steps before the new deadline',
        (s) => s.escalations.length === 6,
      );
      expect(justBefore.escalations.map((e) => e.daysBefore)).toEqual([60, 30, 30, 14, 7, 1]);
      expect(justBefore.late).toBe(false);

      // Day 121: late against the new deadline.
      await env.sleep('2 days');
      const late = await waitForState(handle, 'late on the new deadline', (s) => s.late);
      expect(Math.abs(Date.parse(late.lateSince!) - Date.parse(newDeadline))).toBeLessThanOrEqual(HOUR_MS);
      expect(late.escalations.at(-1)!.daysBefore).toBe(0);
      const ids = notifyIds(mocks);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
});
