import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { AesGcmPayloadCodec } from '../../common/payload-codec';
import { installQuietRuntime, testReadModelSinks, workflowBundle } from '../support/temporal-env';
import { inRelease012, workflowPatches } from '../../workflows/patches';

/**
 * Histories of real runs (the end-to-end journey, the time-skipping scenarios), stored in the repository and
 * replayed against the current workflow code: a change that would break journeys already running fails here.
 * Re-record with `npm run record-histories` only for a deliberate, versioned (patched()) change.
 */
const dir = path.join(__dirname, 'histories');
const files = fs.existsSync(dir)
  ? fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

/**
 * Replayed through the payload codec, as a worker with PAYLOAD_ENCRYPTION_KEY set would: these histories were
 * recorded in clear, and the codec passes plain payloads through, so turning encryption on breaks no journey.
 */
const dataConverter = {
  payloadCodecs: [new AesGcmPayloadCodec({ current: { id: 'replay', key: randomBytes(32) } })],
};

/** Whether a stored history was recorded by a release older than `release` (e.g. '0.7.0'). */
function olderThan(file: string, release: string): boolean {
  const version = (v: string) => v.split('.').map(Number) as [number, number, number];
  const [a, b, c] = version(/^v(\d+\.\d+\.\d+)-/.exec(file)![1]!);
  const [x, y, z] = version(release);
  return a !== x ? a < x : b !== y ? b < y : c < z;
}

/** A stored history's events, with the attributes the checks below read: the one parser of a stored history. */
function storedEvents(file: string) {
  return (
    JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
      events: {
        eventType: string;
        markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: string }[] }> };
        workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
        workflowExecutionSignaledEventAttributes?: { signalName?: string };
        activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
        workflowExecutionStartedEventAttributes?: { searchAttributes?: { indexedFields?: object } };
        upsertWorkflowSearchAttributesEventAttributes?: {
          searchAttributes?: { indexedFields?: Record<string, unknown> };
        };
      }[];
    }
  ).events;
}

/** The patch ids of the patched() markers in a stored history, in order. */
function patchIds(file: string): string[] {
  // Only patch markers (a local activity would leave markers of its own).
  return storedEvents(file)
    .filter((e) => e.markerRecordedEventAttributes?.details?.['patch-data'] !== undefined)
    .map((e) => {
      const payload = e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data as string;
      return (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { id: string }).id;
    });
}

/** No history recorded by a release before `version` has the patch's marker. */
function expectNoMarkerBefore(version: string, patchId: string): void {
  for (const file of files.filter((f) => olderThan(f, version)))
    expect(patchIds(file)).not.toContain(patchId);
}

