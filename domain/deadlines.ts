/**
 * Deadline arithmetic for the escalation ladder. Pure and clock-free: the workflow passes its deterministic time.
 * A step is "N days before the deadline"; step 0 is the deadline itself (the Comune turns late).
 */
export const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ESCALATION_LADDER_DAYS = [60, 30, 14, 7, 1] as const;

export interface LadderStep {
  daysBefore: number;
  atMs: number;
}

export function ladderSteps(deadlineMs: number, ladderDays: readonly number[]): LadderStep[] {
  const days = [...new Set([...ladderDays.filter((d) => d > 0), 0])].sort((a, b) => b - a);
  return days.map((daysBefore) => ({ daysBefore, atMs: deadlineMs - daysBefore * DAY_MS }));
}

/**
 * What is due now. When several steps are overdue at once (a Comune imported 10 days before its deadline, or a
 * worker down for a week) only the most urgent one is sent; the older ones are marked as passed, not sent late.
 */
export function dueSteps(
  nowMs: number,
  deadlineMs: number,
  ladderDays: readonly number[],
  handled: ReadonlySet<number>,
): { send?: LadderStep; skip: LadderStep[] } {
  const due = ladderSteps(deadlineMs, ladderDays).filter(
    (s) => s.atMs <= nowMs && !handled.has(s.daysBefore),
  );
  if (due.length === 0) return { skip: [] };
  const send = due[due.length - 1]!; // smallest daysBefore: the most urgent
  return { send, skip: due.slice(0, -1) };
}

/** The next step still ahead, to set the timer for. */
export function nextStep(
  nowMs: number,
  deadlineMs: number,
  ladderDays: readonly number[],
  handled: ReadonlySet<number>,
): LadderStep | undefined {
  return ladderSteps(deadlineMs, ladderDays).find((s) => s.atMs > nowMs && !handled.has(s.daysBefore));
}

/**
 * After a manager moves the deadline, steps that now lie in the future fire again against the new date;
 * those already behind us stay handled.
 */
export function handledAfterDeadlineMove(
  nowMs: number,
  newDeadlineMs: number,
  ladderDays: readonly number[],
  handled: ReadonlySet<number>,
): Set<number> {
  const future = new Set(
    ladderSteps(newDeadlineMs, ladderDays)
      .filter((s) => s.atMs > nowMs)
      .map((s) => s.daysBefore),
  );
  return new Set([...handled].filter((d) => !future.has(d)));
}

export function daysLeft(nowMs: number, deadlineMs: number): number {
  return Math.ceil((deadlineMs - nowMs) / DAY_MS) || 0; // never -0
}
