import {
  DAY_MS,
  DEFAULT_ESCALATION_LADDER_DAYS,
  daysLeft,
  dueSteps,
  handledAfterDeadlineMove,
  ladderSteps,
  nextStep,
} from '../../domain/deadlines';

const DEADLINE = Date.UTC(2025, 11, 31, 23, 0, 0);
const LADDER = DEFAULT_ESCALATION_LADDER_DAYS;
const none: ReadonlySet<number> = new Set<number>();
const at = (daysBefore: number, deadline = DEADLINE) => deadline - daysBefore * DAY_MS;

describe('ladderSteps', () => {
  it('orders the default ladder from furthest to closest and ends with step 0 at the deadline', () => {
    expect(DEFAULT_ESCALATION_LADDER_DAYS).toEqual([60, 30, 14, 7, 1]);
    expect(ladderSteps(DEADLINE, LADDER)).toEqual([
      { daysBefore: 60, atMs: at(60) },
      { daysBefore: 30, atMs: at(30) },
      { daysBefore: 14, atMs: at(14) },
      { daysBefore: 7, atMs: at(7) },
      { daysBefore: 1, atMs: at(1) },
      { daysBefore: 0, atMs: DEADLINE },
    ]);
  });

  it('sorts an unordered ladder, removes duplicates and non-positive days, keeps a single step 0', () => {
    expect(ladderSteps(DEADLINE, [7, 30, 7, 0, -3, 14, 0]).map((s) => s.daysBefore)).toEqual([30, 14, 7, 0]);
  });

  it('is only step 0 for an empty ladder', () => {
    expect(ladderSteps(DEADLINE, [])).toEqual([{ daysBefore: 0, atMs: DEADLINE }]);
  });

  it('has strictly increasing times', () => {
    const times = ladderSteps(DEADLINE, LADDER).map((s) => s.atMs);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });
});

describe('dueSteps', () => {
  it('sends nothing before the first step', () => {
    expect(dueSteps(at(60) - 1, DEADLINE, LADDER, none)).toEqual({ skip: [] });
  });

  it('sends a step exactly at its time', () => {
    expect(dueSteps(at(60), DEADLINE, LADDER, none)).toEqual({
      send: { daysBefore: 60, atMs: at(60) },
      skip: [],
    });
  });

  it('sends only the most urgent overdue step and skips the older ones', () => {
    // Imported 10 days before the deadline: 60 and 30 are past, 14 too; 7 is still ahead.
    const result = dueSteps(at(10), DEADLINE, LADDER, none);
    expect(result.send).toEqual({ daysBefore: 14, atMs: at(14) });
    expect(result.skip.map((s) => s.daysBefore)).toEqual([60, 30]);
  });

  it('ignores steps already handled', () => {
    const result = dueSteps(at(10), DEADLINE, LADDER, new Set([60, 30]));
    expect(result.send?.daysBefore).toBe(14);
    expect(result.skip).toEqual([]);
    expect(dueSteps(at(10), DEADLINE, LADDER, new Set([60, 30, 14]))).toEqual({ skip: [] });
  });

  it('sends step 0 after the deadline, skipping every unhandled earlier step', () => {
    const result = dueSteps(DEADLINE + 3 * DAY_MS, DEADLINE, LADDER, new Set([60]));
    expect(result.send).toEqual({ daysBefore: 0, atMs: DEADLINE });
    expect(result.skip.map((s) => s.daysBefore)).toEqual([30, 14, 7, 1]);
  });

  it('never sends a step in both send and skip, and covers all due steps', () => {
    for (let day = 70; day >= -5; day--) {
      const now = at(day) + 1234;
      const handled = new Set([30]);
      const { send, skip } = dueSteps(now, DEADLINE, LADDER, handled);
      const due = ladderSteps(DEADLINE, LADDER).filter((s) => s.atMs <= now && !handled.has(s.daysBefore));
      const got = [...skip, ...(send ? [send] : [])];
      expect(got).toEqual(due);
      if (send) expect(Math.min(...due.map((s) => s.daysBefore))).toBe(send.daysBefore);
    }
  });

  it('marks everything handled after applying the result: nothing is due again', () => {
    const now = at(3);
    const { send, skip } = dueSteps(now, DEADLINE, LADDER, none);
    const handled = new Set([...skip, send!].map((s) => s.daysBefore));
    expect(dueSteps(now, DEADLINE, LADDER, handled)).toEqual({ skip: [] });
  });
});

