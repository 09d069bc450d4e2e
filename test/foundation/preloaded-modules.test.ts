import fs from 'node:fs';
// The SDK's own loader of a workflow thread's context (internal modules: what `Worker` runs in each workflow thread).
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { WORKFLOW_BUNDLE_PATH } from '../support/global-setup';

/** The SDK's creator, its context readable (the SDK's own subclassing: `create` builds the subclass). */
class InspectedCreator extends ReusableVMWorkflowCreator {
  get vmContext(): object {
    return this.context;
  }
}

/**
 * zod is loaded once per workflow thread and shared by its workflows (worker/create-worker.ts `preloadModules`,
 * workflows/preloaded-modules.ts), not run again for each workflow the thread creates or replays.
 */
describe('the workflow bundle preloads zod', () => {
  let creator: InspectedCreator | undefined;
  afterEach(async () => {
    await creator?.destroy();
    creator = undefined;
  });

  /** The thread's module cache as the SDK builds it before any workflow: only the shared modules answer. */
  async function sharedModules(): Promise<Record<string, { exports: Record<string, unknown> } | undefined>> {
    const bundle = parseWorkflowCode(fs.readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8'));
    creator = await InspectedCreator.create(bundle, 5_000, new Set());
    return (creator.vmContext as { __webpack_module_cache__: never }).__webpack_module_cache__;
  }

  it("holds zod's modules in the thread's shared cache before any workflow exists", async () => {
    const cache = await sharedModules();
    // The largest of them: the classic API's schemas, whose module body V8 ended up optimising once run per workflow.
    const schemas = cache['./node_modules/zod/v4/classic/schemas.js'];
    expect(schemas).toBeDefined();
    expect(typeof schemas!.exports.ZodObject).toBe('function');
    // Our own modules are not shared: each workflow has its own copy, as before.
    expect(cache['./domain/journey.ts']).toBeUndefined();
  });

  it("sets zod's defaults before the SDK freezes its configuration", async () => {
    const cache = await sharedModules();
    const preloaded = cache['./workflows/preloaded-modules.ts'];
    expect(preloaded).toBeDefined();
    const configuration = preloaded!.exports.preloadedConfiguration as Record<string, unknown>;
    // Frozen by the SDK, so a workflow can no longer set them: the English messages and the containers' memoizer.
    expect(Object.isFrozen(configuration)).toBe(true);
    expect(typeof configuration.localeError).toBe('function');
    expect(configuration.memoizer).toBeDefined();
  });
});
