import { createHash } from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ioLimitsFromEnv } from '../common/config';
import type { ServiceCard } from '../domain/service-card';
import type { DocumentStore } from '../integrations/documents/document-store';
import { checkLogo } from '../integrations/documents/png';
import { HttpNonRetryableError } from '../integrations/http';
import type { IoManageClient, IoMessagesClient } from '../integrations/io';
import { LimiterWaitTimeout, SANDBOX_FISCAL_CODE } from '../integrations/io';
import type { PortalClient } from '../integrations/portal';
import type {
  ManageKeyScope,
  ServiceSetUpFailureDetail,
  ServiceSetUpProgress,
  ServiceSetUpStep,
} from '../contracts/service';
import { heartbeatMerged, toActivityFailure } from './failures';
import { cardToServicePayload } from './card-payload';
import { manageClientFor, type ManageClients } from './manage-keys';

export interface IoServiceSettings {
  /**
   * How long `POST /release` may answer 404 after approval before staff are told, counted from the publish
   * activity's first attempt. Default `IO_PUBLICATION_WAIT_MINUTES` (30).
   */
  publicationWaitMinutes: number;
}

export interface IoServiceDependencies {
  /** The legacy partner-wide manage client (`IO_MANAGE_API_KEY`), where configured. */
  io?: IoManageClient;
  /** Each Comune's own manage key, resolved at call time (absent: only the partner-wide client). */
  manageKeys?: Omit<ManageClients, 'partner'>;
  messages: IoMessagesClient;
  portal: PortalClient;
  documents: DocumentStore;
  /** Defaults from the environment (`common/config.ts`). */
  ioSettings?: Partial<IoServiceSettings>;
}

/** `ensurePublished` while PagoPA has not written the published copy yet: retried by Temporal's retry policy. */
export const PUBLICATION_PENDING = 'PublicationPending';
/** `ensurePublished` after `IO_PUBLICATION_WAIT_MINUTES` of 404s: staff are told. */
export const PUBLICATION_NOT_READY = 'PublicationNotReady';
/** No creation slot free in this process for a while: nothing was sent, Temporal retries later. */
export const CREATION_THROTTLED = 'CreationThrottled';

export type ReviewDecision =
  /**
   * `published`: the poll also published the service (since 0.12.0, when asked to). Absent, the workflow publishes
   * it with `ensurePublished`, as before.
   */
  | { outcome: 'approved'; published?: { alreadyPublished: boolean } }
  | { outcome: 'rejected'; reason: string }
  /** Someone moved the service back to draft (an edit in the back office): submit again. */
  | { outcome: 'draft' };

/** A short, non-reversible fingerprint: proves a key was written without revealing it. */
function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** Milliseconds since this activity's first attempt was scheduled (retries keep the first attempt's time). */
function sinceFirstAttemptMs(): number {
  return Math.max(0, Date.now() - Context.current().info.scheduledTimestampMs);
}

