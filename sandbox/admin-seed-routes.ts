import { Router } from 'express';
import { z } from 'zod';
import { fingerprint } from './auth';
import { newPortalService } from './portal-routes';
import { param, parseOr400, sendProblem } from './problem';
import { institutionSeedSchema, type SandboxRuntime } from './runtime';
import type { PortalServiceRecord } from './state-store';

const portalSeedSchema = z.array(
  z.object({
    name: z.string().min(1),
    slug: z.string().min(1).optional(),
    identifier: z.string().min(1).optional(),
  }),
);

/** The admin view of a portal service: whether the keys are set and their fingerprints, never the keys. */
function portalAdminView(rt: SandboxRuntime, s: PortalServiceRecord) {
  const io = s.io_service_parameters;
  const ioService = io ? rt.service(io.IOserviceId) : undefined;
  return {
    id: s.id,
    name: s.name,
    slug: s.slug,
    identifier: s.identifier ?? null,
    io: io
      ? {
          IOserviceId: io.IOserviceId,
          primaryKey: { set: true, sha256: fingerprint(io.primaryKey) },
          secondaryKey: { set: true, sha256: fingerprint(io.secondaryKey) },
          /** Whether the keys are the IO service's current ones (null: no such IO service). */
          matchesIoService: ioService
            ? ioService.keys.primary_key === io.primaryKey && ioService.keys.secondary_key === io.secondaryKey
            : null,
          updated_at: io.updated_at,
        }
      : null,
  };
}

/** Seeding and inspection of Selfcare institutions and portal tenants (mounted under `/__admin`). */
export function adminSeedRouter(rt: SandboxRuntime): Router {
  const r = Router();

  r.get('/selfcare/institutions', (_req, res) => {
    res.json({ institutions: Object.values(rt.state.institutions) });
  });

  r.put('/selfcare/institutions/:taxCode', (req, res) => {
    const body = parseOr400(institutionSeedSchema, req.body, req, res);
    if (!body) return;
    res.json(rt.upsertInstitution(param(req, 'taxCode'), body));
  });

  r.delete('/selfcare/institutions/:taxCode', (req, res) => {
    delete rt.state.institutions[param(req, 'taxCode')];
    rt.store.changed();
    res.status(204).end();
  });

  r.get('/portal', (_req, res) => {
    const tenants = Object.fromEntries(
      Object.entries(rt.state.portal).map(([tenant, services]) => [
        tenant,
        Object.values(services).map((s) => portalAdminView(rt, s)),
      ]),
    );
    res.json({ tenants });
  });

  r.get('/portal/tenants/:tenant/services', (req, res) => {
    const services = rt.state.portal[param(req, 'tenant')];
    if (!services) return sendProblem(req, res, 404, 'Unknown tenant');
    res.json({ services: Object.values(services).map((s) => portalAdminView(rt, s)) });
  });

  /** Adds services to a tenant (a service with the same slug is kept as it is). */
  r.put('/portal/tenants/:tenant/services', (req, res) => {
    const body = parseOr400(portalSeedSchema, req.body, req, res);
    if (!body) return;
    const services = (rt.state.portal[param(req, 'tenant')] ??= {});
    for (const seed of body) {
      const candidate = newPortalService(seed);
      if (!Object.values(services).some((s) => s.slug === candidate.slug)) services[candidate.id] = candidate;
    }
    rt.store.changed();
    res.json({ services: Object.values(services).map((s) => portalAdminView(rt, s)) });
  });

  r.post('/portal/tokens/expire', (_req, res) => {
    rt.portalTokens.expireAll();
    res.status(204).end();
  });

  return r;
}
