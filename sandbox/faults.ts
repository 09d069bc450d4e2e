import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { sendProblem } from './problem';

/** mulberry32: a tiny seedable PRNG, so fault injection is reproducible in tests. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const faultOptionsSchema = z.object({
  /** Added before every non-admin request: fixed, or uniform in [min, max]. */
  latencyMs: z
    .union([
      z.number().int().min(0),
      z.object({ min: z.number().int().min(0), max: z.number().int().min(0) }),
    ])
    .optional(),
  /** Share (0..1) of non-admin requests answered with `errorStatus`. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Status of injected errors. Default 500. */
  errorStatus: z.number().int().min(500).max(599).optional(),
  /** The next N non-admin requests fail with `errorStatus` (deterministic). */
  failNext: z.number().int().min(0).optional(),
  /** A burst of 429 answers: for `durationMs` from now and/or for the next `requests` requests. */
  rateLimitBurst: z
    .object({
      durationMs: z.number().int().min(0).optional(),
      requests: z.number().int().min(0).optional(),
      /** The `Retry-After` header, in seconds. Default 1. */
      retryAfterSeconds: z.number().int().min(0).optional(),
    })
    .optional(),
  /** Faults apply only to paths starting with this (e.g. `/api/v1/manage`). Default: all but `/__admin`. */
  pathPrefix: z.string().optional(),
  /** PRNG seed for `errorRate` and latency ranges. Default 42. */
  seed: z.number().int().optional(),
});
export type FaultOptions = z.infer<typeof faultOptionsSchema>;

export interface FaultCounters {
  injected5xx: number;
  injected429: number;
}

/** Runtime fault injection; `set` replaces the configuration (and restarts a burst window). */
export class Faults {
  private config: FaultOptions = {};
  private random: () => number = createPrng(42);
  private failNext = 0;
  private burstUntil: number | undefined;
  private burstRemaining: number | undefined;

  constructor(
    config: FaultOptions | undefined,
    private readonly onInjected: (kind: keyof FaultCounters) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.set(config ?? {});
  }

  set(config: FaultOptions): void {
    this.config = faultOptionsSchema.parse(config);
    this.random = createPrng(this.config.seed ?? 42);
    this.failNext = this.config.failNext ?? 0;
    const burst = this.config.rateLimitBurst;
    this.burstUntil = burst?.durationMs !== undefined ? this.now() + burst.durationMs : undefined;
    this.burstRemaining = burst?.requests;
  }

  /** The current configuration, with what is left of the counters. */
  get(): FaultOptions & { failNextRemaining: number; burstActive: boolean } {
    return { ...this.config, failNextRemaining: this.failNext, burstActive: this.burstActive() };
  }

  private burstActive(): boolean {
    if (!this.config.rateLimitBurst) return false;
    const byTime = this.burstUntil !== undefined && this.now() < this.burstUntil;
    const byCount = this.burstRemaining !== undefined && this.burstRemaining > 0;
    if (this.burstUntil !== undefined && this.burstRemaining !== undefined) return byTime && byCount;
    return byTime || byCount;
  }

  private latency(): number {
    const l = this.config.latencyMs;
    if (l === undefined) return 0;
    if (typeof l === 'number') return l;
    const [min, max] = l.min <= l.max ? [l.min, l.max] : [l.max, l.min];
    return Math.round(min + this.random() * (max - min));
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.path.startsWith('/__admin')) return next();
      if (this.config.pathPrefix && !req.path.startsWith(this.config.pathPrefix)) return next();
      const delay = this.latency();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      // The caller gave up during the delay: process the request as a real server would (a timeout may
      // hide a success), but do not spend an injected fault on it.
      if (req.socket.destroyed) return next();
      const mark = () => {
        res.locals.faultInjected = true;
      };
      if (this.burstActive()) {
        mark();
        if (this.burstRemaining !== undefined) this.burstRemaining--;
        this.onInjected('injected429');
        res.setHeader('Retry-After', String(this.config.rateLimitBurst?.retryAfterSeconds ?? 1));
        return sendProblem(req, res, 429, 'Rate limit exceeded (sandbox fault injection)');
      }
      const status = this.config.errorStatus ?? 500;
      if (this.failNext > 0) {
        mark();
        this.failNext--;
        this.onInjected('injected5xx');
        return sendProblem(req, res, status, 'Injected failure (sandbox fault injection)');
      }
      if (this.config.errorRate && this.random() < this.config.errorRate) {
        mark();
        this.onInjected('injected5xx');
        return sendProblem(req, res, status, 'Injected failure (sandbox fault injection)');
      }
      next();
    };
  }
}
