import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from './problem';

/** The SHA-256 of a secret: compared in constant time instead of the secret itself. */
export const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison of two secrets. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** A short, non-reversible fingerprint of a secret, for admin views. */
export const fingerprint = (secret: string): string => digest(secret).toString('hex').slice(0, 16);

export const SUBSCRIPTION_KEY_HEADER = 'ocp-apim-subscription-key';

export function subscriptionKey(req: Request): string | undefined {
  const v = req.headers[SUBSCRIPTION_KEY_HEADER];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function bearerToken(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Protects `/__admin`: `Authorization: Bearer <adminToken>` or `x-admin-token`. Disabled without a token. */
export function adminAuth(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!adminToken)
      return sendProblem(req, res, 403, 'admin endpoints are disabled (no admin token configured)');
    const header = req.headers['x-admin-token'];
    const given = bearerToken(req) ?? (typeof header === 'string' ? header : undefined);
    if (!given || !safeEqual(given, adminToken))
      return sendProblem(req, res, 401, 'missing or wrong admin token');
    next();
  };
}

/**
 * JWT-shaped bearer tokens for the portal (HS256 over a per-process secret: a restart invalidates
 * them, as a real token store might). `expireAll` simulates expiry for tests.
 */
export class PortalTokens {
  private readonly secret = randomBytes(32);
  private generation = 0;

  constructor(private readonly now: () => number) {}

  issue(tenant: string, username: string, ttlMs: number): string {
    const iat = this.now();
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = enc({ alg: 'HS256', typ: 'JWT' });
    const body = enc({
      sub: username,
      tenant,
      iat: Math.floor(iat / 1000),
      iat_ms: iat,
      exp: Math.floor((iat + ttlMs) / 1000),
      exp_ms: iat + ttlMs,
      jti: randomBytes(8).toString('hex'),
      gen: this.generation,
    });
    return `${head}.${body}.${this.sign(`${head}.${body}`)}`;
  }

  verify(token: string, tenant: string): boolean {
    const [head, body, sig] = token.split('.');
    if (!head || !body || !sig || !safeEqual(sig, this.sign(`${head}.${body}`))) return false;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      const now = this.now();
      return (
        claims.tenant === tenant &&
        typeof claims.exp_ms === 'number' &&
        now < claims.exp_ms &&
        claims.gen === this.generation
      );
    } catch {
      return false;
    }
  }

  /** Every token issued so far stops working. */
  expireAll(): void {
    this.generation++;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}
