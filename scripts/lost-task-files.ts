// Reads Jest's --json results: prints the test files whose every failure is the time-skipping test server losing a
// workflow task (LOST_WORKFLOW_TASK, test/support/lost-workflow-task.ts), one per line, and exits 0; exits 1 when
// any failure is something else (or nothing is to run again). Under scripts/test.sh it also takes those files'
// counts out of the summary line the first run appended to TEST_SUMMARY_FILE: their second run appends its own.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOST_WORKFLOW_TASK } from '../test/support/lost-workflow-task';

interface TestResult {
  status: string;
  failureMessages: string[];
}
interface FileResult {
  name: string;
  status: string;
  assertionResults: TestResult[];
}

const results = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { testResults: FileResult[] };
const again: FileResult[] = [];
for (const file of results.testResults) {
  if (file.status !== 'failed') continue;
  const failures = file.assertionResults.filter((t) => t.status === 'failed');
  const lost = (t: TestResult) => t.failureMessages.some((m) => m.includes(LOST_WORKFLOW_TASK));
  // A file that failed outside its tests (a hook, a syntax error) has no failed test to show the marker.
  if (failures.length === 0 || !failures.every(lost)) {
    process.stderr.write(`lost-task-files: ${file.name} failed for another reason: nothing is run again\n`);
    process.exit(1);
  }
  again.push(file);
}
if (again.length === 0) process.exit(1);

const summary = process.env.TEST_SUMMARY_FILE;
if (summary) {
  const lines = readFileSync(summary, 'utf8').trimEnd().split('\n');
  const [passed = 0, failed = 0, skipped = 0] = lines.pop()!.split(' ').map(Number);
  const count = (status: string) =>
    again.reduce((n, f) => n + f.assertionResults.filter((t) => t.status === status).length, 0);
  const skippedAgain = count('pending') + count('todo');
  lines.push(`${passed - count('passed')} ${failed - count('failed')} ${skipped - skippedAgain}`);
  writeFileSync(summary, `${lines.join('\n')}\n`);
}
process.stdout.write(again.map((f) => path.relative(process.cwd(), f.name)).join('\n'));