describe('nextStep', () => {
  it('is the first step still ahead', () => {
    expect(nextStep(at(90), DEADLINE, LADDER, none)).toEqual({ daysBefore: 60, atMs: at(60) });
    expect(nextStep(at(20), DEADLINE, LADDER, none)).toEqual({ daysBefore: 14, atMs: at(14) });
  });

  it('does not return a step whose time is now (it is due, not ahead)', () => {
    expect(nextStep(at(14), DEADLINE, LADDER, none)?.daysBefore).toBe(7);
  });

  it('skips handled steps', () => {
    expect(nextStep(at(90), DEADLINE, LADDER, new Set([60, 30]))?.daysBefore).toBe(14);
    expect(nextStep(at(20), DEADLINE, LADDER, new Set([14, 7, 1]))?.daysBefore).toBe(0);
  });

  it('is the deadline itself for the last day', () => {
    expect(nextStep(at(1), DEADLINE, LADDER, none)).toEqual({ daysBefore: 0, atMs: DEADLINE });
  });

  it('is undefined once the deadline has passed or every step is handled', () => {
    expect(nextStep(DEADLINE, DEADLINE, LADDER, none)).toBeUndefined();
    expect(nextStep(DEADLINE + DAY_MS, DEADLINE, LADDER, none)).toBeUndefined();
    expect(nextStep(at(90), DEADLINE, LADDER, new Set([60, 30, 14, 7, 1, 0]))).toBeUndefined();
  });
});

describe('handledAfterDeadlineMove', () => {
  it('re-arms steps that lie in the future once the deadline moves later', () => {
    const now = at(10);
    const handled = new Set([60, 30, 14]);
    const newDeadline = DEADLINE + 30 * DAY_MS; // now is 40 days before the new deadline
    const after = handledAfterDeadlineMove(now, newDeadline, LADDER, handled);
    expect([...after].sort((a, b) => b - a)).toEqual([60]);
    // 30 days before the new deadline is 10 days ahead: the next timer.
    expect(nextStep(now, newDeadline, LADDER, after)).toEqual({ daysBefore: 30, atMs: at(30, newDeadline) });
    expect(dueSteps(now, newDeadline, LADDER, after)).toEqual({ skip: [] });
  });

  it('keeps passed steps handled when the deadline moves earlier', () => {
    const now = at(40);
    const handled = new Set([60]);
    const newDeadline = DEADLINE - 20 * DAY_MS; // now is 20 days before the new deadline
    const after = handledAfterDeadlineMove(now, newDeadline, LADDER, handled);
    expect([...after]).toEqual([60]);
    // Step 30 of the new deadline is now overdue and unhandled: it is sent, not skipped.
    const { send, skip } = dueSteps(now, newDeadline, LADDER, after);
    expect(send?.daysBefore).toBe(30);
    expect(skip).toEqual([]);
  });

  it('keeps everything handled when the new deadline is already past', () => {
    const handled = new Set([60, 30, 14, 7, 1, 0]);
    const now = DEADLINE + DAY_MS;
    expect(handledAfterDeadlineMove(now, DEADLINE, LADDER, handled)).toEqual(handled);
  });

  it('treats a step exactly at now as passed (stays handled)', () => {
    const newDeadline = DEADLINE + 5 * DAY_MS;
    const now = at(30, newDeadline);
    expect(
      [...handledAfterDeadlineMove(now, newDeadline, LADDER, new Set([60, 30]))].sort((a, b) => a - b),
    ).toEqual([30, 60]);
  });

  it('does not invent handled steps and does not mutate its input', () => {
    const handled = new Set([60]);
    const after = handledAfterDeadlineMove(at(45), DEADLINE + 100 * DAY_MS, LADDER, handled);
    expect(after.size).toBe(0);
    expect([...handled]).toEqual([60]);
    expect(after).not.toBe(handled);
  });

  it('is a no-op when the deadline does not move', () => {
    const now = at(10);
    const handled = new Set([60, 30, 14]);
    expect(handledAfterDeadlineMove(now, DEADLINE, LADDER, handled)).toEqual(handled);
  });
});

describe('daysLeft', () => {
  it('counts whole days to the deadline', () => {
    expect(daysLeft(at(30), DEADLINE)).toBe(30);
    expect(daysLeft(at(1), DEADLINE)).toBe(1);
    expect(daysLeft(DEADLINE, DEADLINE)).toBe(0);
  });

  it('rounds a part day up before the deadline', () => {
    expect(daysLeft(DEADLINE - 1, DEADLINE)).toBe(1);
    expect(daysLeft(DEADLINE - DAY_MS / 2, DEADLINE)).toBe(1);
    expect(daysLeft(at(29) - 1, DEADLINE)).toBe(30);
  });

  it('is negative once a full day has passed', () => {
    expect(daysLeft(DEADLINE + DAY_MS, DEADLINE)).toBe(-1);
    expect(daysLeft(DEADLINE + DAY_MS + 1, DEADLINE)).toBe(-1);
    expect(daysLeft(DEADLINE + 2 * DAY_MS, DEADLINE)).toBe(-2);
  });

  it('is zero (as -0) less than a day after the deadline', () => {
    // Math.ceil of a small negative number is -0: numerically zero, displayed "0".
    expect(daysLeft(DEADLINE + 1, DEADLINE) === 0).toBe(true);
    expect(String(daysLeft(DEADLINE + DAY_MS / 2, DEADLINE))).toBe('0');
  });
});
