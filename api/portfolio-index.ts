import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Logger } from '../common/logger';
import type { ReadModelChangeFeed, ReadModelStore } from '../common/read-model-store';
import type { ComuneState } from '../contracts/comune';
import { comuneWorkflowId } from '../contracts/ids';
import { writeReadModelSignal, type JourneyFactsDocument } from '../contracts/read-model';
import { isAtRisk } from '../domain/journey';
import { journeyReadModel } from '../domain/journey-tasks';
import { closedStageMs } from '../domain/stage-times';
import { sleep } from '../integrations/http/retry';
import { settledWithin } from './page-cache';
import {
  comuneItemFromVisibility,
  listComuni,
  oncePerList,
  PortfolioReader,
  searchItems,
  type ComuneListItem,
  type ListFilters,
} from './portfolio';
import type { ApiContext } from './context';

/** What a portfolio answer says about its freshness: where it was read from and when. */
export interface PortfolioRead {
  items: ComuneListItem[];
  /** When the answer's data was current (ms). */
  readAt: number;
  source: 'read-model' | 'visibility';
}

/** The portfolio as the API reads it (lists, summary, inbox, funding, stalls): from the read model or visibility. */
export interface Portfolio {
  list(filters: ListFilters): Promise<ComuneListItem[]>;
  listFresh(filters: ListFilters): Promise<PortfolioRead>;
  /** Resolves when no read is in flight (an orderly shutdown, tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** A Comune's list item as its read model gives it: the same fields its search attributes and memo publish. */
export function comuneItemFromReadModel(
  state: ComuneState,
  facts: JourneyFactsDocument | undefined,
  nowMs: number,
  defaultLadderDays: readonly number[],
): ComuneListItem {
  const fiscalCode = state.fiscalCode ?? facts?.comune.fiscalCode;
  const model = journeyReadModel(state, fiscalCode);
  return {
    ipaCode: state.ipaCode,
    name: state.name,
    province: state.province,
    stage: state.stage,
    ...(state.scenario ? { scenario: state.scenario } : {}),
    deadline: new Date(state.deadline).toISOString(),
    stageSince: new Date(state.stageSince).toISOString(),
    servicesActive: state.servicesActive,
    servicesTotal: state.servicesTotal,
    atRisk: isAtRisk(state, nowMs, facts?.escalationLadderDays ?? defaultLadderDays),
    late: state.late,
    fundingAtRiskEur: state.funding.atRiskEur,
    fundingSecuredEur: state.funding.securedEur,
    fundingLostEur: state.funding.lostEur,
    serviceStatusCounts: model.serviceStatusCounts as Record<string, number>,
    ...(fiscalCode ? { fiscalCode } : {}),
    tasks: model.tasks,
    stageMs: closedStageMs(state.timeline),
    population: state.population ?? facts?.comune.population,
    workflowStatus: 'RUNNING',
    workflowId: comuneWorkflowId(state.ipaCode),
  };
}

/** One Comune read from its documents. */
interface Indexed {
  item: ComuneListItem;
  /** The time of the task that wrote the journey document (ms): a run closed after it is this one. */
  asOfMs: number;
  /** How long before the deadline the Comune counts as at risk (its escalation ladder), when not closed or late. */
  riskWindowDays: readonly number[];
  state: Pick<ComuneState, 'stage' | 'late' | 'deadline'>;
  /** The fields above as JSON, worked out once when read: how a document read again unchanged is told. */
  signature: string;
}

/** A closed run of a Comune's journey, from visibility. */
interface ClosedRun {
  status: string;
  closedAtMs: number;
}

export interface PortfolioIndexOptions {
  store: ReadModelStore;
  client: Client;
  logger: Logger;
  /** The ladder of journeys whose `facts` document is missing (the configuration's default). */
  defaultLadderDays: readonly number[];
  /** How often the change journal is read (default 250 ms). */
  pollMs?: number;
  /** How often the index is checked against visibility (closed runs, journeys without documents; default 30 s). */
  reconcileMs?: number;
  /** How often every document is read again, whatever the journal says (default 10 min). */
  rescanMs?: number;
  /**
   * A journey without documents is asked to write them once it has run this long (default 2 min: a new journey
   * writes at its first task, and asking it would only add one).
   */
  askAfterStartMs?: number;
  now?: () => number;
}

const COMUNE_JOURNEYS = `WorkflowType = 'comuneWorkflow'`;
/** A journey asked to write is not asked again before this. */
const ASK_EVERY_MS = 10 * 60_000;
/** How much earlier than the last check closed runs are read again (visibility lags the workflows). */
const CLOSE_OVERLAP_MS = 5 * 60_000;
/** How often visibility is read while some running journeys have no document (their items come from it). */
const WITHOUT_DOCUMENTS_CHECK_MS = 5_000;
/** How long the first answer waits for the first check against visibility. */
const FIRST_CHECK_WAIT_MS = 5_000;
/** The `atRisk` of every Comune is worked out again at least this often (it moves with the clock). */
const RISK_EVERY_MS = 30_000;

/**
 * The portfolio kept in memory from the read model (issue #13): every Comune's list item, worked out from its journey
 * document with the same domain functions the workflow publishes its search attributes and memo with, so the lists,
 * the summary, the inbox, the funding report and the stall breakdown answer in a millisecond, without a visibility
 * read per request: at 7,904 Comuni those reads, repeated per filter and per reader, were what stopped a wave
 * (BENCHMARKS.md).
 *
 * - **Current:** the worker notes each Comune whose journey document it wrote in a change journal
 *   (common/read-model-store.ts); the index reads the journal every `pollMs` and re-reads only those documents.
 *   Every document is read again at start and every `rescanMs`.
 * - **Complete:** visibility is still the register of which journeys exist. Every `reconcileMs` the index reads the
 *   runs closed since the last check (a journey terminated by hand says so) and counts the running journeys; when the
 *   count differs from the index, it lists them, shows those without a document as visibility has them, and asks
 *   each to write its documents.
 */
export class PortfolioIndex implements Portfolio {
  private readonly documents = new Map<string, Indexed>();
  /** Running journeys without a document, as visibility shows them. */
  private fromVisibility = new Map<string, ComuneListItem>();
  /** Closed journeys, as visibility shows them: listed when they have no document. */
  private readonly closedFromVisibility = new Map<string, ComuneListItem>();
  private readonly closed = new Map<string, ClosedRun>();
  private readonly asked = new Map<string, number>();
  private readonly feed: ReadModelChangeFeed;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly reconcileMs: number;
  private readonly rescanMs: number;
  private ready?: Promise<void>;
  private firstCheck?: Promise<void>;
  private loops: Promise<void>[] = [];
  private closing = false;
  private readonly stopped = new AbortController();
  private readAt = 0;
  private lastRescan = 0;
  private closedSince?: number;
  private snapshot?: { items: ComuneListItem[]; at: number; version: number };
  private version = 0;
  private busy = 0;
  private warnedMissing = false;

