import type { WorkflowHandle } from '@temporalio/client';

/**
 * A workflow history as searchable text: its JSON, plus every payload decoded. In the JSON form of a history the
 * payloads' `data` are base64, so a secret inside an activity input or result would not show in a plain
 * `JSON.stringify(history)`: scans for secrets must read the decoded text too.
 */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const json = JSON.stringify(await handle.fetchHistory());
  const decoded: string[] = [];
  for (const m of json.matchAll(/"data":"([A-Za-z0-9+/=_-]+)"/g)) {
    decoded.push(Buffer.from(m[1]!, 'base64').toString('utf8'));
  }
  return `${json}\n${decoded.join('\n')}`;
}
