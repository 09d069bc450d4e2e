import { createLogger, type Logger } from '../../common/logger';
import {
  createHttpClient,
  emptyBody,
  HttpNonRetryableError,
  parseRequestBody,
  urlPath,
  type HttpClient,
  type RetryPolicy,
} from '../http';
import {
  keyTypeSchema,
  reviewRequestSchema,
  serviceHistorySchema,
  serviceKeysSchema,
  servicePageSchema,
  sentServicePayloadSchema,
  servicePublicationSchema,
  serviceSchema,
  type KeyType,
  type ReviewRequest,
  type Service,
  type ServiceHistory,
  type ServiceKeys,
  type ServicePage,
  type ServicePayload,
  type ServicePublication,
  type ServiceStatus,
} from './schemas';
import { ConcurrencyLimiter, processCreationLimiter } from './creation-limiter';

export const MANAGE_BASE_PATH = '/api/v1/manage';
/** PagoPA's maximum page size for `GET /services`. */
export const MAX_PAGE_SIZE = 100;

export interface ListServicesParams {
  limit?: number;
  offset?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The IO manage API (io-services-cms) as the activity layer sees it. */
export interface IoManageClient {
  createService(body: ServicePayload, opts?: CallOptions): Promise<Service>;
  getService(id: string, opts?: CallOptions): Promise<Service>;
  updateService(id: string, body: ServicePayload, opts?: CallOptions): Promise<Service>;
  listServices(params?: ListServicesParams, opts?: CallOptions): Promise<ServicePage>;
  deleteService(id: string, opts?: CallOptions): Promise<void>;
  /** `base64Png`: the PNG file in base64 (no `data:` prefix). */
  uploadLogo(id: string, base64Png: string, opts?: CallOptions): Promise<void>;
  getKeys(id: string, opts?: CallOptions): Promise<ServiceKeys>;
  regenerateKey(id: string, keyType: KeyType, opts?: CallOptions): Promise<ServiceKeys>;
  submitForReview(id: string, request: ReviewRequest, opts?: CallOptions): Promise<void>;
  /** The lifecycle status `{value, reason}`: review is learned by polling this. */
  getReviewStatus(id: string, opts?: CallOptions): Promise<ServiceStatus>;
  /** `POST /release`: publish the approved version in the app. */
  publish(id: string, opts?: CallOptions): Promise<void>;
  /** `GET /release`: the published version, or `null` when there is none (404). */
  getRelease(id: string, opts?: CallOptions): Promise<ServicePublication | null>;
  /** `DELETE /release`. */
  unpublish(id: string, opts?: CallOptions): Promise<void>;
  getHistory(
    id: string,
    params?: { limit?: number; order?: 'ASC' | 'DESC' },
    opts?: CallOptions,
  ): Promise<ServiceHistory>;
  /**
   * The non-deleted service of this organization with this name (case-insensitive, trimmed), paging
   * through `listServices` until an empty page. Makes "create service" idempotent: look up before creating.
   */
  findServiceByName(
    organizationFiscalCode: string,
    name: string,
    opts?: CallOptions,
  ): Promise<Service | null>;
}

export interface IoManageClientOptions {
  /** The API host, e.g. `https://api.io.pagopa.it` (the base path is added). */
  baseUrl: string;
  /** The partner's manage subscription key. Never logged. */
  manageKey: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Page size used by `findServiceByName`. Default 100. */
  pageSize?: number;
  /** Safety stop for `findServiceByName`. Default 50 pages. */
  maxPages?: number;
  /**
   * Bounds the `POST /services` calls in flight. Default: the process-wide limiter (`IO_MAX_CONCURRENT_CREATIONS`),
   * shared by every client of the process.
   */
  creationLimiter?: ConcurrencyLimiter;
  http?: HttpClient;
  /** Test seam: the fetch the HTTP client calls (e.g. a recorder for the conformance tests). */
  fetch?: typeof fetch;
}

export const normaliseServiceName = (name: string): string => name.trim().replace(/\s+/g, ' ').toLowerCase();

export class HttpIoManageClient implements IoManageClient {
  private readonly http: HttpClient;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly creationLimiter: ConcurrencyLimiter;