  constructor(private readonly options: PortfolioIndexOptions) {
    this.feed = options.store.changes();
    this.now = options.now ?? (() => Date.now());
    this.pollMs = options.pollMs ?? 250;
    this.reconcileMs = options.reconcileMs ?? 30_000;
    this.rescanMs = options.rescanMs ?? 10 * 60_000;
  }

  list(filters: ListFilters): Promise<ComuneListItem[]> {
    return this.listFresh(filters).then((r) => r.items);
  }

  async listFresh(filters: ListFilters): Promise<PortfolioRead> {
    await this.start();
    const all = this.items();
    // The same filters on the same items give the same array (at most 100 filters per change of the items):
    // sortItems then sorts it once.
    const items = oncePerList(
      all,
      `filter ${JSON.stringify(filters)}`,
      () => {
        const matching = all.filter((item) => matchesFilters(item, filters));
        return filters.q ? searchItems(matching, filters.q) : matching;
      },
      100,
    );
    return { items, readAt: this.readAt, source: 'read-model' };
  }

  /** Starts reading (the first answer waits for every document to be read once). */
  start(): Promise<void> {
    if (!this.ready) {
      const scanned = this.rescan();
      const reconciled = scanned.then(() => this.reconcile());
      this.firstCheck = reconciled.catch(() => undefined);
      reconciled.catch((err: unknown) => {
        if (!this.closing)
          this.options.logger.warn({ err }, 'portfolio index: visibility not read, retrying');
      });
      // The first answer waits for every document, and for visibility's journeys without one for a moment: when
      // visibility is slow the index answers without them, and shows them once the check ends.
      this.ready = scanned.then(async () => {
        await settledWithin(reconciled, FIRST_CHECK_WAIT_MS);
      });
      this.loops = [
        this.every(this.pollMs, () => this.poll()),
        // Never two checks at once: the next waits for the first, however long visibility takes.
        // While some journeys are shown as visibility has them, they are read again sooner.
        this.every(
          () =>
            this.fromVisibility.size > 0
              ? Math.min(this.reconcileMs, WITHOUT_DOCUMENTS_CHECK_MS)
              : this.reconcileMs,
          () => reconciled.catch(() => undefined).then(() => this.reconcile()),
          true,
        ),
      ];
    }
    return this.ready;
  }

