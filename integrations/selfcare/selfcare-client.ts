import { createLogger, type Logger } from '../../common/logger';
import { createHttpClient, HttpNonRetryableError, type HttpClient, type RetryPolicy } from '../http';
import {
  institutionsResponseSchema,
  IO_PRODUCT_ID,
  type Institution,
  type OnboardingStatus,
} from './schemas';

export const SELFCARE_INSTITUTIONS_PATH = '/external/v2/institutions';

export interface IoOnboardingStatus {
  /** ACTIVE on `prod-io`: scenario B (add an administrator). Otherwise scenario A (full onboarding). */
  adherent: boolean;
  /** Whether Selfcare knows the institution at all. */
  found: boolean;
  /** The `prod-io` onboarding status, when there is one. */
  status?: OnboardingStatus;
  institutionId?: string;
}

export interface SelfcareClient {
  /** Institutions with this tax code (the main one first, then sub-units); `[]` when Selfcare answers 404. */
  getInstitutionsByTaxCode(taxCode: string, opts?: { signal?: AbortSignal }): Promise<Institution[]>;
  getIoOnboardingStatus(taxCode: string, opts?: { signal?: AbortSignal }): Promise<IoOnboardingStatus>;
}

export interface SelfcareClientOptions {
  /** e.g. `https://api.selfcare.pagopa.it`. */
  baseUrl: string;
  /** Selfcare subscription key (header `Ocp-Apim-Subscription-Key`). Never logged. */
  subscriptionKey: string;
  productId?: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  http?: HttpClient;
  /** Test seam: the fetch the HTTP client calls (e.g. a recorder for the conformance tests). */
  fetch?: typeof fetch;
}

/** Status precedence when an institution lists the product more than once (history of onboardings). */
const STATUS_RANK: Record<OnboardingStatus, number> = {
  ACTIVE: 0,
  SUSPENDED: 1,
  PENDING: 2,
  TOBEVALIDATED: 3,
  REJECTED: 4,
  DELETED: 5,
};

export class HttpSelfcareClient implements SelfcareClient {
  private readonly http: HttpClient;
  private readonly productId: string;

  constructor(options: SelfcareClientOptions) {
    this.productId = options.productId ?? IO_PRODUCT_ID;
    this.http =
      options.http ??
      createHttpClient({
        baseUrl: options.baseUrl,
        defaultHeaders: { 'Ocp-Apim-Subscription-Key': options.subscriptionKey },
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        logger: options.logger ?? createLogger('selfcare-client'),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
  }

  async getInstitutionsByTaxCode(taxCode: string, opts?: { signal?: AbortSignal }): Promise<Institution[]> {
    try {
      const res = await this.http.request({
        method: 'GET',
        path: SELFCARE_INSTITUTIONS_PATH,
        query: { taxCode },
        schema: institutionsResponseSchema,
        ...opts,
      });
      // The institution itself (no sub-unit code) before its AOO/UO.
      return [...res.institutions].sort((a, b) => Number(!!a.subunitCode) - Number(!!b.subunitCode));
    } catch (err) {
      if (err instanceof HttpNonRetryableError && err.status === 404) return [];
      throw err;
    }
  }

  async getIoOnboardingStatus(taxCode: string, opts?: { signal?: AbortSignal }): Promise<IoOnboardingStatus> {
    const institutions = await this.getInstitutionsByTaxCode(taxCode, opts);
    const institution = institutions[0];
    if (!institution) return { adherent: false, found: false };
    const statuses = institution.onboarding
      .filter((o) => o.productId === this.productId)
      .map((o) => o.status)
      .filter((s): s is OnboardingStatus => s !== undefined)
      .sort((a, b) => STATUS_RANK[a] - STATUS_RANK[b]);
    const status = statuses[0];
    return { adherent: status === 'ACTIVE', found: true, status, institutionId: institution.id };
  }
}

export function createSelfcareClient(options: SelfcareClientOptions): SelfcareClient {
  return new HttpSelfcareClient(options);
}