describe('replay of stored histories', () => {
  beforeAll(() => installQuietRuntime());

  it('has stored histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps the previous release beside the current one, so both old and new journeys are replayed', () => {
    const releases = new Set(files.map((f) => /^(v\d+\.\d+\.\d+)-/.exec(f)?.[1]));
    expect(releases.has(undefined)).toBe(false);
    expect(releases.size).toBeGreaterThanOrEqual(2);
  });

  it('records the 0.2.0 change (the completion e-mail) behind patched(): a marker in new histories only', () => {
    expect(patchIds('v0.1.0-e2e-comune_c_l378.json')).toEqual([]);
    expect(patchIds('v0.2.0-e2e-comune_c_l378.json')).toEqual([workflowPatches.journeyCompletedNotice]);
  });

  it('records the 0.3.0 change (services report milestones only) behind patched(), in service histories', () => {
    for (const release of ['v0.1.0', 'v0.2.0']) {
      expect(patchIds(`${release}-e2e-service_c_l378_mensa.json`)).toEqual([]);
    }
    expect(patchIds('v0.3.0-e2e-service_c_l378_mensa.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
    ]);
    expect(patchIds('v0.3.0-e2e-comune_c_l378.json')).toEqual([workflowPatches.journeyCompletedNotice]);
  });

  it('records the 0.4.0 change (the journey keeps its read model in its memo) behind patched(), in Comune histories', () => {
    for (const release of ['v0.1.0', 'v0.2.0', 'v0.3.0']) {
      expect(patchIds(`${release}-e2e-comune_c_l378.json`)).not.toContain(workflowPatches.journeyReadModel);
    }
    // The read model is published from the first refresh, before the completion notice's marker.
    expect(patchIds('v0.4.0-e2e-comune_c_l378.json')).toEqual([
      workflowPatches.journeyReadModel,
      workflowPatches.journeyCompletedNotice,
    ]);
    expect(patchIds('v0.4.0-e2e-service_c_l378_mensa.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
    ]);
    const memoUpserts = (file: string) =>
      storedEvents(file).filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED').length;
    expect(memoUpserts('v0.3.0-e2e-comune_c_l378.json')).toBe(0);
    expect(memoUpserts('v0.4.0-e2e-comune_c_l378.json')).toBeGreaterThan(0);
  });

  it('records the 0.5.0 change (the stage «Accesso a IO» before the services) behind patched(), in Comune histories', () => {
    for (const release of ['v0.1.0', 'v0.2.0', 'v0.3.0', 'v0.4.0']) {
      expect(patchIds(`${release}-e2e-comune_c_l378.json`)).not.toContain(workflowPatches.ioAccessStage);
    }
    // The stage is entered after the signed form: after the read model's marker, before the completion notice's.
    expect(patchIds('v0.5.0-e2e-comune_c_l378.json')).toEqual([
      workflowPatches.journeyReadModel,
      workflowPatches.ioAccessStage,
      workflowPatches.journeyCompletedNotice,
    ]);
    // A key refused mid-journey and replaced (test/workflows/io-access.test.ts) is kept among the 0.5.0 histories.
    const signals = (file: string) =>
      storedEvents(file)
        .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
        .filter(Boolean);
    expect(
      files.filter((f) => f.startsWith('v0.5.0-ts-comune_') && signals(f).includes('manageKeyRefused'))
        .length,
    ).toBeGreaterThan(0);
  });

  it('records the 0.6.0 change (a rejection recorded by hand may be undone) behind patched(), in service histories', () => {
    for (const release of ['v0.1.0', 'v0.2.0', 'v0.3.0', 'v0.4.0', 'v0.5.0']) {
      for (const file of files.filter((f) => f.startsWith(`${release}-`)))
        expect(patchIds(file)).not.toContain(workflowPatches.undoReviewOutcome);
    }
    // Rejections read from PagoPA leave no marker; one recorded by hand and undone (test/workflows/undo-review.test.ts)
    // leaves it, after the milestones marker.
    expect(patchIds('v0.6.0-e2e-service_c_l378_mensa.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
    ]);
    const undone = files.filter(
      (f) => f.startsWith('v0.6.0-ts-service_') && patchIds(f).includes(workflowPatches.undoReviewOutcome),
    );
    expect(undone.length).toBeGreaterThan(0);
    const updates = (file: string) =>
      storedEvents(file)
        .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
        .filter(Boolean);
    expect(undone.some((f) => updates(f).includes('undoReviewOutcome'))).toBe(true);
  });

  it('records the 0.6.0 watch after completion behind patched(), in Comune histories that watch', () => {
    for (const file of files.filter((f) => /^v0\.[1-5]\.0-/.test(f)))
      expect(patchIds(file)).not.toContain(workflowPatches.postCompletionWatch);
    // Journeys without the setting end at completion, as before: no marker.
    expect(patchIds('v0.6.0-e2e-comune_c_l378.json')).not.toContain(workflowPatches.postCompletionWatch);
    // A journey that watched (test/workflows/watch.test.ts): the marker after the completion notice's.
    const watched = patchIds('v0.6.0-ts-comune_c_wa01.json');
    expect(watched.slice(-2)).toEqual([
      workflowPatches.journeyCompletedNotice,
      workflowPatches.postCompletionWatch,
    ]);
  });

  it('records the 0.7.0 retried signal behind patched(), only where a signal to the Comune was refused', () => {
    expectNoMarkerBefore('0.7.0', workflowPatches.serviceSignalRetried);
    // test/workflows/service-signal-retry.test.ts: the Comune started after the service's first signal.
    const retried = files.filter(
      (f) => f.startsWith('v0.7.0-ts-service_') && patchIds(f).includes(workflowPatches.serviceSignalRetried),
    );
    expect(retried.length).toBeGreaterThan(0);
  });

  it('records the 0.7.0 stage times of the read model behind patched(), in every new Comune history', () => {
    expectNoMarkerBefore('0.7.0', workflowPatches.journeyStageTimes);
    // Published with the first read model, before the stage «Accesso a IO» and the completion notice.
    expect(patchIds('v0.7.0-e2e-comune_c_l378.json')).toEqual([
      workflowPatches.journeyReadModel,
      workflowPatches.journeyStageTimes,
      workflowPatches.ioAccessStage,
      workflowPatches.journeyCompletedNotice,
    ]);
    // Service histories do not publish the Comune's read model.
    expect(patchIds('v0.7.0-e2e-service_c_l378_mensa.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
    ]);
  });

  it('records the 0.11.0 set-up in one activity behind patched(), in every new service history', () => {
    const scheduled = (file: string) =>
      storedEvents(file)
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean);
    expectNoMarkerBefore('0.11.0', workflowPatches.serviceSetUpInOneActivity);
    for (const file of files.filter((f) => olderThan(f, '0.11.0')))
      expect(scheduled(file)).not.toContain('setUpService');
    // After the milestones marker of the service's start; one activity instead of create, logo, portal, test, submit.
    expect(patchIds('v0.11.0-e2e-service_c_l378_mensa.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
      workflowPatches.serviceSetUpInOneActivity,
    ]);
    expect(scheduled('v0.8.0-e2e-service_c_l378_mensa.json').slice(0, 5)).toEqual([
      'ensureService',
      'uploadLogo',
      'configurePortal',
      'sendTestMessage',
      'submitForReview',
    ]);
    expect(scheduled('v0.11.0-e2e-service_c_l378_mensa.json')[0]).toBe('setUpService');
    // A set-up stopped for staff at the portal and resumed (test/workflows/services.test.ts): two runs of it.
    expect(
      scheduled('v0.11.0-ts-service_c_s004_mensa.json').filter((n) => n === 'setUpService'),
    ).toHaveLength(2);
  });

  it('records the 0.11.0 starts of services (together, with their search attributes) behind patched(), in Comune histories', () => {
    /** The search attributes a service history upserts itself, without the SDK's patch versions. */
    const ownUpserts = (file: string) =>
      storedEvents(file).filter((e) =>
        Object.keys(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        ).some((k) => k !== 'TemporalChangeVersion'),
      ).length;
    expectNoMarkerBefore('0.11.0', workflowPatches.cheaperServiceStarts);
    expect(patchIds('v0.11.0-e2e-comune_c_l378.json')).toEqual([
      workflowPatches.journeyReadModel,
      workflowPatches.journeyStageTimes,
      workflowPatches.ioAccessStage,
      workflowPatches.cheaperServiceStarts,
      workflowPatches.journeyCompletedNotice,
    ]);
    // A service started by it has its Comune and «creating» from its start, and upserts only its milestones
    // (in review, active); before, it upserted its Comune, then every status (creating, configuring, in review,
    // publishing, active).
    const started = storedEvents('v0.11.0-e2e-service_c_l378_tari.json')[0]!
      .workflowExecutionStartedEventAttributes;
    expect(Object.keys(started?.searchAttributes?.indexedFields ?? {}).sort()).toEqual([
      'IoComuneName',
      'IoIpaCode',
      'IoServiceStatus',
      'IoStageSince',
    ]);
    expect(ownUpserts('v0.11.0-e2e-service_c_l378_tari.json')).toBe(2);
    expect(ownUpserts('v0.8.0-e2e-service_c_l378_tari.json')).toBe(6);
  });

  it('records one marker for every change up to 0.12.0 in runs started since, and the Comune publishes once per activation', () => {
    expectNoMarkerBefore('0.12.0', workflowPatches.release012);
    // The release marker stands for exactly the changes released before it: each left its marker in an older
    // history. A change made later is not one of them, and records its own marker even in runs started since.
    const olderMarkers = new Set(files.filter((f) => olderThan(f, '0.12.0')).flatMap(patchIds));
    expect([...inRelease012].sort()).toEqual([...olderMarkers].sort());
    // Runs that completed a workflow task (one history is its start only: the test's worker never picked it up).
    const journeys = files.filter(
      (f) =>
        /^v0\.12\.0-(ts|e2e)-(comune|service)_/.test(f) &&
        storedEvents(f).some((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED'),
    );
    expect(journeys.length).toBeGreaterThan(50);
    for (const file of journeys) expect([file, patchIds(file)]).toEqual([file, [workflowPatches.release012]]);
    // The same journey before: a marker (and an SDK upsert) per change.
    expect(patchIds('v0.11.0-e2e-service_c_l378_tari.json')).toEqual([
      workflowPatches.serviceReportsMilestonesOnly,
      workflowPatches.serviceSetUpInOneActivity,
    ]);

    /** The memo upserts of each workflow task (the events between its completion and the next one's). */
    const memoUpsertsPerTask = (file: string) => {
      const perTask: number[] = [];
      for (const e of storedEvents(file)) {
        if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') perTask.push(0);
        else if (e.eventType === 'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED') perTask[perTask.length - 1]! += 1;
      }
      return perTask;
    };
    const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
    const comuni = (release: string) => files.filter((f) => f.startsWith(`v${release}-ts-comune_`));
    // Before: one memo upsert per change (four services started, three signals in one task: up to four).
    expect(Math.max(...comuni('0.11.0').flatMap(memoUpsertsPerTask))).toBeGreaterThanOrEqual(4);
    // Since: one per activation, two when a condition it unblocked changed the state again (an Update, then the
    // stage it opens).
    expect(Math.max(...comuni('0.12.0').flatMap(memoUpsertsPerTask))).toBeLessThanOrEqual(2);
    const before = sum(comuni('0.11.0').flatMap(memoUpsertsPerTask));
    const since = sum(comuni('0.12.0').flatMap(memoUpsertsPerTask));
    expect(since).toBeLessThan(before * 0.6);
  });

  it('records the 0.12.0 publication by the review poll: from its result, without a marker', () => {
    const scheduled = (file: string) =>
      storedEvents(file).flatMap((e) => {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return name ? [name] : [];
      });
    // The same end-to-end journey: the poll that reads the approval publishes, one activity fewer per service.
    expect(scheduled('v0.11.0-e2e-service_c_l378_tari.json')).toEqual([
      'setUpService',
      'awaitReviewDecision',
      'ensurePublished',
    ]);
    expect(scheduled('v0.12.0-e2e-service_c_l378_tari.json')).toEqual([
      'setUpService',
      'awaitReviewDecision',
    ]);
    // A poll that could not publish leaves it to ensurePublished, as before (test/workflows/services.test.ts).
    expect(scheduled('v0.12.0-ts-service_c_s005_tari.json').at(-1)).toBe('ensurePublished');
    expect(scheduled('v0.12.0-ts-service_c_s005_imu.json').at(-1)).toBe('awaitReviewDecision');
  });

  it('records the 0.13.0 reads on request: the Update, the poll cancelled, one read, the poll again; no marker', () => {
    const read = 'v0.13.0-ts-service_c_rc01_tari.json';
    const events = storedEvents(read);
    const updates = events
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
      .filter(Boolean);
    expect(updates).toEqual(['checkReviewNow', 'checkReviewNow']);
    // Poll, read (still in review), poll again, read (approved and published in the same call).
    expect(
      events.flatMap((e) => {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return name ? [name] : [];
      }),
    ).toEqual([
      'setUpService',
      'awaitReviewDecision',
      'awaitReviewDecision',
      'awaitReviewDecision',
      'awaitReviewDecision',
    ]);
    expect(events.filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED').length).toBe(2);
    // A new Update and a branch taken only when it arrives: nothing older changes, so no marker of its own.
    expect(patchIds(read)).toEqual([workflowPatches.release012]);
    expect(
      files
        .filter((f) => olderThan(f, '0.13.0'))
        .some((f) =>
          storedEvents(f).some(
            (e) =>
              e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ===
              'checkReviewNow',
          ),
        ),
    ).toBe(false);
  });

  it('records the 0.8.0 parallel chunks of a bulk job behind patched(), beside a job of 0.7.0 without them', () => {
    const jobs = files.filter((f) => /^v\d+\.\d+\.\d+-bulk-/.test(f));
    const old = jobs.filter((f) => f.startsWith('v0.7.0-'));
    const current = jobs.filter((f) => f.startsWith('v0.8.0-'));
    expect(old.length).toBeGreaterThan(0);
    expect(current.length).toBeGreaterThan(0);
    for (const file of old) expect(patchIds(file)).toEqual([]);
    for (const file of current) expect(patchIds(file)).toEqual([workflowPatches.bulkParallelChunks]);
  });

  it.each(files)('%s replays deterministically against the current code', async (file) => {
    const history = temporal.api.history.v1.History.fromObject(
      JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>,
    );
    await Worker.runReplayHistory(
      // The sink the bundle's read-model interceptor hands documents to (a replay worker never calls it).
      { workflowBundle: workflowBundle(), dataConverter, sinks: testReadModelSinks() },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});
