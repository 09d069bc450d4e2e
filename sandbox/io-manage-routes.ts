import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { keyTypeSchema, logoPayloadSchema, servicePayloadSchema } from '../integrations/io/schemas';
import { callerOf, callerSees, ownedService, type ManageCaller } from './manage-access';
import { param, parseOr400, sendProblem } from './problem';
import { DEFAULT_CREATE_LATENCY_MS, type SandboxRuntime } from './runtime';
import {
  addService,
  applyLifecycle,
  createStoredService,
  newKey,
  ownerChanged,
  ownerOf,
  servicesOf,
  serviceView,
  TOPICS,
} from './service-ops';
import type { StoredService } from './state-store';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export { manageAuth, ownedService } from './manage-access';

/** A legacy key bound to one organisation may not write another's services (the sandbox's old rule). */
function forbidOtherOrg(req: Request, res: Response, fiscalCode: string): boolean {
  const caller = callerOf(res);
  if (caller.kind !== 'legacy' || caller.organizationFiscalCode === 'any') return false;
  if (caller.organizationFiscalCode === fiscalCode) return false;
  sendProblem(req, res, 403, 'This subscription cannot manage services of another organization');
  return true;
}

/** PagoPA's `PAGINATION_DEFAULT_LIMIT` (20) and `PAGINATION_MAX_LIMIT` (100). */
const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

interface AccountSubscription {
  id: string;
  created_at: string;
  /** Absent for a manage subscription: it has no service. */
  service?: StoredService;
}

/**
 * `GET /services` for an institution's key, as `apps/io-services-cms-webapp/src/webservice/controllers/
 * get-services.ts`: the page is cut over the account's APIM subscriptions (`getUserSubscriptions(userId,
 * offset, limit)`), then only those with a service are answered (`buildServiceSubscriptionPairs`), so
 * `pagination.count` is the number of items in this page and a page can hold fewer than `limit` while more
 * follow. Here the account's manage subscriptions are what has no service (at 048adb5c PagoPA's default APIM
 * filter leaves out `MANAGE-` names and the gaps come from subscriptions whose service is not in the CMS;
 * either way a short page does not mean the last one). A group key pages over its group's services only
 * (`subscriptionsByIdsApimFilter`). Deleted services stay listed.
 */
function institutionPage(rt: SandboxRuntime, caller: ManageCaller & { kind: 'institution' }) {
  const group = caller.subscription.group_id;
  const services: AccountSubscription[] = servicesOf(rt.state, caller.institution)
    .filter((s) => group === undefined || s.group_id === group)
    .map((s) => ({ id: s.id, created_at: s.created_at, service: s }));
  const manage: AccountSubscription[] =
    group === undefined
      ? Object.values(rt.state.manageSubscriptions)
          .filter((m) => m.institution === caller.institution)
          .map((m) => ({ id: m.id, created_at: m.created_at }))
      : [];
  return [...manage, ...services].sort((a, b) =>
    a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Services CRUD, logo and keys of the IO manage API (mounted at `/api/v1/manage`). */
export function ioManageRouter(rt: SandboxRuntime): Router {
  const r = Router();

  r.get('/services/topics', (_req, res) => {
    res.json({ topics: TOPICS.map((name, id) => ({ id, name })) });
  });

  /** Creation holds one of the gateway's concurrent slots (`creationLimiter`) for `createLatencyMs`. */
  r.post('/services', async (req, res) => {
    const body = parseOr400(servicePayloadSchema, req.body, req, res);
    if (!body || forbidOtherOrg(req, res, body.organization.fiscal_code)) return;
    const latency = rt.options.createLatencyMs ?? DEFAULT_CREATE_LATENCY_MS;
    if (latency > 0) await sleep(latency);
    const caller = callerOf(res);
    // A service created with an institution's key is a subscription of that institution's account
    // (`create-service.ts`: `apimService.upsertSubscription(auth.userId, serviceId)`).
    const s = createStoredService(
      body,
      rt.now(),
      caller.kind === 'institution'
        ? { owner: caller.institution, group_id: caller.subscription.group_id }
        : {},
    );
    addService(rt.state, s);
    rt.store.changed();
    res.status(201).json(serviceView(s));
  });

  r.get('/services', (req, res) => {
    const q = parseOr400(listQuerySchema, req.query, req, res, 'Invalid query');
    if (!q) return;
    const caller = callerOf(res);
    if (caller.kind === 'institution') {
      const page = institutionPage(rt, caller).slice(q.offset, q.offset + q.limit);
      const value = page.flatMap((sub) => (sub.service ? [serviceView(sub.service)] : []));
      return res.json({ value, pagination: { offset: q.offset, limit: q.limit, count: value.length } });
    }
    // Legacy partner key (transitional): full pages over every service it sees, `count` = all of them
    // (the product's `findServiceByName` still reads it as a total).
    const visible = Object.values(rt.state.services)
      .filter((s) => callerSees(caller, s))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    res.json({
      value: visible.slice(q.offset, q.offset + q.limit).map(serviceView),
      pagination: { offset: q.offset, limit: q.limit, count: visible.length },
    });
  });

  r.get('/services/:id', (req, res) => {
    const s = ownedService(rt, req, res);
    if (s) res.json(serviceView(s));
  });

  r.put('/services/:id', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const body = parseOr400(servicePayloadSchema, req.body, req, res);
    if (!body || forbidOtherOrg(req, res, body.organization.fiscal_code)) return;
    const owner = ownerOf(s);
    const error = applyLifecycle(s, 'edit', rt.now(), undefined, body);
    if (error) return sendProblem(req, res, 409, error);
    ownerChanged(rt.state, s, owner);
    rt.store.changed();
    res.json(serviceView(s));
  });

  /**
   * Only from draft, rejected or approved (409 otherwise, a deleted service included: the FSM has no
   * transition); the deletion removes the published copy.
   */
  r.delete('/services/:id', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const error = applyLifecycle(s, 'delete', rt.now());
    if (error) return sendProblem(req, res, 409, error);
    rt.store.changed();
    res.status(204).end();
  });

  r.put('/services/:id/logo', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    const body = parseOr400(logoPayloadSchema, req.body, req, res);
    if (!body) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body.logo)) return sendProblem(req, res, 400, 'logo: not base64');
    const png = Buffer.from(body.logo, 'base64');
    if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
      return sendProblem(req, res, 400, 'logo: not a PNG image');
    }
    s.logo = {
      sha256: createHash('sha256').update(png).digest('hex'),
      bytes: png.length,
      updated_at: rt.now().toISOString(),
    };
    rt.store.changed();
    res.status(204).end();
  });

  r.get('/services/:id/keys', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    res.json(s.keys);
  });

  r.put('/services/:id/keys/:type', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    const type = keyTypeSchema.safeParse(param(req, 'type'));
    if (!type.success) return sendProblem(req, res, 400, 'keyType: must be primary or secondary');
    s.keys = { ...s.keys, [`${type.data}_key`]: newKey() };
    rt.store.changed();
    res.json(s.keys);
  });

  return r;
}
