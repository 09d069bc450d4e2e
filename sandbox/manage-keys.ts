import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { IPV4_CIDR, keyTypeSchema } from '../integrations/io/schemas';
import type { Institution } from '../integrations/selfcare/schemas';
import { GroupIndex } from './group-index';
import { KeyIndex } from './key-index';
import { param, parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import { newKey } from './service-ops';
import type { ManageSubscription, SandboxState } from './state-store';

/**
 * Manage subscriptions per institution, as PagoPA issues them: an institution onboarded on `prod-io` has an
 * IO back office account whose `MANAGE-…` subscription carries its manage keys (primary and secondary), each
 * subscription with its own authorised CIDRs; Selfcare groups can have their own (`MANAGE-GROUP-…`).
 * (pagopa/io-services-cms: `packages/external-clients/src/apim-client`, `apps/backoffice/src/app/api/keys/
 * manage/route.ts`, `.../keys/manage/cidrs/route.ts`.)
 */

export const SUBSCRIPTION_MANAGE_PREFIX = 'MANAGE-';
export const SUBSCRIPTION_MANAGE_GROUP_PREFIX = 'MANAGE-GROUP-';

export const isOnboardedOnIo = (institution: Institution): boolean =>
  institution.onboarding.some((o) => o.productId === 'prod-io' && o.status === 'ACTIVE');

/** The institution's own manage subscription (not a group's). */
export function institutionSubscription(
  state: SandboxState,
  fiscalCode: string,
): ManageSubscription | undefined {
  const collection = state.manageSubscriptions;
  const found = ownSubscriptions.of(collection, fiscalCode)[0];
  // Checked against the collection: a subscription is only ever added by the two functions below, which note it.
  return found && collection[found.id] === found && found.institution === fiscalCode ? found : undefined;
}

/**
 * Each institution's own subscription (not its groups'): looked up at every Selfcare onboarding and at start-up for
 * every institution, a scan of all 7,904 made that quadratic at national scale.
 */
const ownSubscriptions = new GroupIndex<ManageSubscription>((s) =>
  s.group_id === undefined ? s.institution : undefined,
);

/** Issues the institution's manage subscription unless it has one (keys survive later Selfcare changes). */
export function issueInstitutionSubscription(
  state: SandboxState,
  institution: Institution,
  now: Date,
): ManageSubscription {
  const fiscalCode = institution.taxCode ?? institution.externalId ?? institution.id;
  const existing = institutionSubscription(state, fiscalCode);
  if (existing) return existing;
  const subscription: ManageSubscription = {
    id: `${SUBSCRIPTION_MANAGE_PREFIX}${institution.id}`,
    institution: fiscalCode,
    primary_key: newKey(),
    secondary_key: newKey(),
    cidrs: [],
    created_at: now.toISOString(),
  };
  state.manageSubscriptions[subscription.id] = subscription;
  ownSubscriptions.added(state.manageSubscriptions, subscription);
  return subscription;
}

/** Issues (or returns) the manage subscription of one of the institution's Selfcare groups. */
export function issueGroupSubscription(
  state: SandboxState,
  fiscalCode: string,
  groupId: string,
  now: Date,
): ManageSubscription {
  const id = `${SUBSCRIPTION_MANAGE_GROUP_PREFIX}${groupId}`;
  const existing = state.manageSubscriptions[id];
  if (existing) return existing;
  const subscription: ManageSubscription = {
    id,
    institution: fiscalCode,
    group_id: groupId,
    primary_key: newKey(),
    secondary_key: newKey(),
    cidrs: [],
    created_at: now.toISOString(),
  };
  state.manageSubscriptions[id] = subscription;
  return subscription;
}

/** The subscription whose primary or secondary key this is (one lookup by digest, `sandbox/key-index.ts`). */
export function subscriptionForKey(state: SandboxState, key: string): ManageSubscription | undefined {
  return subscriptionKeys.find(state.manageSubscriptions, key);
}

const subscriptionKeys = new KeyIndex<ManageSubscription>((s) => [s.primary_key, s.secondary_key]);

const keysView = (s: ManageSubscription) => ({ primary_key: s.primary_key, secondary_key: s.secondary_key });

const cidrsSchema = z.object({
  cidrs: z.array(z.string().regex(IPV4_CIDR, 'must be an IPv4 address or CIDR')).max(100),
});

/**
 * The IO back office's "Chiavi API di gestione" page, as admin endpoints (mounted under `/__admin`):
 *
 *   GET  /institutions/{fiscalCode}/manage-keys                     → {primary_key, secondary_key}
 *   PUT  /institutions/{fiscalCode}/manage-keys/{primary|secondary} → regenerates it (the old one stops at once)
 *   GET|PUT /institutions/{fiscalCode}/manage-keys/cidrs             ↔ {cidrs: ["203.0.113.0/24", …]}
 *   GET|PUT /institutions/{fiscalCode}/groups/{groupId}/manage-keys[/…] the same for a Selfcare group's key
 *
 * Like that page, these show the keys in clear: they are the one exception to "the admin API shows
 * fingerprints only". Nothing here logs a key.
 */
export function manageKeysAdminRouter(rt: SandboxRuntime): Router {
  const r = Router();

  /** The institution's subscription, or the group's (issued on first request); answers 404 otherwise. */
  const subscriptionOf = (req: Request, res: Response, create: boolean): ManageSubscription | undefined => {
    const fiscalCode = param(req, 'fiscalCode');
    const own = institutionSubscription(rt.state, fiscalCode);
    if (!own) {
      sendProblem(
        req,
        res,
        404,
        'No manage subscription: the institution is not onboarded on prod-io in the sandbox Selfcare',
      );
      return undefined;
    }
    const groupId = param(req, 'groupId');
    if (!groupId) return own;
    const id = `${SUBSCRIPTION_MANAGE_GROUP_PREFIX}${groupId}`;
    const existing = rt.state.manageSubscriptions[id];
    if (existing && existing.institution !== fiscalCode) {
      sendProblem(req, res, 409, 'This group belongs to another institution');
      return undefined;
    }
    if (existing || !create) {
      if (!existing) sendProblem(req, res, 404, 'No manage subscription for this group');
      return existing;
    }
    const issued = issueGroupSubscription(rt.state, fiscalCode, groupId, rt.now());
    rt.store.changed();
    return issued;
  };

  for (const base of [
    '/institutions/:fiscalCode/manage-keys',
    '/institutions/:fiscalCode/groups/:groupId/manage-keys',
  ]) {
    r.get(base, (req, res) => {
      const s = subscriptionOf(req, res, false);
      if (s) res.json(keysView(s));
    });

    /** Issues the group's key (institution's own: already issued at onboarding). */
    r.put(base, (req, res) => {
      const s = subscriptionOf(req, res, true);
      if (s) res.json(keysView(s));
    });

    r.get(`${base}/cidrs`, (req, res) => {
      const s = subscriptionOf(req, res, false);
      if (s) res.json({ cidrs: s.cidrs });
    });

    r.put(`${base}/cidrs`, (req, res) => {
      const s = subscriptionOf(req, res, false);
      if (!s) return;
      const body = parseOr400(cidrsSchema, req.body, req, res);
      if (!body) return;
      s.cidrs = [...new Set(body.cidrs)];
      rt.store.changed();
      res.json({ cidrs: s.cidrs });
    });

    r.put(`${base}/:keyType`, (req, res) => {
      const type = keyTypeSchema.safeParse(param(req, 'keyType'));
      if (!type.success) return sendProblem(req, res, 400, 'keyType: must be primary or secondary');
      const s = subscriptionOf(req, res, false);
      if (!s) return;
      if (type.data === 'primary') s.primary_key = newKey();
      else s.secondary_key = newKey();
      rt.store.changed();
      res.json(keysView(s));
    });
  }

  return r;
}
