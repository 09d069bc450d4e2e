import fs from 'node:fs';
import { RUN_DIR_ENV } from './run-dir';

/** Removes the run's scratch folder (global-setup.ts) and what the test processes left in it. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env[RUN_DIR_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
