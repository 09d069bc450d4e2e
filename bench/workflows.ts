// The bench worker's workflow bundle entry: the project's workflows plus the minimal baseline workflow.
export * from '../workflows';
export { baselineWorkflow } from './baseline.workflow';
export { probeWorkflow } from './probe.workflow';
