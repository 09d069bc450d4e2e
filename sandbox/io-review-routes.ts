import { Router } from 'express';
import { z } from 'zod';
import { reviewRequestSchema } from '../integrations/io/schemas';
import { ownedService } from './io-manage-routes';
import { parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import { applyLifecycle, applyPublication, publicationView } from './service-ops';

const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  order: z.enum(['ASC', 'DESC']).default('DESC'),
});

/** Review, release and history of the IO manage API (mounted at `/api/v1/manage`, after `manageAuth`). */
export function ioReviewRouter(rt: SandboxRuntime): Router {
  const r = Router();

  r.put('/services/:id/review', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const body = parseOr400(reviewRequestSchema, req.body, req, res);
    if (!body) return;
    const now = rt.now();
    const error = applyLifecycle(s, 'submit', now);
    if (error) return sendProblem(req, res, 409, error);
    s.submissions += 1;
    rt.reviewer.onSubmit(s, rt.state, body.auto_publish, now);
    rt.store.changed();
    res.status(204).end();
  });

  r.post('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    if (s.status.value === 'deleted') return sendProblem(req, res, 404, 'Service not found');
    const error = applyPublication(s, 'publish', rt.now());
    if (error) return sendProblem(req, res, error.status, error.error);
    rt.store.changed();
    res.status(204).end();
  });

  r.get('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const view = publicationView(s);
    if (!view) return sendProblem(req, res, 404, 'The service has never been published');
    res.json(view);
  });

  r.delete('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const error = applyPublication(s, 'unpublish', rt.now());
    if (error) return sendProblem(req, res, error.status, error.error);
    rt.store.changed();
    res.status(204).end();
  });

  r.get('/services/:id/history', (req, res) => {
    const s = ownedService(rt, req, res);
    if (!s) return;
    const q = parseOr400(historyQuerySchema, req.query, req, res, 'Invalid query');
    if (!q) return;
    const items = s.history.map((h) => ({
      id: s.id,
      status: { kind: h.kind, value: h.value, ...(h.reason ? { reason: h.reason } : {}) },
      version: h.version,
      last_update: h.at,
      name: h.name,
    }));
    if (q.order === 'DESC') items.reverse();
    res.json({ items: items.slice(0, q.limit) });
  });

  return r;
}
