import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../worker/create-worker';

export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../../.temporal/test-workflow-bundle.js');

/** Bundle the workflow code once per test run: every test file's worker loads the same bundle. */
export default async function globalSetup(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions,
    logger: {
      trace() {},
      debug() {},
      info() {},
      warn() {},
      error: (m: string) => console.error(m),
      log() {},
    },
  });
  fs.mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
}
