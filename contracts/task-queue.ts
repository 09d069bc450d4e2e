/** The default task queue; TEMPORAL_TASK_QUEUE overrides it for both the worker and the API. */
export const DEFAULT_TASK_QUEUE = 'io-onboarding';
