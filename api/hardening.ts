import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import { ipKeyGenerator, rateLimit, type Options, type RateLimitInfo } from 'express-rate-limit';
import { configSchema, type Config } from '../common/config';
import type { FileTokenStore } from './auth/token-store';
import { sendProblem } from './problem';

/**
 * Rate limits of the API (`/api/v1`), mounted before body parsing and authentication, so a throttled request costs
 * neither. Security headers come from helmet (api/app.ts); body and upload sizes from express.json and multer.
 */
export interface RateLimitOptions {
  /**
   * Requests ending 401 allowed per client IP in `authFailureWindowMs`; past it, requests from that IP that do not
   * carry a valid back-office token answer 429 until the window ends. 0: no limit.
   */
  authFailures: number;
  authFailureWindowMs: number;
  /** POST/PUT/PATCH/DELETE per token (per IP without one) per minute; 0: no limit. */
  writesPerMinute: number;
}

/** createApp's third argument: what a deployment (or a test) sets; anything left out comes from the environment. */
export interface HardeningOptions {
  rateLimits?: Partial<RateLimitOptions>;
}

export const AUTH_FAILURE_WINDOW_MS = 15 * 60_000;
const WRITE_WINDOW_MS = 60_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function rateLimitsFromConfig(
  config: Pick<Config, 'RATE_LIMIT_AUTH_FAILURES' | 'RATE_LIMIT_WRITES_PER_MINUTE'>,
): RateLimitOptions {
  return {
    authFailures: config.RATE_LIMIT_AUTH_FAILURES,
    authFailureWindowMs: AUTH_FAILURE_WINDOW_MS,
    writesPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE,
  };
}

/** RATE_LIMIT_* read from the environment with the configuration's own schema (defaults included). */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitOptions {
  return rateLimitsFromConfig(
    configSchema.pick({ RATE_LIMIT_AUTH_FAILURES: true, RATE_LIMIT_WRITES_PER_MINUTE: true }).parse(env),
  );
}

const bearer = (req: Request): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];

const secondsUntil = (req: Request, windowMs: number): number => {
  const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil((reset ? reset.getTime() - Date.now() : windowMs) / 1000));
};

/** 429 as Problem JSON, with Retry-After. */
function tooManyRequests(detail: (seconds: number) => string): Options['handler'] {
  return (req, res, _next, options) => {
    const seconds = secondsUntil(req, options.windowMs);
    res.setHeader('Retry-After', String(seconds));
    sendProblem(res, {
      type: 'about:blank',
      title: 'Troppe richieste',
      status: 429,
      detail: detail(seconds),
      instance: req.originalUrl.split('?')[0],
    });
  };
}

const inMinutes = (seconds: number) =>
  `${Math.ceil(seconds / 60)} minut${Math.ceil(seconds / 60) === 1 ? 'o' : 'i'}`;

/** The limiters as one middleware (a limit set to 0 is left out). */
export function apiRateLimits(tokens: FileTokenStore, options: Partial<RateLimitOptions> = {}): Router {
  const limits: RateLimitOptions = { ...rateLimitsFromEnv(), ...options };
  const validToken = (req: Request) => {
    const credential = bearer(req);
    return credential ? tokens.verify(credential) : undefined;
  };
  const router = Router();

  if (limits.authFailures > 0) {
    router.use(
      rateLimit({
        windowMs: limits.authFailureWindowMs,
        limit: limits.authFailures,
        // Only the requests that end 401 count (the others are taken back when they finish)...
        skipSuccessfulRequests: true,
        requestWasSuccessful: (_req, res) => res.statusCode !== 401,
        // ...and a valid token always goes through: colleagues behind the same address are not locked out.
        skip: (req) => validToken(req) !== undefined,
        standardHeaders: false,
        legacyHeaders: false,
        handler: tooManyRequests(
          (seconds) =>
            `troppi tentativi di autenticazione non riusciti da questo indirizzo (al massimo ${limits.authFailures} ` +
            `in ${inMinutes(limits.authFailureWindowMs / 1000)}): riprovare fra ${inMinutes(seconds)} con un token valido`,
        ),
      }),
    );
  }

  if (limits.writesPerMinute > 0) {
    router.use(
      rateLimit({
        windowMs: WRITE_WINDOW_MS,
        limit: limits.writesPerMinute,
        skip: (req) => !WRITE_METHODS.has(req.method),
        // Per token (its id, never the secret); a credential that is not a valid token by its hash; else per IP.
        keyGenerator: (req) => {
          const credential = bearer(req);
          if (!credential) return `ip:${ipKeyGenerator(req.ip ?? '')}`;
          const info = tokens.verify(credential);
          return info
            ? `token:${info.id}`
            : `bearer:${createHash('sha256').update(credential).digest('hex').slice(0, 32)}`;
        },
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        handler: tooManyRequests(
          (seconds) =>
            `troppe operazioni di scrittura con questo token (al massimo ${limits.writesPerMinute} al minuto): ` +
            `riprovare fra ${seconds} s`,
        ),
      }),
    );
  }
  return router;
}
