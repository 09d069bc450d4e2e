import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { ComuneInput, ComuneState } from '../../contracts/comune';
import { correctCardUpdate } from '../../contracts/service';
import { MAX_FUNDED_SERVICES } from '../../domain/funding';
import { catalogue } from '../../domain/catalogue';
import { fetchLargeHistory } from '../support/large-history';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  recordDelegationAndSignedForm,
  serviceHandle,
  stateOf,
  withComune,
  type ComuneHandle,
} from './helpers';

/**
 * Issue #13 item 4: a Comune with the most services a contract funds (50), each rejected three times by PagoPA
 * before its approval, keeps every single run's history under the engine's warning threshold. Measured on a real
 * (time-skipping) Temporal server: every run of the Comune and of each service is fetched and counted.
 * Reproduce: `npx jest test/workflows/history-budget.test.ts`.
 */

/** The engine warns past 10,240 events in one run's history (history.maximumSize is far above). */
const HISTORY_WARNING_EVENTS = 10_240;
const REJECTIONS_PER_SERVICE = 3;
const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const automaticA = { adherent: false, onboarding: 'active' as const };
const settings = { adhesionCheck: 'automatic' as const, maxParallelServices: MAX_FUNDED_SERVICES };

/** Every PagoPA review of the first three rounds rejects the card; the fourth approves it. */
const behaviour = {
  ...automaticA,
  review: (_name: string, round: number) =>
    round <= REJECTIONS_PER_SERVICE
      ? { outcome: 'rejected' as const, reason: `Descrizione incompleta (revisione n. ${round})` }
      : { outcome: 'approved' as const },
};

/**
 * The fixture's catalogue services (20), completed to 50 with the same cards under other names and slugs: the
 * mock IO finds a service by its name, so every name is distinct.
 */
function fiftyServices(input: ComuneInput): void {
  const base = input.services.slice(0, catalogue.length);
  for (let i = base.length; i < MAX_FUNDED_SERVICES; i++) {
    const from = base[i % base.length]!;
    const copy = Math.floor(i / base.length) + 1;
    input.services.push({
      slug: `${from.slug}-${copy}`,
      card: { ...from.card, service_name: `${from.card.service_name} (sportello ${copy})` },
    });
  }
}

/**
 * The events that make a workflow task: without them a run has nothing new to process. Here the test server batches
 * several in one task (the driver corrects many services at once, time does not move); spread over weeks, each may
 * get a task of its own (3 events each), which `eventsAtWorst` counts.
 */
const WAKE_UPS = new Set([
  'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
  'EVENT_TYPE_ACTIVITY_TASK_FAILED',
  'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT',
  'EVENT_TYPE_ACTIVITY_TASK_CANCELED',
  'EVENT_TYPE_TIMER_FIRED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED',
  'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT',
  'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED',
  'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
  'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
]);

interface RunFigures {
  workflowId: string;
  runId: string;
  events: number;
  workflowTasks: number;
  /** The same run with one workflow task per wake-up event (none batched): an upper bound. */
  eventsAtWorst: number;
  byType: Map<string, number>;
  continuedAs?: string;
}

function figuresOf(workflowId: string, runId: string, events: HistoryEvent[]): RunFigures {
  const byType = new Map<string, number>();
  for (const event of events) {
    const name = EventType[event.eventType ?? 0] ?? String(event.eventType);
    byType.set(name, (byType.get(name) ?? 0) + 1);
  }
  const last = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
  const workflowTasks = byType.get('EVENT_TYPE_WORKFLOW_TASK_COMPLETED') ?? 0;
  const wakeUps = [...byType].reduce((n, [type, count]) => (WAKE_UPS.has(type) ? n + count : n), 0);
  return {
    workflowId,
    runId,
    events: events.length,
    workflowTasks,
    eventsAtWorst: events.length + 3 * Math.max(0, wakeUps - workflowTasks),
    byType,
    ...(last?.newExecutionRunId ? { continuedAs: last.newExecutionRunId } : {}),
  };
}

/** Every run of a workflow, from its first run along the continue-as-new chain. */
async function runsOf(env: TestWorkflowEnvironment, workflowId: string, firstRunId: string) {
  const runs: { figures: RunFigures; events: HistoryEvent[] }[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const events = (await fetchLargeHistory(env.client.workflow, workflowId, runId)).events ?? [];
    const figures = figuresOf(workflowId, runId, events);
    runs.push({ figures, events });
    runId = figures.continuedAs;
  }
  return runs;
}

