import { ApplicationFailure } from '@temporalio/activity';
import type { Activities, NotifyInput, ReviewDecision } from '../../activities';
import { runServiceSetUp } from '../../activities/io-services';

export interface MockBehaviour {
  adherent?: boolean;
  /** Decides each review: called with the service name and the round (1-based). */
  review?: (serviceName: string, round: number) => ReviewDecision;
  /** What the watch after completion sees of each published service (default: published). */
  publication?: (serviceName: string) => 'published' | 'unpublished' | 'deleted' | 'in_review';
  /**
   * PagoPA never decides: every review poll fails with a retryable ReviewPending, as the real activity does. A
   * function holds only the reviews it answers true for (by service name and round), as long as it does.
   */
  reviewPending?: boolean | ((serviceName: string, round: number) => boolean);
  /** Selfcare's prod-io onboarding after the signed form (the automatic check); `pending` polls for ever. */
  onboarding?: 'active' | 'rejected' | 'expired' | 'pending';
  /** The Comune's portal has no service for this slug (a non-retryable PortalServiceNotFound) while it holds. */
  portalMissing?: (slug: string) => boolean;
  /**
   * Whether a review poll asked to publish (0.12.0) can publish an approved service at once (default: yes). When
   * not, it answers the approval without `published`, as the real one does after a 404 or an outage.
   */
  publishInPoll?: (serviceName: string) => boolean;
}

/** What PagoPA does with the Comune's manage key now: tests flip it to see services pause and resume. */
export interface MockKeyState {
  /** Every manage call is refused (401) while set: the reference of the refused key. */
  refusedRef?: string;
}

/**
 * In-memory activities typed against the real factory, for orchestration tests: they record what the workflows
 * asked for. The workflow code itself is never mocked.
 */
export function mockActivities(behaviour: MockBehaviour = {}) {
  const notifications: NotifyInput[] = [];
  const services = new Map<string, { name: string; rounds: number; status: string }>();
  const calls: string[] = [];
  let nextId = 1;
  const key: MockKeyState = {};
  const refuseIfKeyRefused = (what: string) => {
    if (key.refusedRef === undefined) return;
    calls.push(`keyRefused:${what}`);
    throw ApplicationFailure.nonRetryable(
      'PagoPA rifiuta la chiave di gestione del Comune (401): rigenerata o revocata nel back office IO',
      'ManageKeyRefused',
      { ref: key.refusedRef },
    );
  };
  const activities: Activities = {
    async awaitIoOnboarding() {
      calls.push('awaitIoOnboarding');
      const outcome = behaviour.onboarding;
      if (outcome === undefined) {
        throw ApplicationFailure.nonRetryable('nessuna chiave Selfcare configurata', 'SelfcareNotConfigured');
      }
      if (outcome === 'pending')
        throw ApplicationFailure.retryable('adesione non ancora attiva', 'OnboardingPending');
      const status = { active: 'ACTIVE', rejected: 'REJECTED', expired: 'DELETED' }[outcome];
      return { outcome, status };
    },
    async checkAdhesion() {
      calls.push('checkAdhesion');
      if (behaviour.adherent === undefined) {
        throw ApplicationFailure.nonRetryable('nessuna chiave Selfcare configurata', 'SelfcareNotConfigured');
      }
      return { adherent: behaviour.adherent, found: true, status: behaviour.adherent ? 'ACTIVE' : undefined };
    },
    async notify(input) {
      calls.push(`notify:${input.id}`);
      if (!notifications.some((n) => n.id === input.id)) notifications.push(input);
      return { status: 'sent' as const };
    },
    async ensureService({ card }) {
      refuseIfKeyRefused(`ensureService:${card.service_name}`);
      calls.push(`ensureService:${card.service_name}`);
      for (const [id, s] of services)
        if (s.name === card.service_name) return { serviceId: id, created: false };
      const id = `01SERVICE${String(nextId++).padStart(17, '0')}`;
      services.set(id, { name: card.service_name, rounds: 0, status: 'draft' });
      return { serviceId: id, created: true };
    },
    async updateService({ serviceId }) {
      calls.push(`updateService:${serviceId}`);
      services.get(serviceId)!.status = 'draft';
      return { status: 'draft' };
    },
    async uploadLogo({ logoRef, serviceId }) {
      calls.push(`uploadLogo:${serviceId}`);
      return { sha256: logoRef };
    },
    async configurePortal({ slug, serviceId }) {
      calls.push(`configurePortal:${serviceId}`);
      if (behaviour.portalMissing?.(slug)) {
        throw ApplicationFailure.nonRetryable(
          `servizio "${slug}" non trovato sul portale del Comune`,
          'PortalServiceNotFound',
        );
      }
      return { portalServiceId: 'portal-1', primaryKeyFingerprint: 'abcdef012345' };
    },
    async sendTestMessage() {
      return { messageId: 'msg-1' };
    },
    // The product's own chain (activities/io-services.ts) over the steps below.
    async setUpService(input) {
      return runServiceSetUp(activities, input);
    },
    async submitForReview({ serviceId }) {
      refuseIfKeyRefused(`submitForReview:${serviceId}`);
      const s = services.get(serviceId)!;
      s.rounds += 1;
      s.status = 'submitted';
      calls.push(`submitForReview:${s.name}:${s.rounds}`);
      return { status: 'submitted' };
    },
    async awaitReviewDecision({ serviceId, publish }) {
      refuseIfKeyRefused(`awaitReviewDecision:${serviceId}`);
      const s = services.get(serviceId)!;
      const pending =
        typeof behaviour.reviewPending === 'function'
          ? behaviour.reviewPending(s.name, s.rounds)
          : behaviour.reviewPending;
      if (pending) {
        throw ApplicationFailure.retryable('revisione PagoPA in corso', 'ReviewPending');
      }
      const decision = behaviour.review?.(s.name, s.rounds) ?? { outcome: 'approved' as const };
      s.status = decision.outcome;
      if (decision.outcome === 'approved' && publish && (behaviour.publishInPoll?.(s.name) ?? true)) {
        calls.push(`publishedInPoll:${s.name}`);
        return { ...decision, published: { alreadyPublished: false } };
      }
      return decision;
    },
    async ensurePublished({ serviceId }) {
      calls.push(`ensurePublished:${services.get(serviceId)?.name ?? serviceId}`);
      return { published: true as const, alreadyPublished: false };
    },
    async checkPublishedServices({ services: watched }) {
      calls.push(`checkPublishedServices:${watched.length}`);
      return watched.map(({ slug, serviceId }) => ({
        slug,
        seen: behaviour.publication?.(services.get(serviceId)?.name ?? slug) ?? ('published' as const),
      }));
    },
  };
  return { activities, notifications, services, calls, key };
}
