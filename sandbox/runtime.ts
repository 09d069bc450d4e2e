import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createLogger, type Logger } from '../common/logger';
import { onboardingSchema, type Institution } from '../integrations/selfcare/schemas';
import { Faults, type FaultOptions } from './faults';
import { PortalTokens } from './auth';
import { institutionSubscription, issueInstitutionSubscription, isOnboardedOnIo } from './manage-keys';
import { Reviewer, type ReviewerOptions } from './reviewer';
import { releaseCopy } from './service-ops';
import { StateStore, type StoredService } from './state-store';

/**
 * A legacy partner key (transitional, see `legacyPartnerKeys`), bound to one organization's fiscal code or
 * to `any`.
 */
export interface ManageKeyBinding {
  key: string;
  organizationFiscalCode: string | 'any';
}

/** PagoPA's gateway: at most 10 service creations at once across all users (`limit-concurrency`). */
export const MAX_CONCURRENT_CREATIONS = 10;
/** Default time a service creation takes (holds one of the concurrent creation slots). */
export const DEFAULT_CREATE_LATENCY_MS = 2;
/** Read by `startSandbox` when `publicationDelayMs` is not given (the embedded demo). */
export const PUBLICATION_DELAY_ENV = 'SANDBOX_PUBLICATION_DELAY_MS';

/** A portal account; `tenant: '*'` accepts every tenant. */
export interface PortalCredential {
  tenant: string;
  username: string;
  password: string;
}

export const institutionSeedSchema = z.object({
  description: z.string().min(1),
  id: z.string().min(1).optional(),
  /** Selfcare requires `origin` and `originId`: default `IPA` and the tax code (a Comune's is its IPA code). */
  origin: z.string().min(1).optional(),
  originId: z.string().optional(),
  digitalAddress: z.string().optional(),
  institutionType: z.string().optional(),
  onboarding: z.array(onboardingSchema).default([]),
});
export type InstitutionSeed = z.input<typeof institutionSeedSchema>;

export interface SandboxOptions {
  /**
   * TRANSITIONAL MODE, NOT PAGOPA: partner-wide manage keys accepted for every Comune, as the product used
   * before each Comune's own manage key was recorded (`IO_MANAGE_API_KEY`). Real PagoPA has no such key: a
   * manage key belongs to one institution (see `GET /__admin/institutions/{fiscalCode}/manage-keys`).
   * Absent or empty: only institutions' keys are accepted. Requests made with a legacy key keep the
   * pre-issue-11 behaviour where the product still depends on it (the list in `sandbox/README.md`):
   * services seen by organisation fiscal code (`any`: all), `GET /services` counting every service the key
   * sees, `POST /release` on a never-approved service 409, history without the queue's copies.
   */
  legacyPartnerKeys?: ManageKeyBinding[];
  /** The former name of `legacyPartnerKeys` (same meaning, same transitional mode). */
  manageKeys?: ManageKeyBinding[];
  /**
   * Use the first `X-Forwarded-For` address as the caller's address for the manage keys' and services'
   * authorised CIDRs. For tests only; default false (the socket's remote address).
   */
  trustForwardedFor?: boolean;
  /**
   * How long after an approval PagoPA's publication queue writes the published copy (until then
   * `POST /release` answers 404). Default 0; `startSandbox` reads `SANDBOX_PUBLICATION_DELAY_MS` when unset.
   */
  publicationDelayMs?: number;
  /** How long a service creation takes (it holds a concurrent creation slot meanwhile). Default 2 ms. */
  createLatencyMs?: number;
  /** Concurrent service creations before 429 (PagoPA's gateway: 10). */
  maxConcurrentCreations?: number;
  selfcareKey: string;
  portalCredentials: PortalCredential[];
  /** Protects `/__admin`; without it the admin endpoints answer 403. */
  adminToken?: string;
  reviewer?: ReviewerOptions;
  faults?: FaultOptions;
  portal?: {
    /** A lookup by identifier/slug with no match creates the service. Default false. */
    autoCreateServices?: boolean;
    /** Lifetime of portal tokens. Default 1 h. */
    tokenTtlMs?: number;
  };
  /** Selfcare institutions by tax code, added at start when not already in the state. */
  institutions?: Record<string, InstitutionSeed>;
  /** Refuse messages from IPs outside the service's `authorized_cidrs` (when set). Default false. */
  enforceCidrs?: boolean;
  logger?: Logger;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Everything the routes share: state, reviewer, faults, tokens, clock. */
export class SandboxRuntime {
  readonly reviewer: Reviewer;
  readonly faults: Faults;
  readonly portalTokens: PortalTokens;
  readonly logger: Logger;
  /** The legacy partner keys (`legacyPartnerKeys`, or its former name `manageKeys`). */
  readonly legacyPartnerKeys: readonly ManageKeyBinding[];
  /** Service creations being processed now (PagoPA's gateway concurrency limit). */
  creationsInFlight = 0;

