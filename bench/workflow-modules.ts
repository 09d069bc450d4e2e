/**
 * What a workflow thread spends loading the workflow code's modules for each workflow it creates or brings back
 * after an eviction: the SDK keeps each workflow's modules apart, except those the bundle preloads (shared by every
 * workflow of the thread; worker/create-worker.ts `preloadModules`). Measured in the SDK's own reusable context, as a
 * workflow thread builds it, for the bundle as the worker builds it and for the same bundle without the preload.
 * Prints; asserts nothing.
 *
 *   npx tsx bench/workflow-modules.ts [--workflows 400]
 */
import vm from 'node:vm';
import { parseArgs } from 'node:util';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { workflowThreadContext } from '../test/support/workflow-thread';
import { workflowBundleOptions } from '../worker/create-worker';

const { values: flags } = parseArgs({ options: { workflows: { type: 'string', default: '400' } } });
const workflows = Number(flags.workflows);
if (!Number.isInteger(workflows) || workflows < 1) throw new Error('--workflows must be a positive integer');

/** CPU and wall time per workflow of loading the workflow code's modules into a workflow's own module cache. */
async function perWorkflow(preloadModules: string[]): Promise<{ cpuMs: number; wallMs: number }> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions,
    preloadModules,
    logger: new DefaultLogger('ERROR'),
  });
  const thread = await workflowThreadContext(code);
  // A workflow's modules go to its activator's module cache: a fresh one stands for each new workflow.
  const { context } = thread;
  const load = () => {
    context.__TEMPORAL_ACTIVATOR__ = { moduleCache: new Map() };
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
  };
  try {
    for (let i = 0; i < Math.min(50, workflows); i++) load(); // warm-up
    const wall = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < workflows; i++) load();
    const used = process.cpuUsage(cpu);
    return {
      cpuMs: (used.user + used.system) / 1000 / workflows,
      wallMs: (performance.now() - wall) / workflows,
    };
  } finally {
    delete context.__TEMPORAL_ACTIVATOR__;
    await thread.destroy();
  }
}

async function main(): Promise<void> {
  console.log(`the workflow code's modules loaded for ${workflows} workflows, per workflow:`);
  for (const [label, preload] of [
    ['without the preload (zod per workflow)', []],
    ['as the worker builds it (zod preloaded)', workflowBundleOptions.preloadModules],
  ] as const) {
    const { cpuMs, wallMs } = await perWorkflow([...preload]);
    console.log(`  ${label.padEnd(42)} CPU ${cpuMs.toFixed(2)} ms, wall ${wallMs.toFixed(2)} ms`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