export function createIoServiceActivities({
  io: partner,
  manageKeys,
  messages,
  portal,
  documents,
  ioSettings,
}: IoServiceDependencies) {
  const clients: ManageClients = {
    ...(manageKeys ?? {
      clientFor: () => {
        throw new Error('no per-Comune manage keys configured');
      },
    }),
    ...(partner ? { partner } : {}),
  };
  /** The manage client for the key scope: the Comune's own key, read at this call. */
  const manage = (key: ManageKeyScope | undefined) => manageClientFor(clients, key);
  /**
   * PagoPA's logo rule checked once per logo: a Comune's services share one, and the store verifies its bytes against
   * the reference (its SHA-256), so the same reference always has the same answer. Decoding it again for each
   * service was a noticeable share of the worker's main thread in the bench.
   */
  const logoChecks = new Map<string, string[]>();
  const checkLogoOnce = (logoRef: string, bytes: Buffer): string[] => {
    let problems = logoChecks.get(logoRef);
    if (!problems) {
      problems = checkLogo(bytes);
      if (logoChecks.size >= 10_000) logoChecks.clear();
      logoChecks.set(logoRef, problems);
    }
    return problems;
  };

  const settings: IoServiceSettings = {
    publicationWaitMinutes:
      ioSettings?.publicationWaitMinutes ?? ioLimitsFromEnv().IO_PUBLICATION_WAIT_MINUTES,
  };

  /**
   * `POST /release` answered 404. Right after approval that is expected: PagoPA writes the published copy later,
   * through a queue. Within the window, a retryable failure of its own type lets Temporal's retry policy wait; after
   * it (or when the service is gone) the failure is non-retryable and the workflow tells staff.
   */
  async function publicationNotFound(
    io: IoManageClient,
    serviceId: string,
    notFound: HttpNonRetryableError,
  ): Promise<never> {
    let status: string;
    try {
      status = (await io.getService(serviceId)).status.value;
    } catch (err) {
      if (err instanceof HttpNonRetryableError && err.status === 404) throw notFound;
      throw err;
    }
    if (status === 'deleted') {
      throw ApplicationFailure.nonRetryable('il servizio è stato cancellato su IO', 'ServiceDeleted');
    }
    const waitedMs = sinceFirstAttemptMs();
    const windowMs = settings.publicationWaitMinutes * 60_000;
    const details = notFound.problem ? [notFound.problem] : [];
    if (waitedMs < windowMs) {
      throw ApplicationFailure.create({
        message:
          'servizio approvato, PagoPA non ha ancora preparato la versione da pubblicare ' +
          `(POST /release → 404): nuovo tentativo, al più per ${settings.publicationWaitMinutes} minuti`,
        type: PUBLICATION_PENDING,
        details,
        nonRetryable: false,
      });
    }
    throw ApplicationFailure.nonRetryable(
      `servizio approvato ma non pubblicabile: PagoPA risponde 404 a POST /release da ${Math.round(
        waitedMs / 60_000,
      )} minuti (attesa massima ${settings.publicationWaitMinutes}); verificare il servizio nel back office IO`,
      PUBLICATION_NOT_READY,
      ...details,
    );
  }

  /** Publishes the service's release unless PagoPA shows it published already (the poll's and `ensurePublished`'s). */
  async function publish(io: IoManageClient, serviceId: string): Promise<{ alreadyPublished: boolean }> {
    const release = await io.getRelease(serviceId);
    if (release?.status === 'published') return { alreadyPublished: true };
    await io.publish(serviceId);
    return { alreadyPublished: false };
  }

  /**
   * Publishes an approved service when PagoPA lets it at once (already published, or POST /release accepted). Any
   * failure (a 404 while PagoPA prepares the release, a refused key, an outage) is left to `ensurePublished`, which
   * the workflow then runs with its own retries and its staff recovery: the decision is never lost for it.
   */
  async function publishedIfAtOnce(
    io: IoManageClient,
    serviceId: string,
  ): Promise<{ published?: { alreadyPublished: boolean } }> {
    try {
      return { published: await publish(io, serviceId) };
    } catch (err) {
      log.info('approved, not published at once: left to ensurePublished', { serviceId, error: String(err) });
      return {};
    }
  }

  const steps = {
    /**
     * Idempotent create: a retry after a crash (or a lost response) finds the service it created, by
     * organisation and name, instead of creating a second one.
     */
    async ensureService(input: {
      key?: ManageKeyScope;
      card: ServiceCard;
    }): Promise<{ serviceId: string; created: boolean }> {
      const io = await manage(input.key);
      const { card } = input;
      const existing = await io.findServiceByName(card.organization_fiscal_code, card.service_name);
      if (existing) {
        log.info('service already on IO', { serviceId: existing.id });
        return { serviceId: existing.id, created: false };
      }
      let created;
      try {
        created = await io.createService(cardToServicePayload(card));
      } catch (err) {
        if (!(err instanceof LimiterWaitTimeout)) throw err;
        throw ApplicationFailure.create({
          message: `troppe creazioni di servizi in corso (${err.max} alla volta): nuovo tentativo più tardi`,
          type: CREATION_THROTTLED,
          nonRetryable: false,
        });
      }
      log.info('service created on IO', { serviceId: created.id });
      return { serviceId: created.id, created: true };
    },

    async updateService(input: {
      key?: ManageKeyScope;
      serviceId: string;
      card: ServiceCard;
    }): Promise<{ status: string }> {
      const io = await manage(input.key);
      const updated = await io.updateService(input.serviceId, cardToServicePayload(input.card));
      return { status: updated.status.value };
    },

    async uploadLogo(input: {
      key?: ManageKeyScope;
      serviceId: string;
      logoRef: string;
    }): Promise<{ sha256: string }> {
      const io = await manage(input.key);
      const bytes = await documents.get(input.logoRef);
      if (!bytes) {
        throw ApplicationFailure.nonRetryable(
          `logo ${input.logoRef} non presente nell’archivio`,
          'LogoNotFound',
        );
      }
      const problems = checkLogoOnce(input.logoRef, bytes);
      if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), 'LogoInvalid');
      await io.uploadLogo(input.serviceId, bytes.toString('base64'));
      return { sha256: input.logoRef };
    },

    /**
     * Copies the service's keys from IO to the Comune's portal inside this one activity: the keys never
     * enter workflow history; only fingerprints come back.
     */
    async configurePortal(input: {
      key?: ManageKeyScope;
      serviceId: string;
      tenant: string;
      slug: string;
    }): Promise<{ portalServiceId: string; primaryKeyFingerprint: string }> {
      const io = await manage(input.key);
      const found = await portal.findServices(input.tenant, { identifier: input.slug });
      const target = found[0];
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          `servizio "${input.slug}" non trovato sul portale del Comune (${input.tenant})`,
          'PortalServiceNotFound',
        );
      }
      const keys = await io.getKeys(input.serviceId);
      await portal.setIoServiceParameters(input.tenant, target.id, {
        IOserviceId: input.serviceId,
        primaryKey: keys.primary_key,
        secondaryKey: keys.secondary_key,
      });
      return { portalServiceId: target.id, primaryKeyFingerprint: fingerprint(keys.primary_key) };
    },

    /**
     * A test message to PagoPA's sandbox fiscal code, the only recipient a service may write to before review.
     * `messageId` is absent when IO's answer has none (it is optional in the spec).
     */
    async sendTestMessage(input: {
      key?: ManageKeyScope;
      serviceId: string;
      serviceName: string;
    }): Promise<{ messageId?: string }> {
      const io = await manage(input.key);
      const keys = await io.getKeys(input.serviceId);
      const sent = await messages.sendMessage(keys.primary_key, {
        fiscal_code: SANDBOX_FISCAL_CODE,
        time_to_live: 3600,
        content: {
          subject: `Messaggio di prova: ${input.serviceName}`.slice(0, 120),
          markdown:
            `Questo è un messaggio di prova del servizio **${input.serviceName}**, inviato per verificare ` +
            'la configurazione prima della richiesta di pubblicazione su App IO.',
        },
      });
      return sent.id === undefined ? {} : { messageId: sent.id };
    },

    /** Submits for review unless it already is (or was approved): a retried submit is harmless. */
    async submitForReview(input: { key?: ManageKeyScope; serviceId: string }): Promise<{ status: string }> {
      const io = await manage(input.key);
      const status = await io.getReviewStatus(input.serviceId);
      if (status.value === 'submitted' || status.value === 'approved') return { status: status.value };
      if (status.value !== 'draft') {
        throw ApplicationFailure.nonRetryable(
          `il servizio è in stato ${status.value}: aggiornarlo prima di inviarlo in revisione`,
          'ServiceNotDraft',
        );
      }
      try {
        await io.submitForReview(input.serviceId, { auto_publish: false });
      } catch (err) {
        // A lost answer repeated by the client: the first PUT did submit, the second finds it submitted (409).
        if (!(err instanceof HttpNonRetryableError && err.status === 409)) throw err;
        const after = await io.getReviewStatus(input.serviceId);
        if (after.value === 'draft') throw err;
        return { status: after.value };
      }
      return { status: 'submitted' };
    },

    /**
     * One poll of the review. While PagoPA is still reviewing it fails retryably: the activity's retry policy
     * (backoff up to hours) is the polling schedule, and the workflow history records only the outcome.
     */
    async awaitReviewDecision(input: {
      key?: ManageKeyScope;
      serviceId: string;
      /** Publish once approved (since 0.12.0): one activity and one workflow task fewer per service. */
      publish?: boolean;
    }): Promise<ReviewDecision> {
      const io = await manage(input.key);
      const status = await io.getReviewStatus(input.serviceId);
      switch (status.value) {
        case 'approved':
          return input.publish
            ? { outcome: 'approved', ...(await publishedIfAtOnce(io, input.serviceId)) }
            : { outcome: 'approved' };
        case 'rejected':
          return { outcome: 'rejected', reason: status.reason?.trim() || 'dati incompleti o incorretti' };
        case 'draft':
          return { outcome: 'draft' };
        case 'submitted':
          throw ApplicationFailure.retryable('revisione PagoPA in corso', 'ReviewPending');
        default:
          throw ApplicationFailure.nonRetryable(`servizio in stato ${status.value}`, 'ServiceDeleted');
      }
    },

    /**
     * The watch after completion (0.6.0): what PagoPA shows of each published service now. Deleted (or gone: 404),
     * no longer published (no release, or its release unpublished), back in review (submitted again), or published.
     * Reads only; one call per service and its release.
     */
    async checkPublishedServices(input: {
      key?: ManageKeyScope;
      services: { slug: string; serviceId: string }[];
    }): Promise<{ slug: string; seen: 'published' | 'unpublished' | 'deleted' | 'in_review' }[]> {
      const io = await manage(input.key);
      const seen: { slug: string; seen: 'published' | 'unpublished' | 'deleted' | 'in_review' }[] = [];
      for (const { slug, serviceId } of input.services) {
        let lifecycle: string;
        try {
          lifecycle = (await io.getReviewStatus(serviceId)).value;
        } catch (err) {
          if (err instanceof HttpNonRetryableError && err.status === 404) {
            seen.push({ slug, seen: 'deleted' });
            continue;
          }
          throw err;
        }
        if (lifecycle === 'deleted') {
          seen.push({ slug, seen: 'deleted' });
          continue;
        }
        const release = await io.getRelease(serviceId);
        if (release?.status !== 'published') seen.push({ slug, seen: 'unpublished' });
        else if (lifecycle === 'submitted') seen.push({ slug, seen: 'in_review' });
        else seen.push({ slug, seen: 'published' });
      }
      return seen;
    },

    /**
     * Publishes an approved service unless it already is: visible in the app, so it counts for funding. A 404 right
     * after approval is retried for `IO_PUBLICATION_WAIT_MINUTES` (see `publicationNotFound`).
     */
    async ensurePublished(input: {
      key?: ManageKeyScope;
      serviceId: string;
    }): Promise<{ published: true; alreadyPublished: boolean }> {
      const io = await manage(input.key);
      try {
        return { published: true, ...(await publish(io, input.serviceId)) };
      } catch (err) {
        if (err instanceof HttpNonRetryableError && err.status === 404) {
          return publicationNotFound(io, input.serviceId, err);
        }
        throw err;
      }
    },
  };

  /** A service's IO steps before its review, in one activity (see {@link runServiceSetUp}). */
  const setUpService = (input: ServiceSetUpInput) => runServiceSetUp(steps, input);

  return { ...steps, setUpService };
}

