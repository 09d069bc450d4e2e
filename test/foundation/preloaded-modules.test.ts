import fs from 'node:fs';
import { WORKFLOW_BUNDLE_PATH } from '../support/global-setup';
import { workflowThreadContext } from '../support/workflow-thread';

/**
 * zod is loaded once per workflow thread and shared by its workflows (worker/create-worker.ts `preloadModules`,
 * workflows/preloaded-modules.ts), not run again for each workflow the thread creates or replays.
 */
describe('the workflow bundle preloads zod', () => {
  let thread: Awaited<ReturnType<typeof workflowThreadContext>> | undefined;
  afterEach(async () => {
    await thread?.destroy();
    thread = undefined;
  });

  /** The thread's module cache as the SDK builds it before any workflow: only the shared modules answer. */
  async function sharedModules() {
    thread = await workflowThreadContext(fs.readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8'));
    return thread.context.__webpack_module_cache__;
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
    const core = cache['./node_modules/zod/v4/core/core.js'];
    expect(core).toBeDefined();
    const configuration = core!.exports.globalConfig as Record<string, unknown>;
    // Frozen by the SDK, so a workflow can no longer set them: the English messages and the containers' memoizer.
    expect(Object.isFrozen(configuration)).toBe(true);
    expect(typeof configuration.localeError).toBe('function');
    expect(configuration.memoizer).toBeDefined();
  });
});
