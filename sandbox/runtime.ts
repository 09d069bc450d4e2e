import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createLogger, type Logger } from '../common/logger';
import { onboardingSchema, type Institution } from '../integrations/selfcare/schemas';
import { Faults, type FaultOptions } from './faults';
import { PortalTokens } from './auth';
import { Reviewer, type ReviewerOptions } from './reviewer';
import { StateStore, type StoredService } from './state-store';

/** A partner manage key, bound to one organization's fiscal code or to `any`. */
export interface ManageKeyBinding {
  key: string;
  organizationFiscalCode: string | 'any';
}

/** A portal account; `tenant: '*'` accepts every tenant. */
export interface PortalCredential {
  tenant: string;
  username: string;
  password: string;
}

export const institutionSeedSchema = z.object({
  description: z.string().min(1),
  id: z.string().min(1).optional(),
  originId: z.string().optional(),
  digitalAddress: z.string().optional(),
  institutionType: z.string().optional(),
  onboarding: z.array(onboardingSchema).default([]),
});
export type InstitutionSeed = z.input<typeof institutionSeedSchema>;

export interface SandboxOptions {
  manageKeys: ManageKeyBinding[];
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

  constructor(
    readonly options: SandboxOptions,
    readonly store: StateStore,
  ) {
    this.logger = options.logger ?? createLogger('sandbox');
    this.reviewer = new Reviewer(options.reviewer, this.logger);
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
      originId: s.originId ?? previous?.originId,
      description: s.description,
      taxCode,
      digitalAddress: s.digitalAddress,
      institutionType: s.institutionType ?? 'PA',
      onboarding: s.onboarding.map((o) => ({ createdAt: at, updatedAt: at, ...o })),
    };
    this.state.institutions[taxCode] = institution;
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

  /** Empties the state (services, institutions, portal, messages, counters); seeds come back. */
  reset(): void {
    this.store.reset();
    for (const [taxCode, seed] of Object.entries(this.options.institutions ?? {})) {
      this.upsertInstitution(taxCode, seed);
    }
  }
}