  async idle(): Promise<void> {
    await this.ready?.catch(() => undefined);
    await this.firstCheck;
    while (this.busy > 0) await sleep(10);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopped.abort();
    await Promise.allSettled(this.loops);
  }

  /** The items of every Comune, with `atRisk` as of now and the status of its run. */
  private items(): ComuneListItem[] {
    const now = this.now();
    const s = this.snapshot;
    if (s && s.version === this.version && now - s.at < RISK_EVERY_MS) return s.items;
    const items: ComuneListItem[] = [];
    for (const [ipa, indexed] of this.documents) {
      const closed = this.closed.get(ipa);
      const workflowStatus = closed && closed.closedAtMs >= indexed.asOfMs ? closed.status : 'RUNNING';
      const atRisk = isAtRisk(indexed.state as ComuneState, now, indexed.riskWindowDays);
      items.push(
        atRisk === indexed.item.atRisk && workflowStatus === indexed.item.workflowStatus
          ? indexed.item
          : (indexed.item = { ...indexed.item, atRisk, workflowStatus }),
      );
    }
    for (const [ipa, item] of this.fromVisibility) if (!this.documents.has(ipa)) items.push(item);
    for (const [ipa, item] of this.closedFromVisibility)
      if (!this.documents.has(ipa) && !this.fromVisibility.has(ipa)) items.push(item);
    this.snapshot = { items, at: now, version: this.version };
    return items;
  }

  private async every(
    ms: number | (() => number),
    task: () => Promise<void>,
    skipFirst = false,
  ): Promise<void> {
    await this.ready?.catch(() => undefined);
    let first = !skipFirst;
    while (!this.closing) {
      if (!first) await this.pause(typeof ms === 'number' ? ms : ms());
      first = false;
      if (this.closing) return;
      this.busy += 1;
      try {
        await task();
      } catch (err) {
        if (!this.closing) this.options.logger.warn({ err }, 'portfolio index: read failed, retrying');
      } finally {
        this.busy -= 1;
      }
    }
  }

  /** Waits `ms`, or less when closing; the timer does not keep the process alive. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopped.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.stopped.signal.addEventListener('abort', done);
    });
  }

  /** Re-reads the documents the journal names; every `rescanMs`, all of them. */
  private async poll(): Promise<void> {
    const started = this.now();
    if (started - this.lastRescan >= this.rescanMs) return this.rescan();
    const changed = await this.feed.read();
    await inBatches([...changed], (ipa) => this.load(ipa));
    this.readAt = started;
  }

