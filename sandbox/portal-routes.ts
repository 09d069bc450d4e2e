import { randomUUID } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { authRequestSchema, patchServiceRequestSchema } from '../integrations/portal/schemas';
import { bearerToken, safeEqual } from './auth';
import { param, parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import type { PortalServiceRecord } from './state-store';

export const slugify = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export function newPortalService(seed: {
  name: string;
  slug?: string;
  identifier?: string;
}): PortalServiceRecord {
  return {
    id: randomUUID(),
    name: seed.name,
    slug: seed.slug ?? slugify(seed.name),
    identifier: seed.identifier,
    status: 1,
  };
}

/** The portal's JSON: like a real portal, it echoes the IO parameters (the client must drop them). */
const view = (s: PortalServiceRecord) => {
  const { io_service_parameters: io, ...rest } = s;
  return {
    ...rest,
    io_service_parameters: io
      ? { IOserviceId: io.IOserviceId, primaryKey: io.primaryKey, secondaryKey: io.secondaryKey }
      : null,
  };
};

/** "Stanza del Cittadino" (OpenCity) per tenant, mounted at `/portal`: `/{tenant}/api/...`. */
export function portalRouter(rt: SandboxRuntime): Router {
  const r = Router();
  const tenantServices = (tenant: string): Record<string, PortalServiceRecord> =>
    (rt.state.portal[tenant] ??= {});

  r.post('/:tenant/api/auth', (req, res) => {
    const tenant = param(req, 'tenant');
    const body = parseOr400(authRequestSchema, req.body, req, res);
    if (!body) return;
    const ok = rt.options.portalCredentials.some(
      (c) =>
        (c.tenant === '*' || c.tenant === tenant) &&
        safeEqual(c.username, body.username) &&
        safeEqual(c.password, body.password),
    );
    if (!ok) return sendProblem(req, res, 401, 'Invalid credentials');
    res.json({
      token: rt.portalTokens.issue(tenant, body.username, rt.options.portal?.tokenTtlMs ?? 3_600_000),
    });
  });

  const requireToken = (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req);
    if (!token || !rt.portalTokens.verify(token, param(req, 'tenant'))) {
      return sendProblem(req, res, 401, 'Missing, invalid or expired token');
    }
    next();
  };

  r.get('/:tenant/api/services', requireToken, (req, res) => {
    const tenant = param(req, 'tenant');
    const identifier = typeof req.query.identifier === 'string' ? req.query.identifier : undefined;
    const slug = typeof req.query.slug === 'string' ? req.query.slug : undefined;
    const services = tenantServices(tenant);
    let found = Object.values(services).filter(
      (s) =>
        (identifier === undefined || s.identifier === identifier) && (slug === undefined || s.slug === slug),
    );
    if (found.length === 0 && (identifier || slug) && rt.options.portal?.autoCreateServices) {
      const created = newPortalService({ name: identifier ?? slug ?? 'servizio', slug, identifier });
      services[created.id] = created;
      rt.store.changed();
      found = [created];
    }
    res.json(found.map(view));
  });

  r.get('/:tenant/api/services/:id', requireToken, (req, res) => {
    const s = rt.state.portal[param(req, 'tenant')]?.[param(req, 'id')];
    if (!s) return sendProblem(req, res, 404, 'Service not found');
    res.json(view(s));
  });

  r.patch('/:tenant/api/services/:id', requireToken, (req, res) => {
    const s = rt.state.portal[param(req, 'tenant')]?.[param(req, 'id')];
    if (!s) return sendProblem(req, res, 404, 'Service not found');
    const body = parseOr400(patchServiceRequestSchema, req.body, req, res);
    if (!body) return;
    s.io_service_parameters = { ...body.io_service_parameters, updated_at: rt.now().toISOString() };
    rt.store.changed();
    res.json(view(s));
  });

  return r;
}