  constructor(options: IoManageClientOptions) {
    const logger = options.logger ?? createLogger('io-manage-client');
    this.http =
      options.http ??
      createHttpClient({
        baseUrl: `${options.baseUrl.replace(/\/+$/, '')}${MANAGE_BASE_PATH}`,
        defaultHeaders: { 'Ocp-Apim-Subscription-Key': options.manageKey },
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        logger,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
    this.pageSize = Math.min(MAX_PAGE_SIZE, options.pageSize ?? MAX_PAGE_SIZE);
    this.maxPages = options.maxPages ?? 50;
    this.creationLimiter = options.creationLimiter ?? processCreationLimiter();
  }

  /**
   * Throttled by the creation limiter: PagoPA's gateway accepts at most 10 concurrent creations across all its
   * users. Waiting too long for a slot throws `LimiterWaitTimeout` (nothing was sent). A 429 stays retryable and
   * honours `Retry-After` (integrations/http), holding the slot while the client waits.
   */
  async createService(body: ServicePayload, opts?: CallOptions): Promise<Service> {
    const payload = parseRequestBody(sentServicePayloadSchema, body, { method: 'POST', path: '/services' });
    return this.creationLimiter.run(
      () =>
        this.http.request({
          method: 'POST',
          path: '/services',
          body: payload,
          schema: serviceSchema,
          ...opts,
        }),
      { signal: opts?.signal },
    );
  }

  async getService(id: string, opts?: CallOptions): Promise<Service> {
    return this.http.request({
      method: 'GET',
      path: urlPath`/services/${id}`,
      schema: serviceSchema,
      ...opts,
    });
  }

  async updateService(id: string, body: ServicePayload, opts?: CallOptions): Promise<Service> {
    const path = urlPath`/services/${id}`;
    const payload = parseRequestBody(sentServicePayloadSchema, body, { method: 'PUT', path });
    return this.http.request({ method: 'PUT', path, body: payload, schema: serviceSchema, ...opts });
  }

  async listServices(params: ListServicesParams = {}, opts?: CallOptions): Promise<ServicePage> {
    return this.http.request({
      method: 'GET',
      path: '/services',
      query: { limit: params.limit, offset: params.offset },
      schema: servicePageSchema,
      ...opts,
    });
  }

  async deleteService(id: string, opts?: CallOptions): Promise<void> {
    return this.http.request({
      method: 'DELETE',
      path: urlPath`/services/${id}`,
      schema: emptyBody,
      ...opts,
    });
  }

  async uploadLogo(id: string, base64Png: string, opts?: CallOptions): Promise<void> {
    return this.http.request({
      method: 'PUT',
      path: urlPath`/services/${id}/logo`,
      body: { logo: base64Png },
      schema: emptyBody,
      ...opts,
    });
  }

  async getKeys(id: string, opts?: CallOptions): Promise<ServiceKeys> {
    return this.http.request({
      method: 'GET',
      path: urlPath`/services/${id}/keys`,
      schema: serviceKeysSchema,
      ...opts,
    });
  }

  async regenerateKey(id: string, keyType: KeyType, opts?: CallOptions): Promise<ServiceKeys> {
    const type = parseRequestBody(keyTypeSchema, keyType, {
      method: 'PUT',
      path: urlPath`/services/${id}/keys/{keyType}`,
    });
    return this.http.request({
      method: 'PUT',
      path: urlPath`/services/${id}/keys/${type}`,
      schema: serviceKeysSchema,
      ...opts,
    });
  }

  async submitForReview(id: string, request: ReviewRequest, opts?: CallOptions): Promise<void> {
    const path = urlPath`/services/${id}/review`;
    const body = parseRequestBody(reviewRequestSchema, request, { method: 'PUT', path });
    return this.http.request({ method: 'PUT', path, body, schema: emptyBody, ...opts });
  }

  async getReviewStatus(id: string, opts?: CallOptions): Promise<ServiceStatus> {
    return (await this.getService(id, opts)).status;
  }

  async publish(id: string, opts?: CallOptions): Promise<void> {
    // Publishing twice leaves the service published: safe to retry.
    return this.http.request({
      method: 'POST',
      path: urlPath`/services/${id}/release`,
      schema: emptyBody,
      idempotent: true,
      ...opts,
    });
  }

  async getRelease(id: string, opts?: CallOptions): Promise<ServicePublication | null> {
    try {
      return await this.http.request({
        method: 'GET',
        path: urlPath`/services/${id}/release`,
        schema: servicePublicationSchema,
        ...opts,
      });
    } catch (err) {
      if (err instanceof HttpNonRetryableError && err.status === 404) return null;
      throw err;
    }
  }

  async unpublish(id: string, opts?: CallOptions): Promise<void> {
    return this.http.request({
      method: 'DELETE',
      path: urlPath`/services/${id}/release`,
      schema: emptyBody,
      ...opts,
    });
  }

  async getHistory(
    id: string,
    params: { limit?: number; order?: 'ASC' | 'DESC' } = {},
    opts?: CallOptions,
  ): Promise<ServiceHistory> {
    return this.http.request({
      method: 'GET',
      path: urlPath`/services/${id}/history`,
      query: { limit: params.limit, order: params.order },
      schema: serviceHistorySchema,
      ...opts,
    });
  }

  async findServiceByName(
    organizationFiscalCode: string,
    name: string,
    opts?: CallOptions,
  ): Promise<Service | null> {
    const wanted = normaliseServiceName(name);
    // PagoPA cuts each page over the account's subscriptions, then drops those without a service (the MANAGE
    // subscription itself): a page may hold fewer than `limit` items while more follow, and `pagination.count` is
    // the size of this page, not a total. So the offset moves by the limit asked for, and only an empty page ends
    // the search. Deleted services stay listed: they never match.
    for (let page = 0, offset = 0; page < this.maxPages; page++, offset += this.pageSize) {
      const result = await this.listServices({ limit: this.pageSize, offset }, opts);
      if (result.value.length === 0) return null;
      const found = result.value.find(
        (s) =>
          s.status.value !== 'deleted' &&
          s.organization.fiscal_code === organizationFiscalCode &&
          normaliseServiceName(s.name) === wanted,
      );
      if (found) return found;
    }
    throw new Error(`findServiceByName: more than ${this.maxPages} pages of services, search stopped`);
  }
}

export function createIoManageClient(options: IoManageClientOptions): IoManageClient {
  return new HttpIoManageClient(options);
}
