import { condition } from '@temporalio/workflow';
import type { ComuneInput, ComuneState } from '../contracts/comune';
import {
  markEscalationStepsHandled,
  markLate,
  recordEscalation,
  scheduleEscalation,
} from '../domain/comune-state';
import { dueSteps, nextStep } from '../domain/deadlines';
import { nowIso, workflowNowMs } from './clock';
import type { ComuneSignals } from './comune-handlers';
import type { ComuneNotifications } from './comune-notifications';

/**
 * The escalation ladder (default 60, 30, 14, 7, 1 days before the deadline, then the deadline itself), running
 * beside the stages. At the deadline the Comune turns late, keeps working, and managers hear once more. When a
 * manager moves the deadline the pending timer is dropped and the ladder recomputed against the new date.
 */
export async function runEscalations(ctx: {
  input: ComuneInput;
  state: ComuneState;
  signals: ComuneSignals;
  terminal: () => boolean;
  refresh: () => void;
  notify: ComuneNotifications;
  /** Publishes the read model after the next step's date changed (no command unless it changed). */
  publishReadModel: () => void;
}): Promise<void> {
  const { state, signals, terminal } = ctx;
  const ladder = ctx.input.settings.escalationLadderDays;
  while (!terminal()) {
    const now = workflowNowMs();
    const deadlineMs = Date.parse(state.deadline);
    const handled = new Set(state.escalationStepsHandled);
    const { send, skip } = dueSteps(now, deadlineMs, ladder, handled);
    for (const step of skip) handled.add(step.daysBefore);
    if (send) {
      handled.add(send.daysBefore);
      markEscalationStepsHandled(state, handled);
      if (send.daysBefore === 0) markLate(state, nowIso());
      ctx.refresh();
      recordEscalation(state, nowIso(), send.daysBefore);
      await ctx.notify.escalation(send.daysBefore, signals.deadlineVersion);
      continue;
    }
    markEscalationStepsHandled(state, handled);
    const next = nextStep(now, deadlineMs, ladder, handled);
    scheduleEscalation(state, next?.atMs);
    ctx.publishReadModel();
    const version = signals.deadlineVersion;
    const changed = () => terminal() || signals.deadlineVersion !== version;
    if (next) await condition(changed, Math.max(1, next.atMs - now));
    else await condition(changed);
  }
  scheduleEscalation(state, undefined);
}
