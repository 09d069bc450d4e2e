import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { version } from '../../package.json';
import { fetchLargeHistory } from './large-history';

export const HISTORIES_DIR = path.resolve(__dirname, '../replay/histories');

/**
 * With `RECORD_HISTORIES=1` (npm run record-histories), stores the histories of these workflows for the replay
 * tests: `<release>-<prefix>-<workflow id>.json`, so each release's histories stay beside the next ones. A no-op
 * otherwise.
 */
export async function recordHistoriesIfAsked(prefix: string, handles: WorkflowHandle[]): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const handle of handles) {
    const history = await fetchLargeHistory(handle.client, handle.workflowId).catch(() => undefined);
    if (!history) continue;
    const file = path.join(
      HISTORIES_DIR,
      `v${version}-${prefix}-${handle.workflowId.replace(/[:]/g, '_')}.json`,
    );
    fs.writeFileSync(file, JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON()));
  }
}
