import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/activity';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { createBulkActivities } from '../../activities/bulk';
import { recordHistoriesIfAsked } from '../support/record-histories';
import {
  getBulkJobStateQuery,
  type BulkChunkInput,
  type BulkChunkResult,
  type BulkJobState,
  BULK_PARALLEL_CHUNKS,
} from '../../contracts/bulk';
import { getComuneStateQuery, recordAdhesionUpdate, type ComuneInput } from '../../contracts/comune';
import { comuneWorkflowId } from '../../contracts/ids';
import { createLogger } from '../../common/logger';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { parseIpaCsv } from '../../api/import/csv';
import { startBulkJob, storeBulkItems, type BulkJobRequest } from '../../api/import/jobs';
import { buildRows } from '../../api/import/rows';
import { mockActivities } from '../support/mock-activities';
import { createDevServerEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
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
  /** Trento's next 30 Comuni, for the chunk tests below (the first 30 are the jobs' above). */
  let others: ComuneInput[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulk-jobs-'));
    documents = new FileSystemDocumentStore(dir, { logger: createLogger('test', 'silent') });
    env = await createDevServerEnv();
    bulk = createBulkActivities({ client: env.client, taskQueue, documents });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
      activities: { ...mockActivities().activities, ...bulk },
    });
    running = worker.run();
    const parsed = await parseIpaCsv(buildTrentoCsv({ limit: 60 }));
    if (!parsed.ok) throw new Error(parsed.error);
    const all = (await buildRows(parsed.rows, DEFAULTS)).map((row) => row.input!);
    inputs = all.slice(0, 30);
    others = all.slice(30);
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runJob(request: BulkJobRequest, { record = false } = {}): Promise<BulkJobState> {
    const { workflowId } = await startBulkJob({ client: env.client, taskQueue, documents }, request);
    const handle = env.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    expect(await handle.query(getBulkJobStateQuery)).toEqual(result);
    // The import's history is kept for the replay tests (npm run record-histories).
    if (record) await recordHistoriesIfAsked('bulk', [handle]);
    return result;
  }

  const ipaCodes = () => inputs.map((input) => input.comune.ipaCode);
  const timelineSteps = async (ipa: string, step: string) =>
    (await env.client.workflow.getHandle(comuneWorkflowId(ipa)).query(getComuneStateQuery)).timeline.filter(
      (entry) => entry.step === step,
    ).length;

  it('imports 30 Comuni, and importing them again starts nothing', async () => {
    const first = await runJob(
      { kind: 'import', actor: 'Giulia Verdi', items: inputs, chunkSize: 7 },
      { record: true },
    );
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
    // 16 in flight at once, named in list order all the same.
    expect(result.errors.map((e) => e.item)).toEqual(ipaCodes());
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
    // Since 0.8.0 a few chunks run at once: at most BULK_PARALLEL_CHUNKS activities open at any time, and that many
    // at the start; the errors above still read in list order.
    const mostByRun: number[] = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const events = (await env.client.workflow.getHandle(workflowId, run.runId).fetchHistory()).events ?? [];
      let open = 0;
      let most = 0;
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes) most = Math.max(most, ++open);
        if (e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes) open -= 1;
      }
      mostByRun.push(most);
    }
    // 200 chunks in the first run, the last 3 in the second.
    expect(mostByRun.sort()).toEqual([3, BULK_PARALLEL_CHUNKS]);
  }, 120_000);

  describe('a chunk, many starts in flight', () => {
    /** Every start the bulk activities send, through a client whose interceptor can slow or break one. */
    interface StartProbe {
      client: Client;
      /** Starts Temporal accepted, by workflow id. */
      accepted: Map<string, number>;
      refused: string[];
      inFlight: number;
      maxInFlight: number;
    }
    function startProbe(before: (workflowId: string) => Promise<void> | void): StartProbe {
      const probe: StartProbe = {
        client: undefined as unknown as Client,
        accepted: new Map(),
        refused: [],
        inFlight: 0,
        maxInFlight: 0,
      };
      probe.client = new Client({
        connection: env.client.connection,
        namespace: env.client.options.namespace,
        interceptors: {
          workflow: [
            {
              async startWithDetails(input, next) {
                const id = input.options.workflowId;
                probe.maxInFlight = Math.max(probe.maxInFlight, ++probe.inFlight);
                try {
                  await before(id);
                  const started = await next(input);
                  probe.accepted.set(id, (probe.accepted.get(id) ?? 0) + 1);
                  return started;
                } catch (err) {
                  if (err instanceof WorkflowExecutionAlreadyStartedError) probe.refused.push(id);
                  throw err;
                } finally {
                  probe.inFlight--;
                }
              },
            },
          ],
        },
      });
      return probe;
    }
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const idOf = (input: ComuneInput) => comuneWorkflowId(input.comune.ipaCode);
    interface Beat {
      done: number;
      result: { started: number; errors: unknown[] };
      ahead?: { index: number }[];
    }
    async function importChunk(items: unknown[], idempotencyKey: string) {
      const { itemsRef, itemCount } = await storeBulkItems(documents, items);
      const chunk: BulkChunkInput = {
        kind: 'import',
        itemsRef,
        itemCount,
        offset: 0,
        limit: itemCount,
        actor: 'Giulia Verdi',
        idempotencyKey,
      };
      return chunk;
    }
    function recordBeats(activity: MockActivityEnvironment): Beat[] {
      const beats: Beat[] = [];
      activity.on('heartbeat', (details: Beat) => beats.push(JSON.parse(JSON.stringify(details)) as Beat));
      return beats;
    }

    it('starts them concurrently, counting and naming the items in list order', async () => {
      const fresh = others.slice(0, 10);
      const existing = inputs[0]!;
      // The existing Comune answers last, the invalid item at once: the errors still follow the list.
      const items = [existing, { comune: { ipaCode: 'c_bad0' } }, ...fresh];
      const probe = startProbe((id) => sleep(id === idOf(existing) ? 300 : 30));
      const chunked = createBulkActivities({
        client: probe.client,
        taskQueue,
        documents,
        startConcurrency: 4,
      });
      const activity = new MockActivityEnvironment(undefined, { logger });
      const beats = recordBeats(activity);
      const result = (await activity.run(
        chunked.runBulkChunk,
        await importChunk(items, 'concurrent'),
      )) as BulkChunkResult;

      expect(result).toMatchObject({ started: 10, alreadyRunning: 1, failed: 1, applied: 0, skipped: 0 });
      expect(result.errors).toEqual([
        { item: existing.comune.ipaCode, message: expect.stringMatching(/già in corso/) },
        { item: 'c_bad0', message: expect.stringMatching(/dati del Comune non validi/) },
      ]);
      expect(probe.maxInFlight).toBe(4);
      expect([...probe.accepted.keys()].sort()).toEqual(fresh.map(idOf).sort());
      expect([...probe.accepted.values()].every((n) => n === 1)).toBe(true);
      expect(probe.refused).toEqual([idOf(existing)]);
      // While the first item was in flight, the heartbeat kept it unfinished: a retry would do it again.
      expect(beats.some((b) => b.done === 0 && (b.ahead?.length ?? 0) > 0)).toBe(true);
      expect(beats.at(-1)).toMatchObject({ done: items.length, ahead: [] });
      for (const input of fresh) {
        const { status } = await env.client.workflow.getHandle(idOf(input)).describe();
        expect(status.name).toBe('RUNNING');
      }
    });

    it('resumes a chunk that failed mid-way after its finished items: none started twice, none skipped', async () => {
      const fresh = others.slice(10, 20);
      const chunk = await importChunk(fresh, 'retried');
      // First attempt: the second Comune's start fails (Temporal unreachable, say) once the fifth is on its way.
      let fifthSent!: () => void;
      const fifth = new Promise<void>((resolve) => (fifthSent = resolve));
      const failing = startProbe(async (id) => {
        if (id === idOf(fresh[4]!)) fifthSent();
        if (id === idOf(fresh[1]!)) {
          await fifth;
          throw new Error('Temporal non raggiungibile');
        }
      });
      const first = new MockActivityEnvironment(undefined, { logger });
      const beats = recordBeats(first);
      await expect(
        first.run(
          createBulkActivities({ client: failing.client, taskQueue, documents, startConcurrency: 3 })
            .runBulkChunk,
          chunk,
        ),
      ).rejects.toThrow('Temporal non raggiungibile');
      const last = beats.at(-1)!;
      // Only the first item finished before the failed one; items after it that finished are kept apart.
      expect(last.done).toBe(1);
      expect(last.result.started).toBe(1);
      const ahead = (last.ahead ?? []).map((a) => a.index);
      expect(ahead).toEqual(expect.arrayContaining([2, 3, 4]));
      expect(ahead).not.toContain(1);
      expect(failing.accepted.size).toBe(1 + ahead.length);

      // The retry, with the last heartbeat's details as Temporal gives them back.
      const retry = startProbe(() => undefined);
      const second = new MockActivityEnvironment({ heartbeatDetails: last }, { logger });
      const result = await second.run(
        createBulkActivities({ client: retry.client, taskQueue, documents, startConcurrency: 3 })
          .runBulkChunk,
        chunk,
      );
      expect(result).toEqual({
        started: 10,
        alreadyRunning: 0,
        applied: 0,
        skipped: 0,
        failed: 0,
        errors: [],
      });
      const finishedBefore = [0, ...ahead].map((i) => idOf(fresh[i]!));
      expect([...retry.accepted.keys()].sort()).toEqual(
        fresh
          .map(idOf)
          .filter((id) => !finishedBefore.includes(id))
          .sort(),
      );
      expect(retry.accepted.has(idOf(fresh[1]!))).toBe(true);
      expect(retry.refused).toEqual([]);
      for (const input of fresh) {
        const attempts = (failing.accepted.get(idOf(input)) ?? 0) + (retry.accepted.get(idOf(input)) ?? 0);
        expect(attempts).toBe(1);
      }
    });

    it('stops when the job is cancelled, after the starts in flight', async () => {
      const fresh = others.slice(20, 30);
      const probe = startProbe(() => sleep(100));
      const activity = new MockActivityEnvironment(undefined, { logger });
      activity.once('heartbeat', () => activity.cancel());
      await expect(
        activity.run(
          createBulkActivities({ client: probe.client, taskQueue, documents, startConcurrency: 2 })
            .runBulkChunk,
          await importChunk(fresh, 'cancelled'),
        ),
      ).rejects.toBeInstanceOf(CancelledFailure);
      expect(probe.inFlight).toBe(0);
      expect(probe.accepted.size).toBeGreaterThanOrEqual(1);
      expect(probe.accepted.size).toBeLessThan(fresh.length);
    });
  });
});
