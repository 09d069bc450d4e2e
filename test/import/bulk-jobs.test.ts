import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { createBulkActivities } from '../../activities/bulk';
import { getBulkJobStateQuery, type BulkChunkInput, type BulkJobState } from '../../contracts/bulk';
import { getComuneStateQuery, recordAdhesionUpdate, type ComuneInput } from '../../contracts/comune';
import { comuneWorkflowId } from '../../contracts/ids';
import { createLogger } from '../../common/logger';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { parseIpaCsv } from '../../api/import/csv';
import { startBulkJob, storeBulkItems, type BulkJobRequest } from '../../api/import/jobs';
import { buildRows } from '../../api/import/rows';
import { mockActivities } from '../support/mock-activities';
import { createDevServerEnv, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { DEFAULTS } from './import-fixtures';
import { buildTrentoCsv } from './trento-csv';

/** Bulk jobs on a real dev server: the job workflow and real Comune workflows, with mock journey activities. */
describe('bulk jobs (dev server)', () => {
  const logger = new DefaultLogger('WARN');
  const taskQueue = 'bulk-jobs';
  let env: TestWorkflowEnvironment;
  let documents: FileSystemDocumentStore;
  let dir: string;
  let worker: Worker;
  let running: Promise<void>;
  let bulk: ReturnType<typeof createBulkActivities>;
  let inputs: ComuneInput[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulk-jobs-'));
    documents = new FileSystemDocumentStore(dir, { logger: createLogger('test', 'silent') });
    env = await createDevServerEnv();
    bulk = createBulkActivities({ client: env.client, taskQueue, documents });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: { ...mockActivities().activities, ...bulk },
    });
    running = worker.run();
    const parsed = await parseIpaCsv(buildTrentoCsv({ limit: 30 }));
    if (!parsed.ok) throw new Error(parsed.error);
    inputs = (await buildRows(parsed.rows, DEFAULTS)).map((row) => row.input!);
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runJob(request: BulkJobRequest): Promise<BulkJobState> {
    const { workflowId } = await startBulkJob({ client: env.client, taskQueue, documents }, request);
    const handle = env.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    expect(await handle.query(getBulkJobStateQuery)).toEqual(result);
    return result;
  }

  const ipaCodes = () => inputs.map((input) => input.comune.ipaCode);
  const timelineSteps = async (ipa: string, step: string) =>
    (await env.client.workflow.getHandle(comuneWorkflowId(ipa)).query(getComuneStateQuery)).timeline.filter(
      (entry) => entry.step === step,
    ).length;

  it('imports 30 Comuni, and importing them again starts nothing', async () => {
    const first = await runJob({ kind: 'import', actor: 'Giulia Verdi', items: inputs, chunkSize: 7 });
    expect(first).toMatchObject({ total: 30, processed: 30, started: 30, alreadyRunning: 0, failed: 0 });
    expect(first).toMatchObject({ status: 'completed', errors: [] });
    expect(first.finishedAt).toBeDefined();

    const again = await runJob({ kind: 'import', actor: 'Giulia Verdi', items: inputs });
    expect(again).toMatchObject({ processed: 30, started: 0, alreadyRunning: 30, failed: 0 });

    await waitFor('the 30 Comuni in visibility', async () => {
      const { count } = await env.client.workflow.count(`IoProvince = 'TN'`);
      return count === 30 ? count : undefined;
    });
    expect((await env.client.workflow.count(`WorkflowType = 'comuneWorkflow'`)).count).toBe(30);
  });

  it('skips reminders the Comuni refuse, with their reason', async () => {
    const result = await runJob({ kind: 'remind', actor: 'Giulia Verdi', items: ipaCodes() });
    expect(result).toMatchObject({ processed: 30, applied: 0, skipped: 30, failed: 0 });
    expect(result.errors).toHaveLength(30);
    expect(result.errors[0]).toEqual({
      item: inputs[0]!.comune.ipaCode,
      message: expect.stringMatching(/«Inviare un sollecito» non è possibile ora.*«Verifica adesione»/),
    });
  });

  it('sends each job’s reminders once, even when a chunk is retried', async () => {
    const [a, b] = ipaCodes();
    for (const ipa of [a!, b!]) {
      const handle = env.client.workflow.getHandle(comuneWorkflowId(ipa));
      await handle.executeUpdate(recordAdhesionUpdate, {
        args: [{ actor: 'Giulia Verdi', adherent: false }],
      });
      await waitFor(`${ipa} waiting for the delegation`, async () => {
        const state = await handle.query(getComuneStateQuery);
        return state.stage === 'delegation_requested' ? state : undefined;
      });
    }
    // Two jobs over the same list are two rounds of reminders.
    for (let round = 1; round <= 2; round++) {
      const result = await runJob({ kind: 'remind', actor: 'Giulia Verdi', items: [a!, b!, 'c_zzzz'] });
      expect(result).toMatchObject({ applied: 2, skipped: 0, failed: 1 });
      expect(result.errors).toEqual([{ item: 'c_zzzz', message: 'Comune non trovato o non più in corso' }]);
      expect(await timelineSteps(a!, 'Sollecito richiesto')).toBe(round);
    }
    // The same chunk run twice (a retry) applies its update once.
    const { itemsRef, itemCount } = await storeBulkItems(documents, [a!, 'c_zzzz']);
    const chunk: BulkChunkInput = {
      kind: 'remind',
      itemsRef,
      itemCount,
      offset: 0,
      limit: 1,
      actor: 'Giulia Verdi',
      idempotencyKey: 'retried-chunk',
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const activity = new MockActivityEnvironment(undefined, { logger });
      expect(await activity.run(bulk.runBulkChunk, chunk)).toMatchObject({ applied: 1 });
    }
    expect(await timelineSteps(a!, 'Sollecito richiesto')).toBe(3);
    // A retry resumes after the last item its heartbeat recorded, keeping the counts so far.
    const heartbeatDetails = {
      done: 1,
      result: { started: 0, alreadyRunning: 0, applied: 1, skipped: 0, failed: 0, errors: [] },
    };
    const resumed = new MockActivityEnvironment({ heartbeatDetails }, { logger });
    expect(await resumed.run(bulk.runBulkChunk, { ...chunk, limit: 2, idempotencyKey: 'resumed' })).toEqual({
      ...heartbeatDetails.result,
      failed: 1,
      errors: [{ item: 'c_zzzz', message: 'Comune non trovato o non più in corso' }],
    });
    expect(await timelineSteps(a!, 'Sollecito richiesto')).toBe(3);
  });

  it('moves deadlines, Comune by Comune', async () => {
    const deadline = '2026-01-31T23:59:59+01:00';
    const items = ipaCodes().slice(0, 3);
    const params = { deadline, reason: 'proroga concessa dal Dipartimento' };
    const result = await runJob({ kind: 'move_deadline', actor: 'Marta Neri', items, params });
    expect(result).toMatchObject({ applied: 3, skipped: 0, failed: 0 });
    const state = await env.client.workflow.getHandle(comuneWorkflowId(items[0]!)).query(getComuneStateQuery);
    expect(state.deadline).toBe(deadline);
    const again = await runJob({ kind: 'move_deadline', actor: 'Marta Neri', items, params });
    expect(again).toMatchObject({ applied: 0, skipped: 3 });
    expect(again.errors[0]!.message).toMatch(/uguale a quella attuale/);
  });

  it('continues as new past 200 chunks, carrying its progress', async () => {
    const items = Array.from({ length: 203 }, (_, i) => `c_x${i}`);
    const { workflowId } = await startBulkJob(
      { client: env.client, taskQueue, documents },
      { kind: 'remind', actor: 'Giulia Verdi', items, chunkSize: 1 },
    );
    const result: BulkJobState = await env.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ total: 203, processed: 203, failed: 203, status: 'completed' });
    expect(result.errors.map((e) => e.item)).toEqual(items);
    const runs = await env.client.workflow.count(`WorkflowId = '${workflowId}'`);
    expect(runs.count).toBe(2);
  }, 120_000);
});