  constructor(
    readonly options: SandboxOptions,
    readonly store: StateStore,
  ) {
    this.logger = options.logger ?? createLogger('sandbox');
    this.legacyPartnerKeys = [...(options.legacyPartnerKeys ?? []), ...(options.manageKeys ?? [])];
    if (this.legacyPartnerKeys.length > 0) {
      this.logger.info(
        { legacyPartnerKeys: this.legacyPartnerKeys.length },
        'sandbox accepts legacy partner manage keys (transitional mode, not PagoPA)',
      );
    }
    this.reviewer = new Reviewer(options.reviewer, this.logger, options.publicationDelayMs ?? 0);
    this.faults = new Faults(
      options.faults,
      (kind) => {
        this.store.state.counters[kind]++;
        this.store.changed();
      },
      () => this.now().getTime(),
    );
    this.portalTokens = new PortalTokens(() => this.now().getTime());
    for (const [taxCode, seed] of Object.entries(options.institutions ?? {})) {
      if (!this.store.state.institutions[taxCode]) this.upsertInstitution(taxCode, seed);
    }
    this.migrate();
  }

  /**
   * State saved before issue 11: onboarded institutions get their manage subscription, approved services
   * their published copy (it was written only by `POST /release` then), deleted services lose theirs.
   */
  private migrate(): void {
    const now = this.now();
    let changed = false;
    for (const institution of Object.values(this.state.institutions)) {
      const fiscalCode = institution.taxCode ?? institution.externalId ?? institution.id;
      if (isOnboardedOnIo(institution) && !institutionSubscription(this.state, fiscalCode)) {
        issueInstitutionSubscription(this.state, institution, now);
        changed = true;
      }
    }
    for (const s of Object.values(this.state.services)) {
      if (s.status.value === 'approved' && !s.publication && !s.pendingRelease) {
        releaseCopy(s, { version: s.version, data: s.data, auto_publish: false }, now);
        changed = true;
      } else if (s.status.value === 'deleted' && (s.publication || s.pendingRelease)) {
        s.publication = undefined;
        s.pendingRelease = undefined;
        changed = true;
      }
    }
    if (changed) this.store.changed();
  }

  get state() {
    return this.store.state;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Applies reviewer decisions that fell due. Called before every request. */
  settle(): void {
    if (this.reviewer.settleDue(this.state, this.now())) this.store.changed();
  }

  count(route: string): void {
    const c = this.state.counters.requests;
    c[route] = (c[route] ?? 0) + 1;
    this.store.changed();
  }

  service(id: string): StoredService | undefined {
    return this.state.services[id];
  }

  upsertInstitution(taxCode: string, seed: InstitutionSeed): Institution {
    const s = institutionSeedSchema.parse(seed);
    const previous = this.state.institutions[taxCode];
    const at = this.now().toISOString();
    const institution: Institution = {
      id: s.id ?? previous?.id ?? randomUUID(),
      externalId: taxCode,
      origin: s.origin ?? previous?.origin ?? 'IPA',
      originId: s.originId ?? previous?.originId ?? taxCode,
      description: s.description,
      taxCode,
      digitalAddress: s.digitalAddress,
      institutionType: s.institutionType ?? 'PA',
      onboarding: s.onboarding.map((o) => ({ createdAt: at, updatedAt: at, ...o })),
    };
    this.state.institutions[taxCode] = institution;
    // Onboarded on prod-io: the institution gets its IO back office account and manage subscription.
    if (isOnboardedOnIo(institution)) issueInstitutionSubscription(this.state, institution, this.now());
    this.store.changed();
    return institution;
  }

  /** Admin or test decision on a submitted service. */
  decideReview(id: string, decision: 'approve' | 'reject' | 'abort', reason?: string): string | undefined {
    const s = this.service(id);
    if (!s) return 'not found';
    const error = this.reviewer.apply(s, decision, reason, this.now());
    if (!error) this.store.changed();
    return error;
  }

  setFaults(faults: FaultOptions): void {
    this.faults.set(faults);
  }

  setReviewer(reviewer: ReviewerOptions): void {
    this.reviewer.configure(reviewer);
  }

  /** Empties the state (services, manage keys, institutions, portal, messages, counters); seeds come back. */
  reset(): void {
    this.store.reset();
    for (const [taxCode, seed] of Object.entries(this.options.institutions ?? {})) {
      this.upsertInstitution(taxCode, seed);
    }
  }
}
