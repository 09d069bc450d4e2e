import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../worker/create-worker';
import { RUN_DIR_ENV } from './run-dir';

export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../../.temporal/test-workflow-bundle.js');

/** Bundle the workflow code once per test run (every test file's worker loads the same bundle); the run's folder. */
export default async function globalSetup(): Promise<void> {
  process.env[RUN_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'io-test-run-'));
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