export interface ServiceSetUpInput {
  key?: ManageKeyScope;
  card: ServiceCard;
  tenant: string;
  slug: string;
  /** What the workflow's state already records as done. */
  done: ServiceSetUpProgress;
  /** Whether to submit the service for its first review once set up. */
  submit: boolean;
}

/** The idempotent IO steps the set-up chains (the activities of the same name). */
export type ServiceSetUpSteps = Pick<
  ReturnType<typeof createIoServiceActivities>,
  'ensureService' | 'uploadLogo' | 'configurePortal' | 'sendTestMessage' | 'submitForReview'
>;

/**
 * A service's IO steps before its review, in one activity (0.11.0): create, logo, portal keys, test message and,
 * when asked, the first submission. Each step is the idempotent activity above, so running the chain again
 * repeats nothing that matters; the steps done are skipped anyway, from what the workflow already records and
 * from the heartbeat details of an earlier attempt. A transient failure retries the chain (paced as any IO
 * activity); one retrying cannot fix stops it with the step and what was done, for the workflow to ask staff.
 * One activity instead of five: a service costs four fewer workflow tasks and about twenty fewer history events.
 */
export async function runServiceSetUp(
  steps: ServiceSetUpSteps,
  input: ServiceSetUpInput,
): Promise<ServiceSetUpProgress> {
  const ctx = Context.current();
  const resumed = (ctx.info.heartbeatDetails as { setUp?: ServiceSetUpProgress } | undefined)?.setUp;
  // What an earlier attempt did, plus what the workflow records (its `false` never undoes a step the attempt did).
  const progress: ServiceSetUpProgress = { ...resumed };
  for (const [step, done] of Object.entries(input.done) as [keyof ServiceSetUpProgress, never][]) {
    if (done) progress[step] = done;
  }
  const now = () => new Date().toISOString();
  const run = async (step: ServiceSetUpStep, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      const failure = toActivityFailure(err);
      if (failure instanceof ApplicationFailure && failure.nonRetryable) {
        const detail: ServiceSetUpFailureDetail = { serviceSetUp: { step, progress: { ...progress } } };
        throw ApplicationFailure.create({
          message: failure.message,
          type: failure.type ?? undefined,
          details: [...(failure.details ?? []), detail],
          nonRetryable: true,
        });
      }
      throw err; // retried from the heartbeat below; the failure mapping paces it
    }
    heartbeatMerged(ctx, { setUp: { ...progress } });
  };
  const { key, card } = input;
  // Beats while a step runs too: the activity's heartbeat timeout finds a killed worker's attempt in seconds, and a
  // slow but live step (PagoPA answering late, the creation limit) is not mistaken for one.
  const beating = setInterval(() => heartbeatMerged(ctx, { setUp: { ...progress } }), SET_UP_BEAT_MS);
  try {
    return await runSteps();
  } finally {
    clearInterval(beating);
  }

  async function runSteps(): Promise<ServiceSetUpProgress> {
    if (!progress.serviceId) {
      await run('create', async () => {
        progress.serviceId = (await steps.ensureService({ key, card })).serviceId;
        progress.createdAt = now();
      });
    }
    const serviceId = progress.serviceId!;
    if (!progress.logoUploaded) {
      await run('logo', async () => {
        await steps.uploadLogo({ key, serviceId, logoRef: card.logo_ref });
        progress.logoUploaded = true;
      });
    }
    if (!progress.portalConfigured) {
      await run('portal', async () => {
        await steps.configurePortal({ key, serviceId, tenant: input.tenant, slug: input.slug });
        progress.portalConfigured = true;
        progress.portalConfiguredAt = now();
      });
    }
    if (!progress.testMessageSent) {
      await run('testMessage', async () => {
        await steps.sendTestMessage({ key, serviceId, serviceName: card.service_name });
        progress.testMessageSent = true;
      });
    }
    if (input.submit && !progress.submittedAt) {
      await run('submit', async () => {
        await steps.submitForReview({ key, serviceId });
        progress.submittedAt = now();
      });
    }
    return progress;
  }
}

/** How often `setUpService` heartbeats while a step runs (its heartbeat timeout: workflows/activity-proxies.ts). */
export const SET_UP_BEAT_MS = 5_000;
