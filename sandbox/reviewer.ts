import { z } from 'zod';
import type { Logger } from '../common/logger';
import { applyLifecycle, applyPublication, sameName } from './service-ops';
import type { SandboxState, StoredService } from './state-store';

/**
 * A simulated PagoPA reviewer. On submission it runs automatic checks in PagoPA's spirit (a failure
 * rejects at once, reason in Italian), then applies the first matching rule or the default mode:
 * `approve` / `reject` after `reviewDelayMs`, or `manual` (stays `submitted` until an admin decides).
 * Decisions are applied lazily (on the next request after they fall due), so no timer is needed and
 * a restart keeps pending reviews.
 */

export const REJECTION_PREFIX = 'dati incompleti o incorretti: ';
export const DEFAULT_REJECT_REASON = `${REJECTION_PREFIX}la scheda del servizio non è conforme alle linee guida`;

export const reviewOutcomeSchema = z.enum(['approve', 'reject', 'manual']);
export type ReviewOutcome = z.infer<typeof reviewOutcomeSchema>;

export interface ReviewRule {
  /** Matches the service name; a string is a case-insensitive regexp source. */
  name: RegExp | string;
  outcome: ReviewOutcome;
  /** Applies only to a service's first N submissions; then the default mode. Default: always. */
  times?: number;
  reason?: string;
  delayMs?: number;
}

export interface ReviewerOptions {
  mode?: ReviewOutcome;
  reviewDelayMs?: number;
  rejectReason?: string;
  rules?: ReviewRule[];
  /** Sugar: reject the first submission of matching services, approve the next. */
  rejectOnce?: (RegExp | string)[];
  /** Reject when no logo was uploaded. Default false. */
  requireLogo?: boolean;
}

/** The JSON shape accepted by `PUT /__admin/reviewer` (rule names are regexp sources, case-insensitive). */
export const reviewerConfigSchema = z.object({
  mode: reviewOutcomeSchema.optional(),
  reviewDelayMs: z.number().int().min(0).optional(),
  rejectReason: z.string().min(1).optional(),
  rules: z
    .array(
      z.object({
        name: z.string().min(1),
        outcome: reviewOutcomeSchema,
        times: z.number().int().min(1).optional(),
        reason: z.string().min(1).optional(),
        delayMs: z.number().int().min(0).optional(),
      }),
    )
    .optional(),
  rejectOnce: z.array(z.string().min(1)).optional(),
  requireLogo: z.boolean().optional(),
});

const toRegExp = (p: RegExp | string): RegExp => (typeof p === 'string' ? new RegExp(p, 'i') : p);

const isHttpUrl = (v: string | undefined): boolean =>
  v !== undefined && /^https?:\/\/[^\s/]+\.[^\s]+$/i.test(v);

/** A name written in capitals ("SERVIZI SCOLASTICI"); a short acronym alone ("TARI") is fine. */
const isAllCaps = (name: string): boolean =>
  !/\p{Ll}/u.test(name) && name.split(/\s+/).some((w) => (w.match(/\p{Lu}/gu) ?? []).length >= 5);

/** The automatic checks: a reason (with PagoPA's prefix) when the card is refused, else undefined. */
export function automaticChecks(
  s: StoredService,
  all: Iterable<StoredService>,
  opts: { requireLogo?: boolean } = {},
): string | undefined {
  const m = s.data.metadata;
  const problems: string[] = [];
  if (!m.privacy_url) problems.push("manca l'URL dell'informativa privacy (privacy_url)");
  else if (!isHttpUrl(m.privacy_url))
    problems.push("l'URL dell'informativa privacy (privacy_url) deve essere un indirizzo http:// o https://");
  if (!m.phone && !m.email && !m.pec && !m.support_url)
    problems.push('indicare almeno un contatto tra telefono, email, PEC e URL di assistenza');
  if (isAllCaps(s.data.name))
    problems.push('il nome del servizio non va scritto in maiuscolo (maiuscole solo per iniziali e sigle)');
  for (const other of all) {
    if (
      other.id !== s.id &&
      other.status.value !== 'deleted' &&
      other.data.organization.fiscal_code === s.data.organization.fiscal_code &&
      sameName(other.data.name, s.data.name)
    ) {
      problems.push(`esiste già un servizio dell'ente con lo stesso nome ("${other.data.name}")`);
      break;
    }
  }
  if (opts.requireLogo && !s.logo) problems.push("manca il logo dell'ente");
  return problems.length ? `${REJECTION_PREFIX}${problems.join('; ')}` : undefined;
}

