import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { publishChangedDocuments } from './read-model';

/**
 * A workflow interceptor module (worker/create-worker.ts `workflowInterceptorModules`): at the end of each
 * activation, the journey's changed read-model documents go to the worker's sink. No command, no history event.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        publishChangedDocuments();
        return next(input);
      },
    },
  ],
});
