export { createSandboxApp, type SandboxApp, type SandboxAppOptions } from './app';
export { startSandbox, type RunningSandbox, type StartSandboxOptions } from './server';
export {
  SandboxRuntime,
  MAX_CONCURRENT_CREATIONS,
  PUBLICATION_DELAY_ENV,
  type SandboxOptions,
  type ManageKeyBinding,
  type PortalCredential,
  type InstitutionSeed,
} from './runtime';
export { SANDBOX_FISCAL_CODE } from './messages-routes';
export { transition, publicationTransition, type LifecycleState, type LifecycleEvent } from './lifecycle';
export { type ReviewerOptions, type ReviewRule, type ReviewOutcome, REJECTION_PREFIX } from './reviewer';
export { type FaultOptions } from './faults';
export { StateStore, type SandboxState, type ManageSubscription } from './state-store';
export { institutionSubscription } from './manage-keys';
