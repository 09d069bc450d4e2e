import { Router } from 'express';
import { z } from 'zod';
import { adminAuth, fingerprint } from './auth';
import { faultOptionsSchema } from './faults';
import { param, parseOr400, sendProblem } from './problem';
import { reviewerConfigSchema } from './reviewer';
import type { SandboxRuntime } from './runtime';
import { ownerOf, serviceView } from './service-ops';
import { manageKeysAdminRouter } from './manage-keys';
import { adminSeedRouter } from './admin-seed-routes';

/**
 * A reviewer's decision. A rejection's reason is the reviewer's last comment, as PagoPA takes the Jira
 * issue's last comment (`src/reviewer/review-checker-handler.ts`): `comments` (the last one counts) or
 * `reason` (a single comment); neither: the reviewer's configured `rejectReason`.
 */
const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject', 'abort']),
  reason: z.string().min(1).optional(),
  comments: z.array(z.string()).optional(),
});

/**
 * Sandbox-only endpoints under `/__admin` (no PagoPA equivalent), behind the admin token:
 * reviews, reviewer mode, faults, reset, counters, sent messages, Selfcare and portal seeding, and the
 * institutions' manage keys (the IO back office's "Chiavi API di gestione").
 */
export function adminRouter(rt: SandboxRuntime): Router {
  const r = Router();
  r.use(adminAuth(rt.options.adminToken));

  r.get('/reviews', (_req, res) => {
    res.json({ pending: rt.reviewer.pending(rt.state) });
  });

  r.post('/services/:id/review', (req, res) => {
    const body = parseOr400(decisionSchema, req.body, req, res);
    if (!body) return;
    const s = rt.service(param(req, 'id'));
    if (!s) return sendProblem(req, res, 404, 'Service not found');
    const reason = body.comments?.length ? body.comments[body.comments.length - 1] : body.reason;
    const error = rt.decideReview(s.id, body.decision, reason);
    if (error) return sendProblem(req, res, 409, error);
    res.json(serviceView(s));
  });

  r.get('/services', (_req, res) => {
    res.json({
      services: Object.values(rt.state.services).map((s) => ({
        id: s.id,
        name: s.data.name,
        organization_fiscal_code: s.data.organization.fiscal_code,
        owner: ownerOf(s),
        group_id: s.group_id ?? null,
        status: s.status,
        publication: s.publication?.status ?? null,
        publication_due_at: s.pendingRelease?.due_at ?? null,
        submissions: s.submissions,
        logo: s.logo ?? null,
        keys: { primary: fingerprint(s.keys.primary_key), secondary: fingerprint(s.keys.secondary_key) },
      })),
    });
  });

  r.get('/reviewer', (_req, res) => {
    res.json(rt.reviewer.describe());
  });

  r.put('/reviewer', (req, res) => {
    const body = parseOr400(reviewerConfigSchema, req.body, req, res);
    if (!body) return;
    rt.setReviewer(body);
    res.json(rt.reviewer.describe());
  });

  r.get('/faults', (_req, res) => {
    res.json(rt.faults.get());
  });

  r.put('/faults', (req, res) => {
    const body = parseOr400(faultOptionsSchema, req.body, req, res);
    if (!body) return;
    rt.setFaults(body);
    res.json(rt.faults.get());
  });

  r.delete('/faults', (_req, res) => {
    rt.setFaults({});
    res.status(204).end();
  });

  r.post('/reset', (_req, res) => {
    rt.reset();
    res.status(204).end();
  });

  r.get('/counters', (_req, res) => {
    res.json(rt.state.counters);
  });

  r.get('/messages', (_req, res) => {
    res.json({ messages: rt.state.messages });
  });

  r.use(adminSeedRouter(rt));
  r.use(manageKeysAdminRouter(rt));
  return r;
}
