// The worker's workflow bundle entry: every workflow type the task queue serves.
export { comuneWorkflow } from './comune.workflow';
export { serviceWorkflow } from './service.workflow';
export { bulkJobWorkflow } from './bulk.workflow';
