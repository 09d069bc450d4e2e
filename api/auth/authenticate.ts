import type { RequestHandler } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { HttpProblem } from '../problem';
import { roles, type Actor, type Role } from './roles';
import type { FileTokenStore } from './token-store';

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** JWKS endpoint; tests pass a local key set instead. */
  jwksUrl?: string;
  keySet?: JWTVerifyGetKey;
  /** Claim holding the roles (a string or an array); the highest known role wins. */
  rolesClaim: string;
}

const highestRole = (claim: unknown): Role | undefined => {
  const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string');
  return [...roles].reverse().find((role) => values.includes(role));
};

/**
 * Resolves the caller from `Authorization: Bearer …`: a back-office token, or (when configured) an OIDC JWT.
 * A request without the header goes on anonymous (public endpoints answer, others 401); a bad token is 401 at once.
 */
export function authenticate(tokens: FileTokenStore, oidc?: OidcOptions): RequestHandler {
  const keySet = oidc ? (oidc.keySet ?? createRemoteJWKSet(new URL(oidc.jwksUrl!))) : undefined;
  return (req, res, next) => {
    const header = req.header('authorization');
    if (!header) {
      next();
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      next(new HttpProblem(401, 'Autenticazione non valida', 'usare Authorization: Bearer <token>'));
      return;
    }
    const credential = match[1]!;
    if (credential.split('.').length === 3 && oidc && keySet) {
      jwtVerify(credential, keySet, { issuer: oidc.issuer, audience: oidc.audience })
        .then(({ payload }) => {
          const role = highestRole(payload[oidc.rolesClaim]);
          if (!role) throw new Error('no role');
          const name = String(payload.preferred_username ?? payload.email ?? payload.sub ?? 'oidc');
          res.locals.actor = { id: String(payload.sub ?? name), name, role, via: 'oidc' } satisfies Actor;
          next();
        })
        .catch(() =>
          next(new HttpProblem(401, 'Autenticazione non valida', 'JWT non valido, scaduto o senza ruolo')),
        );
      return;
    }
    const info = tokens.verify(credential);
    if (!info) {
      next(new HttpProblem(401, 'Autenticazione non valida', 'token sconosciuto, revocato o scaduto'));
      return;
    }
    res.locals.actor = { id: info.id, name: info.name, role: info.role, via: 'token' } satisfies Actor;
    next();
  };
}
