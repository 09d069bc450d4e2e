import { z } from 'zod';

/** PagoPA's Problem JSON (RFC 7807): every field optional, unknown fields kept out. */
export const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().int().optional(),
  detail: z.string().optional(),
  instance: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export type NonRetryableKind =
  /** 4xx other than 408/429: the request itself is wrong (400/401/403/404/409/422...). */
  | 'client_error'
  /** A 2xx body that does not match the expected schema (or is not JSON). */
  | 'invalid_response'
  /** The request body failed the client's own schema: nothing was sent. */
  | 'invalid_request'
  /** A status the client does not understand (e.g. 3xx). */
  | 'unexpected_status'
  /** The caller's AbortSignal fired: do not retry. */
  | 'aborted';

export type RetryableKind = 'rate_limited' | 'server_error' | 'network' | 'timeout';

export interface HttpErrorContext {
  method: string;
  /** The path as logged: never the query string, possibly a template (`/profiles/{fiscal_code}`). */
  path: string;
  status?: number;
  problem?: Problem;
  attempts?: number;
  cause?: unknown;
}

function describe(ctx: HttpErrorContext, summary: string): string {
  const problem = ctx.problem
    ? [ctx.problem.title, ctx.problem.detail].filter((s): s is string => Boolean(s)).join(': ')
    : '';
  const status = ctx.status === undefined ? '' : ` ${ctx.status}`;
  return `${ctx.method} ${ctx.path} →${status} ${summary}${problem ? ` (${problem})` : ''}`;
}

/**
 * Base class of every error the HTTP layer throws. Messages carry method, path, status and the
 * Problem title/detail: never headers, keys or query strings.
 */
export abstract class HttpError extends Error {
  abstract readonly retryable: boolean;
  abstract readonly kind: NonRetryableKind | RetryableKind;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly problem?: Problem;
  /** How many attempts were made before giving up (1 = no retry). */
  attempts: number;

  protected constructor(ctx: HttpErrorContext, summary: string) {
    super(describe(ctx, summary), ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.method = ctx.method;
    this.path = ctx.path;
    this.status = ctx.status;
    this.problem = ctx.problem;
    this.attempts = ctx.attempts ?? 1;
  }

  /** A plain, secret-free summary, e.g. for Temporal ApplicationFailure details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      retryable: this.retryable,
      method: this.method,
      path: this.path,
      status: this.status,
      problem: this.problem,
      attempts: this.attempts,
      message: this.message,
    };
  }
}

export class HttpNonRetryableError extends HttpError {
  override readonly name = 'HttpNonRetryableError';
  readonly retryable = false as const;
  readonly kind: NonRetryableKind;
  /** For `invalid_response` / `invalid_request`: the failing fields (paths and messages, never values). */
  readonly issues?: string[];

  constructor(kind: NonRetryableKind, ctx: HttpErrorContext, summary?: string, issues?: string[]) {
    super(ctx, summary ?? kind.replace('_', ' '));
    this.kind = kind;
    this.issues = issues;
  }
}

export class HttpRetryableError extends HttpError {
  override readonly name = 'HttpRetryableError';
  readonly retryable = true as const;
  readonly kind: RetryableKind;
  /** From `Retry-After` (seconds or HTTP date), when the server sent one. */
  readonly retryAfterMs?: number;

  constructor(kind: RetryableKind, ctx: HttpErrorContext & { retryAfterMs?: number }, summary?: string) {
    super(ctx, summary ?? kind.replace('_', ' '));
    this.kind = kind;
    this.retryAfterMs = ctx.retryAfterMs;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

/** `Retry-After: <seconds>` or `Retry-After: <HTTP-date>` → milliseconds from `now` (never negative). */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Turns zod issues into `path: message` lines, never including the offending values. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    return `${path}: ${issue.message}`;
  });
}

const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 404, 405, 409, 410, 413, 415, 422]);

/** Classifies a non-2xx status once, for every client. */
export function errorForStatus(
  ctx: HttpErrorContext & { status: number; retryAfterMs?: number },
): HttpNonRetryableError | HttpRetryableError {
  const { status } = ctx;
  if (status === 429) return new HttpRetryableError('rate_limited', ctx, 'rate limited');
  if (status === 408) return new HttpRetryableError('timeout', ctx, 'request timeout');
  if (status >= 500) return new HttpRetryableError('server_error', ctx, 'server error');
  if (NON_RETRYABLE_STATUSES.has(status) || (status >= 400 && status < 500)) {
    return new HttpNonRetryableError('client_error', ctx, 'request refused');
  }
  return new HttpNonRetryableError('unexpected_status', ctx, 'unexpected status');
}
