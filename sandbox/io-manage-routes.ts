import { createHash } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { keyTypeSchema, logoPayloadSchema, servicePayloadSchema } from '../integrations/io/schemas';
import { safeEqual, subscriptionKey } from './auth';
import { param, parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import {
  applyLifecycle,
  createStoredService,
  newKey,
  normalisePayload,
  serviceView,
  TOPICS,
} from './service-ops';
import type { StoredService } from './state-store';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** `Ocp-Apim-Subscription-Key` must be a configured manage key; its organization goes to `res.locals.org`. */
export function manageAuth(rt: SandboxRuntime) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = subscriptionKey(req);
    const binding = key ? rt.options.manageKeys.find((b) => safeEqual(b.key, key)) : undefined;
    if (!binding) return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    res.locals.org = binding.organizationFiscalCode;
    next();
  };
}

const orgOf = (res: Response): string => String(res.locals.org);
const canSee = (res: Response, s: StoredService): boolean =>
  orgOf(res) === 'any' || s.data.organization.fiscal_code === orgOf(res);

/** The service named by `:id` when this key may manage it; otherwise answers 404. */
export function ownedService(rt: SandboxRuntime, req: Request, res: Response): StoredService | undefined {
  const s = rt.service(param(req, 'id'));
  if (!s || !canSee(res, s)) {
    sendProblem(req, res, 404, 'Service not found');
    return undefined;
  }
  return s;
}

function forbidOtherOrg(req: Request, res: Response, fiscalCode: string): boolean {
  if (orgOf(res) === 'any' || orgOf(res) === fiscalCode) return false;
  sendProblem(req, res, 403, 'This subscription cannot manage services of another organization');
  return true;
}

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Services CRUD, logo and keys of the IO manage API (mounted at `/api/v1/manage`). */
export function ioManageRouter(rt: SandboxRuntime): Router {
  const r = Router();

  r.get('/services/topics', (_req, res) => {
    res.json({ topics: TOPICS.map((name, id) => ({ id, name })) });
  });

  r.post('/services', (req, res) => {
    const body = parseOr400(servicePayloadSchema, req.body, req, res);
    if (!body || forbidOtherOrg(req, res, body.organization.fiscal_code)) return;
    const s = createStoredService(body, rt.now());
    rt.state.services[s.id] = s;
    rt.store.changed();
    res.status(201).json(serviceView(s));
  });

  r.get('/services', (req, res) => {
    const q = parseOr400(listQuerySchema, req.query, req, res, 'Invalid query');
    if (!q) return;
    const visible = Object.values(rt.state.services)
      .filter((s) => s.status.value !== 'deleted' && canSee(res, s))
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
    const error = applyLifecycle(s, 'edit', rt.now());
    if (error) return sendProblem(req, res, 409, error);
    s.data = normalisePayload(body);
    const last = s.history[s.history.length - 1];
    if (last) last.name = s.data.name;
    rt.store.changed();
    res.json(serviceView(s));
  });

  r.delete('/services/:id', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    if (s.status.value !== 'deleted') {
      const error = applyLifecycle(s, 'delete', rt.now());
      if (error) return sendProblem(req, res, 409, error);
      if (s.publication?.status === 'published') {
        s.publication = { ...s.publication, status: 'unpublished', last_update: s.last_update };
      }
      rt.store.changed();
    }
    res.status(204).end();
  });

  r.put('/services/:id/logo', (req, res) => {
    const s = ownedService(rt, req, res);
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
    const s = ownedService(rt, req, res);
    if (!s) return;
    if (s.status.value === 'deleted') return sendProblem(req, res, 404, 'Service not found');
    res.json(s.keys);
  });

  r.put('/services/:id/keys/:type', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    if (s.status.value === 'deleted') return sendProblem(req, res, 404, 'Service not found');
    const type = keyTypeSchema.safeParse(param(req, 'type'));
    if (!type.success) return sendProblem(req, res, 400, 'keyType: must be primary or secondary');
    s.keys = { ...s.keys, [`${type.data}_key`]: newKey() };
    rt.store.changed();
    res.json(s.keys);
  });

  return r;
}