  private async rescan(): Promise<void> {
    const started = this.now();
    await this.feed.mark(); // what the journal says from here on is read at the next poll
    const comuni = await this.options.store.comuni();
    const present = new Set(comuni);
    await inBatches(comuni, (ipa) => this.load(ipa));
    for (const ipa of this.documents.keys()) {
      if (!present.has(ipa)) {
        this.documents.delete(ipa);
        this.version += 1;
      }
    }
    this.lastRescan = started;
    this.readAt = started;
  }

  /** Reads one Comune's documents (none: it leaves the index, and visibility shows it until it writes again). */
  private async load(ipa: string): Promise<void> {
    const { store } = this.options;
    let journey, facts;
    try {
      [journey, facts] = await Promise.all([
        // Its own rows are what it keeps: the store keeps the pages' documents only.
        store.read<ComuneState>(ipa, 'comune', { keep: false }),
        store.read<JourneyFactsDocument>(ipa, 'facts', { keep: false }),
      ]);
    } catch (err) {
      this.options.logger.warn({ err, comune: ipa }, 'portfolio index: document not read');
      journey = undefined;
    }
    if (!journey) {
      if (this.documents.delete(ipa)) this.version += 1;
      return;
    }
    const state = journey.document;
    const ladder = facts?.document.escalationLadderDays ?? this.options.defaultLadderDays;
    const fields: Omit<Indexed, 'signature'> = {
      item: comuneItemFromReadModel(state, facts?.document, this.now(), this.options.defaultLadderDays),
      asOfMs: Date.parse(journey.asOf),
      riskWindowDays: ladder,
      state: { stage: state.stage, late: state.late, deadline: state.deadline },
    };
    const signature = JSON.stringify(fields);
    const before = this.documents.get(ipa);
    this.documents.set(ipa, { ...fields, signature });
    // A document read again unchanged (the 10-minute rescan reads them all) keeps the lists worked out from the
    // index: a new version makes the next list request filter and sort every Comune again, and at 7,904 Comuni a
    // rescan bumping it for each one kept the API re-sorting for its whole length.
    if (before?.signature !== signature) this.version += 1;
    if (this.fromVisibility.delete(ipa)) this.version += 1;
  }

