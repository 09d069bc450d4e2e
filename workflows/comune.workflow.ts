import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { getComuneStateQuery, type ComuneInput, type ComuneState } from '../contracts/comune';
import { searchAttributes } from '../contracts/search-attributes';
import { workflowNowMs } from './clock';

/** One Comune's onboarding onto App IO: a durable workflow that lives as long as the journey. */
export async function comuneWorkflow(input: ComuneInput): Promise<ComuneState> {
  const state: ComuneState = {
    ipaCode: input.comune.ipaCode,
    name: input.comune.name,
    stage: 'adhesion_check',
    deadline: input.deadline,
    late: false,
  };
  setHandler(getComuneStateQuery, () => state);

  upsertSearchAttributes([
    { key: searchAttributes.ipaCode, value: input.comune.ipaCode },
    { key: searchAttributes.comuneName, value: input.comune.name },
    { key: searchAttributes.province, value: input.comune.province },
    { key: searchAttributes.stage, value: state.stage },
    { key: searchAttributes.deadline, value: new Date(input.deadline) },
    { key: searchAttributes.late, value: false },
  ]);

  const msUntilDeadline = Date.parse(input.deadline) - workflowNowMs();
  const completed = await condition(() => state.stage === 'completed', Math.max(msUntilDeadline, 1));
  if (!completed) {
    state.late = true;
    state.lateSince = new Date().toISOString();
    upsertSearchAttributes([{ key: searchAttributes.late, value: true }]);
  }
  await condition(() => state.stage === 'completed' || state.stage === 'withdrawn');
  return state;
}
