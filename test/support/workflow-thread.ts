// The SDK's own loader of a workflow thread's context (internal modules: what `Worker` runs in each workflow thread).
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';

/** The SDK's creator, its context readable (the SDK's own subclassing: `create` builds the subclass). */
class InspectedCreator extends ReusableVMWorkflowCreator {
  get vmContext(): object {
    return this.context;
  }
}

/** A workflow module as webpack's cache holds it. */
export type CachedModule = { exports: Record<string, unknown> } | undefined;

/**
 * A workflow thread's reusable context as the SDK builds it from a bundle's code, before any workflow: its module
 * cache answers the modules the bundle preloads. Destroy it when done.
 */
export async function workflowThreadContext(code: string): Promise<{
  context: {
    __webpack_module_cache__: Record<string, CachedModule>;
    __TEMPORAL_ACTIVATOR__?: { moduleCache: Map<string, unknown> };
  };
  destroy(): Promise<void>;
}> {
  const creator = await InspectedCreator.create(parseWorkflowCode(code), 5_000, new Set());
  return {
    context: creator.vmContext as never,
    destroy: () => creator.destroy(),
  };
}