  /** Checks the index against visibility: closed runs, and running journeys the read model does not have. */
  private async reconcile(): Promise<void> {
    const { client } = this.options;
    const started = this.now();
    const closedQuery = [
      COMUNE_JOURNEYS,
      `ExecutionStatus != 'Running'`,
      `ExecutionStatus != 'ContinuedAsNew'`,
      ...(this.closedSince !== undefined
        ? [`CloseTime > '${new Date(this.closedSince - CLOSE_OVERLAP_MS).toISOString()}'`]
        : []),
    ].join(' AND ');
    for await (const wf of client.workflow.list({ query: closedQuery, pageSize: 1000 })) {
      const ipa = ipaOf(wf);
      const closedAtMs = wf.closeTime?.getTime() ?? 0;
      const known = this.closed.get(ipa);
      if (!known || known.closedAtMs < closedAtMs) {
        this.closed.set(ipa, { status: wf.status.name, closedAtMs });
        const item = comuneItemFromVisibility(wf);
        if (item) this.closedFromVisibility.set(ipa, item);
        this.version += 1;
      }
    }
    this.closedSince = started;

    const running = `${COMUNE_JOURNEYS} AND ExecutionStatus = 'Running'`;
    const { count } = await client.workflow.count(running);
    const known = [...this.documents.entries()].filter(([ipa, d]) => {
      const closed = this.closed.get(ipa);
      return !closed || closed.closedAtMs < d.asOfMs;
    }).length;
    // Journeys shown as visibility has them are read again until they have documents: their stage moves.
    if (count === known + this.fromVisibility.size && this.fromVisibility.size === 0) return;

    const missing = new Map<string, ComuneListItem>();
    const toAsk: string[] = [];
    for await (const wf of client.workflow.list({ query: running, pageSize: 1000 })) {
      const ipa = ipaOf(wf);
      if (this.documents.has(ipa)) continue;
      const item = comuneItemFromVisibility(wf);
      if (item) missing.set(ipa, item);
      if (
        started - wf.startTime.getTime() > (this.options.askAfterStartMs ?? 2 * 60_000) &&
        started - (this.asked.get(ipa) ?? 0) > ASK_EVERY_MS
      )
        toAsk.push(wf.workflowId);
    }
    this.fromVisibility = missing;
    this.version += 1;
    await inBatches(toAsk, async (workflowId) => {
      this.asked.set(workflowId.replace(/^comune:/, ''), started);
      await client.workflow
        .getHandle(workflowId)
        .signal(writeReadModelSignal)
        .catch(() => undefined); // closed meanwhile: the next check says so
    });
    if (missing.size > 0 && !this.warnedMissing) {
      this.warnedMissing = true;
      this.options.logger.warn(
        { journeys: missing.size, readModel: this.options.store.dir },
        'portfolio index: running journeys without documents, shown from visibility (is the worker writing this folder?)',
      );
    }
    if (toAsk.length > 0)
      this.options.logger.info(
        { journeys: toAsk.length },
        'portfolio index: journeys asked to write their documents',
      );
  }
}

function ipaOf(wf: WorkflowExecutionInfo): string {
  return wf.workflowId.replace(/^comune:/, '');
}

/** The list filters on an item: the same conditions as the visibility query (api/portfolio.ts, visibilityQuery). */
export function matchesFilters(item: ComuneListItem, filters: ListFilters): boolean {
  if (filters.stage && item.stage !== filters.stage) return false;
  if (filters.province && item.province !== filters.province) return false;
  if (filters.scenario && item.scenario !== filters.scenario) return false;
  if (filters.atRisk !== undefined && item.atRisk !== filters.atRisk) return false;
  if (filters.late !== undefined && item.late !== filters.late) return false;
  if (
    filters.deadlineBefore &&
    !(Date.parse(item.deadline) < Date.parse(`${filters.deadlineBefore}T00:00:00Z`))
  )
    return false;
  return true;
}

/** Runs `task` over the values, 16 at a time. */
async function inBatches<T>(values: readonly T[], task: (value: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < values.length; i += 16) await Promise.all(values.slice(i, i + 16).map(task));
}

const portfolios = new WeakMap<object, Portfolio>();

/**
 * The API's one portfolio per context: the index over the read model when the context has one, otherwise the
 * visibility reader (api/portfolio.ts).
 */
export function portfolioReader(
  ctx: Pick<ApiContext, 'client' | 'logger' | 'portfolioCacheMs' | 'readModel' | 'registrationDefaults'>,
): Portfolio {
  let portfolio = portfolios.get(ctx);
  if (!portfolio) {
    portfolio = ctx.readModel
      ? new PortfolioIndex({
          store: ctx.readModel,
          client: ctx.client,
          logger: ctx.logger,
          defaultLadderDays: ctx.registrationDefaults.settings?.escalationLadderDays ?? [],
        })
      : new PortfolioReader((filters) => listComuni(ctx.client, filters), {
          maxAgeMs: ctx.portfolioCacheMs ?? 2_000,
        });
    portfolios.set(ctx, portfolio);
  }
  return portfolio;
}

/** Stops the context's portfolio reads (an orderly shutdown). */
export async function closePortfolio(ctx: object): Promise<void> {
  await portfolios.get(ctx)?.close();
  portfolios.delete(ctx);
}