/** Sends each service's correction once per rejection the Comune has heard of, until all are sent. */
async function correctEveryRejection(
  env: TestWorkflowEnvironment,
  handle: ComuneHandle,
  input: ComuneInput,
  timeoutMs: number,
): Promise<number> {
  const ipa = input.comune.ipaCode;
  const corrected = new Map<string, number>();
  const total = input.services.length * REJECTIONS_PER_SERVICE;
  let sent = 0;
  const deadline = Date.now() + timeoutMs;
  while (sent < total) {
    if (Date.now() > deadline) throw new Error(`only ${sent} of ${total} corrections sent in time`);
    const state = await stateOf(handle);
    const due = state.services.filter(
      (s) => s.status === 'rejected' && s.rejections.length > (corrected.get(s.slug) ?? 0),
    );
    await Promise.all(
      due.map(async (summary) => {
        const round = summary.rejections.length;
        const original = input.services.find((s) => s.slug === summary.slug)!.card;
        await serviceHandle(env, ipa, summary.slug).executeUpdate(correctCardUpdate, {
          args: [
            {
              actor: 'Giulia Verdi (staff)',
              card: {
                ...original,
                description: `${original.description} Correzione n. ${round}: iscrizioni dal portale del Comune.`,
              },
            },
          ],
        });
        corrected.set(summary.slug, round);
      }),
    );
    sent += due.length;
    if (due.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  return sent;
}

const stats = (values: number[]) => ({
  max: Math.max(...values),
  mean: values.reduce((a, b) => a + b, 0) / values.length,
});

describe('History budget: 50 services × 3 rejections', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('keeps every run of the Comune and of its services under 10,240 events', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_h050',
        behaviour,
        fixture: { settings, services: catalogue.length },
        adjust: fiftyServices,
        timeLimitMs: 215_000,
      },
      async ({ handle, mocks, input }) => {
        expect(input.services).toHaveLength(MAX_FUNDED_SERVICES);
        expect(new Set(input.services.map((s) => s.card.service_name)).size).toBe(MAX_FUNDED_SERVICES);
        const startedAt = Date.now();
        await recordDelegationAndSignedForm(handle);

        const corrections = await correctEveryRejection(env, handle, input, 150_000);
        expect(corrections).toBe(MAX_FUNDED_SERVICES * REJECTIONS_PER_SERVICE);
        const final = (await handle.result()) as ComuneState;
        const journeyMs = Date.now() - startedAt;

        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(MAX_FUNDED_SERVICES);
        expect(final.services.every((s) => s.status === 'active')).toBe(true);
        const rejections = final.services.reduce((n, s) => n + s.rejections.length, 0);
        expect(rejections).toBe(MAX_FUNDED_SERVICES * REJECTIONS_PER_SERVICE);
        expect(mocks.calls.filter((c) => c.startsWith('submitForReview:'))).toHaveLength(
          MAX_FUNDED_SERVICES * (REJECTIONS_PER_SERVICE + 1),
        );

        // The Comune's runs, then each service's runs from the run its Comune started.
        const comuneRuns = await runsOf(env, handle.workflowId, handle.firstExecutionRunId);
        const children = comuneRuns.flatMap(({ events }) =>
          events.flatMap((e) => {
            const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
            return child?.workflowId && child.runId
              ? [{ workflowId: child.workflowId, runId: child.runId }]
              : [];
          }),
        );
        expect(children).toHaveLength(MAX_FUNDED_SERVICES);
        const serviceRuns = (
          await Promise.all(children.map((c) => runsOf(env, c.workflowId, c.runId)))
        ).flat();
        for (const { slug } of input.services) {
          expect((await serviceHandle(env, input.comune.ipaCode, slug).describe()).status.name).toBe(
            'COMPLETED',
          );
        }

        const comune = comuneRuns.map((r) => r.figures);
        const services = serviceRuns.map((r) => r.figures);
        const largest = [...comune, ...services].reduce((a, b) => (b.events > a.events ? b : a));
        const worst = Math.max(...[...comune, ...services].map((f) => f.eventsAtWorst));
        const serviceEvents = stats(services.map((s) => s.events));
        const serviceTasks = stats(services.map((s) => s.workflowTasks));
        const topTypes = (f: RunFigures) =>
          [...f.byType]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 10)
            .map(([type, n]) => `${type.replace('EVENT_TYPE_', '').toLowerCase()} ${n}`)
            .join(', ');
        const lines = [
          `History budget: ${MAX_FUNDED_SERVICES} services × ${REJECTIONS_PER_SERVICE} rejections (journey ${(journeyMs / 1000).toFixed(1)} s)`,
          '| Workflow | Runs | Events (max / mean per run) | Workflow tasks (max / mean per run) | Events, one task per wake-up (max) |',
          '| --- | --- | --- | --- | --- |',
          ...comune.map(
            (f, i) => `| Comune run ${i + 1} | 1 | ${f.events} | ${f.workflowTasks} | ${f.eventsAtWorst} |`,
          ),
          `| Service (${children.length}) | ${services.length} | ${serviceEvents.max} / ${serviceEvents.mean.toFixed(1)} | ${serviceTasks.max} / ${serviceTasks.mean.toFixed(1)} | ${Math.max(...services.map((s) => s.eventsAtWorst))} |`,
          `Largest run: ${largest.workflowId} ${largest.events} events, at worst ${worst} (limit ${HISTORY_WARNING_EVENTS})`,
          `Comune run 1 by type: ${topTypes(comune[0]!)}`,
          `Largest service run by type: ${topTypes(services.reduce((a, b) => (b.events > a.events ? b : a)))}`,
        ];
        console.log(lines.join('\n'));

        expect(largest.events).toBeLessThan(HISTORY_WARNING_EVENTS);
        // Also when no workflow task batches two wake-ups, as when staff correct one card a day.
        expect(worst).toBeLessThan(HISTORY_WARNING_EVENTS);
      },
    );
  }, 240_000);
});
