import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, type Worker } from '@temporalio/worker';
import { LOST_WORKFLOW_TASK, lostWorkflowTasks } from '../support/lost-workflow-task';
import { createTimeSkippingEnv, recentRefusedCompletions } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { waitForStage, withComune } from './helpers';

describe("the workflow tests' harness", () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('takes a task the server recorded as started, and no activation of the worker holds, for lost', async () => {
    // A task polled by hand and never completed is what the server's lost task looks like from both sides.
    const taskQueue = 'lost-task';
    const workflowId = 'lost-task-1';
    await env.client.workflow.start('aWorkflowNoWorkerRuns', { taskQueue, workflowId });
    const polled = await env.client.workflowService.pollWorkflowTaskQueue({
      namespace: env.namespace ?? 'default',
      taskQueue: { name: taskQueue },
      identity: 'harness test',
    });
    expect(polled.workflowExecution?.workflowId).toBe(workflowId);
    const worker = (inFlight: number) =>
      ({ getStatus: () => ({ numInFlightWorkflowActivations: inFlight }) }) as unknown as Pick<
        Worker,
        'getStatus'
      >;
    try {
      expect(await lostWorkflowTasks(env, worker(0), [workflowId])).toEqual([`${workflowId} (event 3)`]);
      // A worker still processing an activation may be about to complete it: nothing is taken for lost.
      expect(await lostWorkflowTasks(env, worker(1), [workflowId])).toBeUndefined();
    } finally {
      await env.client.workflow.getHandle(workflowId).terminate('test over');
    }
    expect(await lostWorkflowTasks(env, worker(0), [workflowId])).toBeUndefined();
  });

  it("leaves a test's own failure as it is: it is not taken for a task the server lost", async () => {
    const failure = withComune(
      env,
      { ipaCode: 'c_x001', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle }) => {
        await waitForStage(handle, 'adhesion_check');
        throw new Error('an assertion of the test');
      },
    );
    await expect(failure).rejects.toThrow('an assertion of the test');
    await expect(failure).rejects.not.toThrow(LOST_WORKFLOW_TASK);
  });

  it('keeps the completions the server refused, as the core reports them, whatever the level shown', async () => {
    // The core's own warning, forwarded to the runtime's logger (the level shown in the tests may be ERROR).
    Runtime.instance().logger.warn('Error while completing workflow activation', {
      error: 'ACTIVITY_UNKNOWN for scheduledEventId=22',
    });
    Runtime.instance().logger.warn('Task not found when completing', { error: 'Completed workflow' });
    // The runtime's log collector holds messages about 100 ms, to order them, before passing them on.
    await waitFor('the collector to pass the warning on', async () =>
      recentRefusedCompletions().length > 0 ? true : undefined,
    );
    expect(recentRefusedCompletions().at(-1)).toBe(
      'Error while completing workflow activation error=ACTIVITY_UNKNOWN for scheduledEventId=22',
    );
    expect(recentRefusedCompletions().some((line) => line.includes('Task not found'))).toBe(false);
  });

  it('lets a body out of time end before it returns: its calls end with its workflows, not in the next test file', async () => {
    let ended = false;
    const failure = withComune(
      env,
      { ipaCode: 'c_x003', fixture: { settings: { adhesionCheck: 'manual' } }, timeLimitMs: 2_000 },
      async ({ handle }) => {
        // Waits for a journey that waits for staff: it ends when the journey is terminated, after the time limit.
        await handle.result().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300));
        ended = true;
      },
    );
    await expect(failure).rejects.toThrow("the test's body did not finish in 2 s");
    expect(ended).toBe(true);
  });

  it('ends a body that never finishes at its time limit, and says so', async () => {
    const started = Date.now();
    const failure = withComune(
      env,
      {
        ipaCode: 'c_x002',
        fixture: { settings: { adhesionCheck: 'manual' } },
        timeLimitMs: 2_000,
        settleMs: 1_000,
      },
      () => new Promise<void>(() => undefined),
    );
    await expect(failure).rejects.toThrow("the test's body did not finish in 2 s");
    await expect(failure).rejects.not.toThrow(LOST_WORKFLOW_TASK);
    // Where the open workflow stood (the Comune waits for staff to record the adhesion: its last three events).
    await expect(failure).rejects.toThrow(
      /\nworker: 0 workflow activation\(s\) in flight, \d+ cached, 0 activit\(ies\) running\ncomune:c_x002: … [A-Z_]+, [A-Z_]+, [A-Z_]+ \(event \d+\)$/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('scripts/lost-task-files.ts (which test files scripts/jest.sh runs again)', () => {
  const run = promisify(execFile);
  // Made in beforeAll: a describe's body runs even when a filter (-t) skips its tests, and its afterAll then does not.
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lost-task-files-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fileResult = (name: string, tests: [string, string][]) => ({
    name: path.join(process.cwd(), name),
    status: tests.some(([status]) => status === 'failed') ? 'failed' : 'passed',
    assertionResults: tests.map(([status, message]) => ({
      status,
      failureMessages: status === 'failed' ? [message] : [],
    })),
  });
  const lost = `Error: ${LOST_WORKFLOW_TASK}: comune:c_h001 (event 64)`;

  async function decide(testResults: unknown[], summaryLine: string) {
    const results = path.join(dir, `results-${testResults.length}-${summaryLine.length}.json`);
    const summary = path.join(dir, `summary-${testResults.length}-${summaryLine.length}`);
    fs.writeFileSync(results, JSON.stringify({ testResults }));
    fs.writeFileSync(summary, `5 0 0\n${summaryLine}\n`);
    const outcome = await run('npx', ['tsx', 'scripts/lost-task-files.ts', results], {
      env: { ...process.env, TEST_SUMMARY_FILE: summary },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    return { ...outcome, summary: fs.readFileSync(summary, 'utf8') };
  }

  it('names the files whose every failure is a lost task, and takes their counts out of the summary', async () => {
    const outcome = await decide(
      [
        fileResult('test/workflows/history.test.ts', [
          ['failed', lost],
          ['passed', ''],
        ]),
        fileResult('test/workflows/reminders.test.ts', [
          ['passed', ''],
          ['failed', lost],
          ['pending', ''],
        ]),
        fileResult('test/domain/funding.test.ts', [['passed', '']]),
      ],
      '20 2 1',
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.split('\n')).toEqual([
      'test/workflows/history.test.ts',
      'test/workflows/reminders.test.ts',
    ]);
    // 20 passed, 2 failed, 1 skipped, less the two files' 2 passed, 2 failed and 1 skipped: their rerun adds its own.
    expect(outcome.summary).toBe('5 0 0\n18 0 0\n');
  });

  it('runs nothing again when any failure is something else, and leaves the summary as it is', async () => {
    const outcome = await decide(
      [
        fileResult('test/workflows/history.test.ts', [['failed', lost]]),
        fileResult('test/workflows/services.test.ts', [
          ['failed', lost],
          ['failed', 'Error: expect(received).toBe(expected)'],
        ]),
      ],
      '9 3 0',
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.summary).toBe('5 0 0\n9 3 0\n');
  });
});
