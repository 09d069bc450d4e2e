import { createLogger, type Logger } from '../../common/logger';
import {
  createHttpClient,
  HttpNonRetryableError,
  parseRequestBody,
  urlPath,
  type HttpClient,
  type RetryPolicy,
} from '../http';
import {
  authResponseSchema,
  patchServiceRequestSchema,
  portalServiceListSchema,
  portalServiceSchema,
  type IoServiceParameters,
  type PortalCredentials,
  type PortalService,
} from './schemas';

export interface PortalClient {
  /** Services of the tenant matching the portal's `identifier` or `slug`. */
  findServices(tenant: string, query: { identifier?: string; slug?: string }): Promise<PortalService[]>;
  getService(tenant: string, serviceId: string): Promise<PortalService>;
  /** Writes the IO service id and keys on the portal's service. Returns the service without keys. */
  setIoServiceParameters(
    tenant: string,
    serviceId: string,
    params: IoServiceParameters,
  ): Promise<PortalService>;
}

export interface PortalClientOptions {
  /** e.g. `https://servizi.comune.example.it` (the tenant is the first path segment). */
  baseUrl: string;
  /** The partner's account on the tenant's portal: fixed, or looked up per tenant. Never logged. */
  credentials: PortalCredentials | ((tenant: string) => PortalCredentials | Promise<PortalCredentials>);
  /** Used when the token's `exp` cannot be read. Default 10 minutes. */
  defaultTokenTtlMs?: number;
  /** Renew this long before `exp`. Default 30 s. */
  tokenRefreshSkewMs?: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  now?: () => number;
  http?: HttpClient;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Reads `exp` (seconds) from a JWT-shaped token without verifying it. */
export function readTokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class HttpPortalClient implements PortalClient {
  private readonly http: HttpClient;
  private readonly logger: Logger;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(private readonly options: PortalClientOptions) {
    this.logger = options.logger ?? createLogger('portal-client');
    this.now = options.now ?? Date.now;
    this.http =
      options.http ??
      createHttpClient({
        baseUrl: options.baseUrl,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        logger: this.logger,
      });
  }

  async findServices(
    tenant: string,
    query: { identifier?: string; slug?: string },
  ): Promise<PortalService[]> {
    return this.withAuth(tenant, (auth) =>
      this.http.request({
        method: 'GET',
        path: urlPath`/${tenant}/api/services`,
        query: { identifier: query.identifier, slug: query.slug },
        headers: auth,
        schema: portalServiceListSchema,
      }),
    );
  }

  async getService(tenant: string, serviceId: string): Promise<PortalService> {
    return this.withAuth(tenant, (auth) =>
      this.http.request({
        method: 'GET',
        path: urlPath`/${tenant}/api/services/${serviceId}`,
        headers: auth,
        schema: portalServiceSchema,
      }),
    );
  }

  async setIoServiceParameters(
    tenant: string,
    serviceId: string,
    params: IoServiceParameters,
  ): Promise<PortalService> {
    const path = urlPath`/${tenant}/api/services/${serviceId}`;
    const body = parseRequestBody(
      patchServiceRequestSchema,
      { io_service_parameters: params },
      {
        method: 'PATCH',
        path,
      },
    );
    return this.withAuth(tenant, (auth) =>
      // Writing the same values twice is harmless: retry like a PUT.
      this.http.request({
        method: 'PATCH',
        path,
        headers: auth,
        body,
        schema: portalServiceSchema,
        idempotent: true,
      }),
    );
  }

  /** Runs `call` with a bearer token; on 401 renews the token once and tries again. */
  private async withAuth<T>(
    tenant: string,
    call: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    const first = await this.token(tenant);
    try {
      return await call({ authorization: `Bearer ${first.token}` });
    } catch (err) {
      if (!(err instanceof HttpNonRetryableError && err.status === 401)) throw err;
      this.logger.info({ tenant }, 'portal token refused, authenticating again');
      if (this.tokens.get(tenant) === first) this.tokens.delete(tenant);
      const renewed = await this.token(tenant);
      return call({ authorization: `Bearer ${renewed.token}` });
    }
  }

  /** The cached token while valid; otherwise one authentication shared by concurrent callers. */
  private async token(tenant: string): Promise<CachedToken> {
    const cached = this.tokens.get(tenant);
    if (cached && this.now() < cached.expiresAt) return cached;
    let pending = this.inflight.get(tenant);
    if (!pending) {
      pending = this.authenticate(tenant)
        .then((t) => {
          this.tokens.set(tenant, t);
          return t;
        })
        .finally(() => this.inflight.delete(tenant));
      this.inflight.set(tenant, pending);
    }
    return pending;
  }

  private async authenticate(tenant: string): Promise<CachedToken> {
    const c = this.options.credentials;
    const credentials = typeof c === 'function' ? await c(tenant) : c;
    const { token } = await this.http.request({
      method: 'POST',
      path: urlPath`/${tenant}/api/auth`,
      body: { username: credentials.username, password: credentials.password },
      schema: authResponseSchema,
      idempotent: true,
    });
    const skew = this.options.tokenRefreshSkewMs ?? 30_000;
    const exp = readTokenExpiry(token) ?? this.now() + (this.options.defaultTokenTtlMs ?? 600_000);
    this.logger.debug({ tenant }, 'portal token obtained');
    return { token, expiresAt: exp - skew };
  }
}

export function createPortalClient(options: PortalClientOptions): PortalClient {
  return new HttpPortalClient(options);
}
