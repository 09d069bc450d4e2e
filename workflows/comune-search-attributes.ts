import { CancellationScope, condition, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ComuneState } from '../contracts/comune';
import { searchAttributes as sa } from '../contracts/search-attributes';
import { isAtRisk } from '../domain/journey';
import { JOURNEY_MEMO_KEY, journeyReadModel } from '../domain/journey-tasks';
import { closedStageMs } from '../domain/stage-times';
import { hasChange, workflowPatches } from './patches';

/**
 * Keeps the Comune's search attributes current, upserting only what changed (each upsert is a history event, and
 * services report often).
 */
export function searchAttributePublisher() {
  const published = new Map<string, string>();
  return (state: ComuneState, nowMs: number, ladderDays: readonly number[]): void => {
    const pairs: SearchAttributeUpdatePair[] = [
      { key: sa.ipaCode, value: state.ipaCode },
      { key: sa.comuneName, value: state.name },
      { key: sa.province, value: state.province },
      { key: sa.stage, value: state.stage },
      { key: sa.deadline, value: new Date(state.deadline) },
      { key: sa.servicesActive, value: state.servicesActive },
      { key: sa.servicesTotal, value: state.servicesTotal },
      { key: sa.atRisk, value: isAtRisk(state, nowMs, ladderDays) },
      { key: sa.late, value: state.late },
      { key: sa.fundingAtRiskEur, value: state.funding.atRiskEur },
      { key: sa.fundingSecuredEur, value: state.funding.securedEur },
      { key: sa.fundingLostEur, value: state.funding.lostEur },
      { key: sa.stageSince, value: new Date(state.stageSince) },
      ...(state.scenario ? [{ key: sa.scenario, value: state.scenario }] : []),
    ];
    const changed = pairs.filter((pair) => {
      const value = JSON.stringify(pair.value);
      if (published.get(pair.key.name) === value) return false;
      published.set(pair.key.name, value);
      return true;
    });
    if (changed.length > 0) upsertSearchAttributes(changed);
  };
}

/**
 * Keeps the Comune's read model current in its memo (`journey`: service counts by status, open tasks with their
 * due dates, the time spent in each stage left), upserting only when it changed, so the inbox and the dashboard
 * read it from visibility without querying the workflow. Since 0.4.0: journeys whose history predates the patch
 * replay without it.
 */
export function readModelPublisher(fiscalCode: string) {
  let published = '';
  // The timeline only grows: its stage times are read again only when it has new entries (refresh runs at every
  // service signal).
  let stageTimes = { entries: -1, ms: {} as ReturnType<typeof closedStageMs> };
  return (state: ComuneState): void => {
    if (!hasChange(workflowPatches.journeyReadModel)) return;
    const model = journeyReadModel(state, fiscalCode);
    // Since 0.7.0 the time spent in each stage left travels with it (the portfolio's stall breakdown).
    if (hasChange(workflowPatches.journeyStageTimes)) {
      if (stageTimes.entries !== state.timeline.length) {
        stageTimes = { entries: state.timeline.length, ms: closedStageMs(state.timeline) };
      }
      model.stageMs = stageTimes.ms;
    }
    const value = JSON.stringify(model);
    if (value === published) return;
    published = value;
    upsertMemo({ [JOURNEY_MEMO_KEY]: model });
  };
}

/**
 * Publishes once per activation, however many changes asked for it (since 0.12.0). A change asks (`request`); a
 * loop waiting on that request publishes when the activation's code has run as far as it can: the SDK checks the
 * waiting conditions only once no promise is left to settle, so every change made until then is in one upsert. At
 * most a change that a condition unblocked later in the same activation publishes again. `flush` publishes what is
 * pending at once, before the run closes. Deterministic: the same activation makes the same requests on replay.
 */
export function coalescedPublications(publish: () => void): { request(): void; flush(): void } {
  let pending = false;
  // Not cancellable: a journey cancelled from Temporal's UI ends as cancelled, not with this loop's rejection.
  void CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => pending);
      pending = false;
      publish();
    }
  });
  return {
    request() {
      pending = true;
    },
    flush() {
      if (!pending) return;
      pending = false;
      publish();
    },
  };
}
