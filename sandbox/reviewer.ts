import { z } from 'zod';
import type { Logger } from '../common/logger';
import { applyLifecycle, releaseCopy } from './service-ops';
import type { SandboxState, StoredService } from './state-store';

/**
 * A simulated PagoPA reviewer. On submission it runs automatic checks (a failure rejects at once with a
 * technical validation report, as PagoPA's `src/reviewer/service-validation-handler.ts` does with io-ts'
 * `readableReport`; then a duplicate name among the organisation's published copies), then applies the first
 * matching rule or the default mode: `approve` / `reject` after `reviewDelayMs`, or `manual` (stays
 * `submitted` until an admin decides). A person's rejection carries the reviewer's last comment as its reason
 * (`src/reviewer/review-checker-handler.ts`: the Jira issue's last comment). After an approval the published
 * copy is written by the publication queue `publicationDelayMs` later. Decisions and copies fall due lazily
 * (on the next request), so no timer is needed and a restart keeps pending reviews.
 */

/**
 * The sandbox starts every automatic rejection with PagoPA's words for a refusal, then the technical report
 * (the product shows the reason to staff and matches this prefix).
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

/** One line of io-ts' `readableReport` (the format of PagoPA's automatic rejections). */
const reportLine = (value: unknown, path: string, type: string): string =>
  `value [${JSON.stringify(value)}] at [root.${path}] is not a valid [${type}]`;

/** The technical validation report of a card (one line per failing field), or undefined when valid. */
export function validationReport(s: StoredService, opts: { requireLogo?: boolean } = {}): string | undefined {
  const m = s.data.metadata;
  const lines: string[] = [];
  if (!m.privacy_url) lines.push(reportLine(m.privacy_url, 'data.metadata.privacy_url', 'NonEmptyString'));
  else if (!isHttpUrl(m.privacy_url))
    lines.push(reportLine(m.privacy_url, 'data.metadata.privacy_url', 'HttpOrHttpsUrlString'));
  if (!m.phone && !m.email && !m.pec && !m.support_url)
    lines.push(
      reportLine(undefined, 'data.metadata', 'almeno un contatto tra phone, email, pec, support_url'),
    );
  if (isAllCaps(s.data.name))
    lines.push(reportLine(s.data.name, 'data.name', 'nome non scritto in maiuscolo (solo iniziali e sigle)'));
  if (opts.requireLogo && !s.logo) lines.push(reportLine(undefined, 'data.logo', 'logo PNG'));
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * A service of the same organisation with the same name (case-insensitive) among the published copies
 * whose lifecycle is not deleted: PagoPA queries the publication container only, so drafts and services
 * never approved do not count (`service-validation-handler.ts`, `getDuplicatesOnServicePublication`).
 */
export function publishedDuplicate(
  s: StoredService,
  all: Iterable<StoredService>,
): StoredService | undefined {
  const name = s.data.name.toLocaleLowerCase('it');
  for (const other of all) {
    if (
      other.id !== s.id &&
      other.publication &&
      other.status.value !== 'deleted' &&
      other.publication.data.organization.fiscal_code === s.data.organization.fiscal_code &&
      other.publication.data.name.trim().toLocaleLowerCase('it') === name
    ) {
      return other;
    }
  }
  return undefined;
}

/** The automatic checks: the rejection reason (with the sandbox's prefix) when refused, else undefined. */
export function automaticChecks(
  s: StoredService,
  all: Iterable<StoredService>,
  opts: { requireLogo?: boolean } = {},
): string | undefined {
  const report = validationReport(s, opts);
  if (report) return `${REJECTION_PREFIX}${report}`;
  const duplicate = publishedDuplicate(s, all);
  if (duplicate) {
    return (
      `${REJECTION_PREFIX}Il servizio '${s.data.name}' ha lo stesso nome di un altro servizio con ID ` +
      `'${duplicate.id}': non è possibile procedere con l'approvazione di un duplicato.`
    );
  }
  return undefined;
}

/** The decision taken on a submitted service and when it falls due (epoch ms); undefined when none is waiting. */
function pendingDecision(s: StoredService) {
  const r = s.review;
  return s.status.value === 'submitted' && r?.outcome && r.due_at
    ? { outcome: r.outcome, reason: r.reason, dueMs: Date.parse(r.due_at) }
    : undefined;
}

export class Reviewer {
  private options: ReviewerOptions = {};
  /**
   * No decision falls due in this state before `atMs`: `settleDue`, called before every request, looks at every
   * service only when one does (it did at every request, thousands of services at national scale).
   */
  private nextDue: { state: SandboxState; atMs: number } | undefined;

  constructor(
    options: ReviewerOptions | undefined,
    private readonly logger?: Logger,
    /** How long after an approval the publication queue writes the published copy. Default 0. */
    private readonly publicationDelayMs = 0,
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
    this.dueAt(s.review.due_at);
    if (outcome === 'reject')
      s.review.reason = rule?.reason ?? this.options.rejectReason ?? DEFAULT_REJECT_REASON;
    if (delay === 0) this.settle(s, now);
  }

  /** Applies every decision, then every published copy, that has fallen due. Returns whether anything changed. */
  settleDue(state: SandboxState, now: Date): boolean {
    if (this.nextDue?.state === state && now.getTime() < this.nextDue.atMs) return false;
    let changed = false;
    let nextMs = Number.POSITIVE_INFINITY;
    for (const s of Object.values(state.services)) {
      changed = this.settle(s, now) || changed;
      changed = this.settleRelease(s, now) || changed;
      nextMs = Math.min(nextMs, pendingDecision(s)?.dueMs ?? nextMs);
      if (s.pendingRelease) nextMs = Math.min(nextMs, Date.parse(s.pendingRelease.due_at));
    }
    this.nextDue = { state, atMs: nextMs };
    return changed;
  }

  /** A decision now falls due at `dueAt` (ISO): the next `settleDue` after it looks at every service. */
  private dueAt(dueAt: string): void {
    if (this.nextDue) this.nextDue.atMs = Math.min(this.nextDue.atMs, Date.parse(dueAt));
  }

  private settleRelease(s: StoredService, now: Date): boolean {
    const r = s.pendingRelease;
    if (!r || Date.parse(r.due_at) > now.getTime()) return false;
    releaseCopy(s, r, now);
    return true;
  }

  private settle(s: StoredService, now: Date): boolean {
    const decision = pendingDecision(s);
    if (!decision || decision.dueMs > now.getTime()) return false;
    this.apply(s, decision.outcome, decision.reason, now);
    return true;
  }

  /**
   * A decision (admin or automatic): approve (the publication queue then writes the copy of this version,
   * published when the review asked for `auto_publish`), reject with a reason, or abort.
   */
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
    if (decision === 'approve') {
      const release = { version: s.version, data: s.data, auto_publish: autoPublish };
      if (this.publicationDelayMs <= 0) releaseCopy(s, release, now);
      else {
        const due_at = new Date(now.getTime() + this.publicationDelayMs).toISOString();
        s.pendingRelease = { ...release, due_at };
        this.dueAt(due_at);
      }
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