export class Reviewer {
  private options: ReviewerOptions = {};

  constructor(
    options: ReviewerOptions | undefined,
    private readonly logger?: Logger,
  ) {
    this.configure(options ?? {});
  }

  configure(options: ReviewerOptions): void {
    this.options = { ...options };
  }

  /** The configuration as JSON (regexps as sources). */
  describe() {
    const o = this.options;
    return {
      mode: o.mode ?? 'approve',
      reviewDelayMs: o.reviewDelayMs ?? 0,
      rejectReason: o.rejectReason ?? DEFAULT_REJECT_REASON,
      requireLogo: o.requireLogo ?? false,
      rules: this.rules().map((r) => ({ ...r, name: toRegExp(r.name).source })),
    };
  }

  private rules(): ReviewRule[] {
    const once = (this.options.rejectOnce ?? []).map((name): ReviewRule => ({
      name,
      outcome: 'reject',
      times: 1,
    }));
    return [...(this.options.rules ?? []), ...once];
  }

  /** Called right after the service moved to `submitted` (its `submissions` already incremented). */
  onSubmit(s: StoredService, state: SandboxState, autoPublish: boolean, now: Date): void {
    const at = now.toISOString();
    s.review = { auto_publish: autoPublish, submitted_at: at };
    const refusal = automaticChecks(s, Object.values(state.services), {
      requireLogo: this.options.requireLogo,
    });
    if (refusal) {
      this.apply(s, 'reject', refusal, now);
      return;
    }
    const rule = this.rules().find(
      (r) => toRegExp(r.name).test(s.data.name) && (r.times === undefined || s.submissions <= r.times),
    );
    const outcome = rule?.outcome ?? this.options.mode ?? 'approve';
    if (outcome === 'manual') return;
    const delay = rule?.delayMs ?? this.options.reviewDelayMs ?? 0;
    s.review.outcome = outcome;
    s.review.due_at = new Date(now.getTime() + delay).toISOString();
    if (outcome === 'reject')
      s.review.reason = rule?.reason ?? this.options.rejectReason ?? DEFAULT_REJECT_REASON;
    if (delay === 0) this.settle(s, now);
  }

  /** Applies every decision that has fallen due. Returns whether anything changed. */
  settleDue(state: SandboxState, now: Date): boolean {
    let changed = false;
    for (const s of Object.values(state.services)) changed = this.settle(s, now) || changed;
    return changed;
  }

  private settle(s: StoredService, now: Date): boolean {
    const r = s.review;
    if (s.status.value !== 'submitted' || !r?.outcome || !r.due_at || Date.parse(r.due_at) > now.getTime()) {
      return false;
    }
    this.apply(s, r.outcome, r.reason, now);
    return true;
  }

  /** A decision (admin or automatic): approve (publishing when asked), reject with a reason, or abort. */
  apply(
    s: StoredService,
    decision: 'approve' | 'reject' | 'abort',
    reason: string | undefined,
    now: Date,
  ): string | undefined {
    const autoPublish = s.review?.auto_publish ?? false;
    const error = applyLifecycle(
      s,
      decision,
      now,
      decision === 'reject' ? (reason ?? this.options.rejectReason ?? DEFAULT_REJECT_REASON) : undefined,
    );
    if (error) return error;
    if (decision === 'approve' && autoPublish) applyPublication(s, 'publish', now);
    else if (decision === 'approve' && s.publication) {
      // As io-services-cms does: approving a new version of a published service replaces the published data.
      s.publication = { ...s.publication, version: s.version, data: s.data, last_update: now.toISOString() };
    }
    this.logger?.info({ serviceId: s.id, decision, status: s.status.value }, 'sandbox review decided');
    return undefined;
  }

  /** Services waiting for a decision. */
  pending(state: SandboxState) {
    return Object.values(state.services)
      .filter((s) => s.status.value === 'submitted')
      .map((s) => ({
        id: s.id,
        name: s.data.name,
        organization_fiscal_code: s.data.organization.fiscal_code,
        submitted_at: s.review?.submitted_at,
        auto_publish: s.review?.auto_publish ?? false,
        scheduled: s.review?.outcome ? { outcome: s.review.outcome, due_at: s.review.due_at } : null,
      }));
  }
}
