import type { NextFunction, Request, Response } from 'express';
import { safeEqual, subscriptionKey } from './auth';
import { clientAddress, ipAllowed } from './client-ip';
import { subscriptionForKey } from './manage-keys';
import { param, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import { MAX_CONCURRENT_CREATIONS } from './runtime';
import { ownerOf } from './service-ops';
import type { ManageSubscription, StoredService } from './state-store';

/**
 * Who calls the manage API: an institution's manage subscription (PagoPA), or a legacy partner key
 * (the sandbox's transitional mode, `legacyPartnerKeys`).
 */
export type ManageCaller =
  | { kind: 'institution'; institution: string; subscription: ManageSubscription }
  | { kind: 'legacy'; organizationFiscalCode: string | 'any' };

export const callerOf = (res: Response): ManageCaller => res.locals.caller as ManageCaller;
export const isLegacy = (res: Response): boolean => callerOf(res).kind === 'legacy';

/** ts-commons' `ResponseErrorForbiddenNotAuthorized`, PagoPA's answer to a refused manage call. */
export function sendForbiddenNotAuthorized(req: Request, res: Response): void {
  sendProblem(
    req,
    res,
    403,
    'You do not have enough permission to complete the operation you requested',
    'You are not allowed here',
  );
}

/**
 * `Ocp-Apim-Subscription-Key` must be a manage key: an institution's (primary or secondary, of its own
 * subscription or of one of its groups') or, in the transitional mode only, a legacy partner key. 401 otherwise,
 * as PagoPA's gateway.
 */
export function manageAuth(rt: SandboxRuntime) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = subscriptionKey(req);
    if (!key) return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    const subscription = subscriptionForKey(rt.state, key);
    if (subscription) {
      res.locals.caller = {
        kind: 'institution',
        institution: subscription.institution,
        subscription,
      } satisfies ManageCaller;
      return next();
    }
    const binding = rt.legacyPartnerKeys.find((b) => safeEqual(b.key, key));
    if (!binding) return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    res.locals.caller = {
      kind: 'legacy',
      organizationFiscalCode: binding.organizationFiscalCode,
    } satisfies ManageCaller;
    next();
  };
}

/**
 * The caller's address must fall in the subscription's authorised CIDRs (none = any address): 403 otherwise,
 * as `apps/io-services-cms-webapp/src/utils/check-source-ip.ts` answers. Legacy partner keys have none.
 */
export function sourceIpCheck(rt: SandboxRuntime) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const caller = callerOf(res);
    if (caller.kind !== 'institution' || caller.subscription.cidrs.length === 0) return next();
    if (!ipAllowed(clientAddress(req, rt.options.trustForwardedFor), caller.subscription.cidrs)) {
      return sendForbiddenNotAuthorized(req, res);
    }
    next();
  };
}

/**
 * PagoPA's gateway lets at most 10 service creations run at once across all its users
 * (`infra/.../createservice_policy/policy.xml`, `limit-concurrency max-count=10`): beyond that, 429.
 * The slot is held until the answer is sent (`createLatencyMs` makes creations last).
 */
export function creationLimiter(rt: SandboxRuntime) {
  const max = rt.options.maxConcurrentCreations ?? MAX_CONCURRENT_CREATIONS;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST' || req.path !== '/services') return next();
    if (rt.creationsInFlight >= max) {
      res.setHeader('Retry-After', '1');
      return sendProblem(
        req,
        res,
        429,
        `Too many service creations at once (at most ${max} on PagoPA's gateway): retry later`,
      );
    }
    rt.creationsInFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      rt.creationsInFlight--;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}

/** Whether this caller's account holds the service (the subscription's owner, or the legacy key's rule). */
export function callerSees(caller: ManageCaller, s: StoredService): boolean {
  if (caller.kind === 'institution') return ownerOf(s) === caller.institution;
  return (
    caller.organizationFiscalCode === 'any' ||
    s.data.organization.fiscal_code === caller.organizationFiscalCode
  );
}

/**
 * The service named by `:id` when this key may manage it; otherwise answers and returns undefined:
 * - unknown id: 404;
 * - a service of another institution: 403, as PagoPA's `serviceOwnerCheckManageTask`
 *   (`apps/io-services-cms-webapp/src/utils/subscription.ts`: the service's subscription owner must be the
 *   key's user, else `ResponseErrorForbiddenNotAuthorized`); a legacy key answers 404 as it always did;
 * - a group key and a service of another group: 403 (`FsmAuthorizationError`, "User has no valid scopes");
 * - `live`: a deleted service is 404 (`utils/check-service.ts`: keys, logo, release, history).
 */
export function ownedService(
  rt: SandboxRuntime,
  req: Request,
  res: Response,
  opts: { live?: boolean } = {},
): StoredService | undefined {
  const s = rt.service(param(req, 'id'));
  const caller = callerOf(res);
  if (!s || (caller.kind === 'legacy' && !callerSees(caller, s))) {
    sendProblem(req, res, 404, 'Service not found');
    return undefined;
  }
  if (!callerSees(caller, s)) {
    sendForbiddenNotAuthorized(req, res);
    return undefined;
  }
  const group = caller.kind === 'institution' ? caller.subscription.group_id : undefined;
  if (group !== undefined && s.group_id !== group) {
    sendProblem(
      req,
      res,
      403,
      'You are not part of any valid scope, you should ask the administrator to give you the required permissions.',
      'User has no valid scopes',
    );
    return undefined;
  }
  if (opts.live && s.status.value === 'deleted') {
    sendProblem(req, res, 404, 'Service not found');
    return undefined;
  }
  return s;
}
