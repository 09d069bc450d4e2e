import { z } from 'zod';
import { createLogger, type Logger } from '../../common/logger';
import {
  describeIssues,
  errorForStatus,
  HttpNonRetryableError,
  HttpRetryableError,
  parseRetryAfter,
  problemSchema,
  type HttpError,
  type Problem,
} from './errors';
import { computeRetryDelay, mayRetry, resolveRetryPolicy, sleep, type RetryPolicy } from './retry';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface HttpClientOptions {
  /** Base URL including any base path, e.g. `https://api.io.pagopa.it/api/v1/manage`. */
  baseUrl: string;
  /** Sent with every request (e.g. the subscription key). Never logged. */
  defaultHeaders?: Record<string, string>;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Test seams. */
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface HttpRequest<S extends z.ZodType> {
  method: HttpMethod;
  /** Appended to the base URL; build it with {@link urlPath} so segments are encoded. */
  path: string;
  /** What logs and errors show instead of `path` (e.g. `/profiles/{fiscal_code}` to keep personal data out). */
  logPath?: string;
  query?: Record<string, QueryValue>;
  /** Per-call headers (e.g. a per-service key). Never logged. */
  headers?: Record<string, string>;
  /** Serialised as JSON when present. */
  body?: unknown;
  /** Validates the 2xx body; use {@link emptyBody} for 204 answers. */
  schema: S;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Whether repeating the request is harmless. Default: true for GET/PUT/DELETE, false for POST/PATCH.
   * Non-idempotent requests are retried in-client only on 429.
   */
  idempotent?: boolean;
  /** Cancels the request and any pending retry (e.g. Temporal activity cancellation). */
  signal?: AbortSignal;
}

export interface HttpClient {
  request<S extends z.ZodType>(req: HttpRequest<S>): Promise<z.output<S>>;
}

/** For endpoints answering 204 (or whose body is ignored). */
export const emptyBody = z.unknown().transform((): void => undefined);

/** Tagged template that percent-encodes every interpolated segment: urlPath`/services/${id}`. */
export function urlPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (acc, s, i) => acc + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  );
}

function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): string {
  const url = `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.append(k, String(v));
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function parseProblem(text: string): Problem | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const problem = problemSchema.safeParse(parsed.value);
  if (!problem.success) return undefined;
  const p = problem.data;
  return p.title || p.detail || p.type ? p : undefined;
}

function networkSummary(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ? `network error (${code})` : 'network error';
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const logger = options.logger ?? createLogger('http');
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  const defaultTimeout = options.timeoutMs ?? 10_000;

  async function attempt<S extends z.ZodType>(
    req: HttpRequest<S>,
    logPath: string,
    attemptNo: number,
  ): Promise<z.output<S>> {
    const ctx = { method: req.method, path: logPath, attempts: attemptNo };
    const timeout = AbortSignal.timeout(req.timeoutMs ?? defaultTimeout);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    Object.assign(headers, options.defaultHeaders, req.headers);
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const started = Date.now();
    let status: number | undefined;
    try {
      const res = await doFetch(buildUrl(options.baseUrl, req.path, req.query), {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal,
        redirect: 'manual',
      });
      status = res.status;
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) {
        throw errorForStatus({
          ...ctx,
          status: res.status,
          problem: parseProblem(text),
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        });
      }
      const json = parseJson(text);
      if (!json.ok) {
        throw new HttpNonRetryableError('invalid_response', { ...ctx, status }, 'response is not JSON');
      }
      const parsed = req.schema.safeParse(json.value);
      if (!parsed.success) {
        const issues = describeIssues(parsed.error);
        throw new HttpNonRetryableError(
          'invalid_response',
          { ...ctx, status },
          `invalid response body: ${issues.slice(0, 5).join('; ')}`,
          issues,
        );
      }
      return parsed.data;
    } catch (err) {
      if (err instanceof HttpNonRetryableError || err instanceof HttpRetryableError) throw err;
      if (req.signal?.aborted) {
        throw new HttpNonRetryableError('aborted', { ...ctx, status, cause: err }, 'aborted by caller');
      }
      if (timeout.aborted) {
        throw new HttpRetryableError('timeout', { ...ctx, status, cause: err }, 'timed out');
      }
      throw new HttpRetryableError('network', { ...ctx, cause: err }, networkSummary(err));
    } finally {
      logger.debug(
        { method: req.method, path: logPath, status, durationMs: Date.now() - started, attempt: attemptNo },
        'http request',
      );
    }
  }

  async function request<S extends z.ZodType>(req: HttpRequest<S>): Promise<z.output<S>> {
    const policy = resolveRetryPolicy(options.retry, req.retry);
    const logPath = req.logPath ?? req.path;
    const idempotent = req.idempotent ?? !(req.method === 'POST' || req.method === 'PATCH');
    for (let attemptNo = 1; ; attemptNo++) {
      try {
        return await attempt(req, logPath, attemptNo);
      } catch (err) {
        const error = err as HttpError;
        error.attempts = attemptNo;
        if (!(error instanceof HttpRetryableError)) throw error;
        if (attemptNo >= policy.maxAttempts || !mayRetry(error, idempotent)) throw error;
        const delay = computeRetryDelay(attemptNo, error, policy, random);
        if (delay === undefined) throw error;
        logger.warn(
          {
            method: req.method,
            path: logPath,
            status: error.status,
            kind: error.kind,
            attempt: attemptNo,
            delayMs: Math.round(delay),
          },
          'http request failed, retrying',
        );
        try {
          await wait(delay, req.signal);
        } catch (abortErr) {
          throw new HttpNonRetryableError(
            'aborted',
            { method: req.method, path: logPath, attempts: attemptNo, cause: abortErr },
            'aborted by caller',
          );
        }
      }
    }
  }

  return { request };
}

/**
 * Validates an outgoing body with the contract's schema before anything is sent:
 * a mistake becomes a non-retryable `invalid_request` naming the fields (never their values).
 */
export function parseRequestBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  ctx: { method: HttpMethod; path: string },
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  throw new HttpNonRetryableError(
    'invalid_request',
    { ...ctx, attempts: 0 },
    `invalid request body: ${issues.slice(0, 5).join('; ')}`,
    issues,
  );
}
