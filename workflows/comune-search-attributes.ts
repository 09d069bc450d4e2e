import { patched, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ComuneState } from '../contracts/comune';
import { searchAttributes as sa } from '../contracts/search-attributes';
import { isAtRisk } from '../domain/journey';
import { JOURNEY_MEMO_KEY, journeyReadModel } from '../domain/journey-tasks';
import { closedStageMs } from '../domain/stage-times';
import { workflowPatches } from './patches';

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
    if (!patched(workflowPatches.journeyReadModel)) return;
    const model = journeyReadModel(state, fiscalCode);
    // Since 0.7.0 the time spent in each stage left travels with it (the portfolio's stall breakdown).
    if (patched(workflowPatches.journeyStageTimes)) {
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
