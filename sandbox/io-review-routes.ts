import { Router } from 'express';
import { z } from 'zod';
import { reviewRequestSchema } from '../integrations/io/schemas';
import { callerOf, isLegacy, ownedService } from './manage-access';
import { parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import { applyLifecycle, applyPublication, historyItems, publicationView } from './service-ops';

const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  order: z.enum(['ASC', 'DESC']).default('DESC'),
  continuationToken: z.string().min(1).optional(),
});

/** The opaque continuation token of `GET /history`: where the next page starts, for one order. */
const tokenSchema = z.object({ n: z.number().int().min(1), o: z.enum(['ASC', 'DESC']) });
const encodeToken = (next: number, order: 'ASC' | 'DESC'): string =>
  Buffer.from(JSON.stringify({ n: next, o: order })).toString('base64url');
function decodeToken(token: string, order: 'ASC' | 'DESC'): number | undefined {
  try {
    const parsed = tokenSchema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success && parsed.data.o === order ? parsed.data.n : undefined;
  } catch {
    return undefined;
  }
}

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

  /**
   * Publishes the published copy, i.e. the last approved version even when the service was edited since
   * (`publish-service.ts`: fetch the publication, 404 when the queue has not written it, then `publish`).
   */
  r.post('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    if (isLegacy(res) && !s.publication && !s.pendingRelease && s.status.value !== 'approved') {
      // Legacy partner key (transitional): a service never approved is refused as before, 409.
      return sendProblem(
        req,
        res,
        409,
        `cannot publish a service in status ${s.status.value}: it must be approved`,
      );
    }
    const error = applyPublication(s, 'publish', rt.now());
    if (error)
      return sendProblem(
        req,
        res,
        error.status,
        `no item with id ${s.id} found: ${error.error}`,
        'Not found',
      );
    rt.store.changed();
    res.status(204).end();
  });

  r.get('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    const view = publicationView(s);
    if (!view)
      return sendProblem(
        req,
        res,
        404,
        `no item with id ${s.id} found: the service has no published copy`,
        'Not found',
      );
    res.json(view);
  });

  r.delete('/services/:id/release', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    const error = applyPublication(s, 'unpublish', rt.now());
    if (error)
      return sendProblem(
        req,
        res,
        error.status,
        `no item with id ${s.id} found: ${error.error}`,
        'Not found',
      );
    rt.store.changed();
    res.status(204).end();
  });

  /** `{items, continuationToken}`: each item the full service data plus its status and `last_update`. */
  r.get('/services/:id/history', (req, res) => {
    const s = ownedService(rt, req, res, { live: true });
    if (!s) return;
    const q = parseOr400(historyQuerySchema, req.query, req, res, 'Invalid query');
    if (!q) return;
    const start = q.continuationToken === undefined ? 0 : decodeToken(q.continuationToken, q.order);
    if (start === undefined) {
      return sendProblem(req, res, 400, 'Invalid query: continuationToken: not a token of this query');
    }
    const items = historyItems(s, { includeReleases: callerOf(res).kind !== 'legacy' });
    if (q.order === 'DESC') items.reverse();
    const next = start + q.limit;
    res.json({
      items: items.slice(start, next),
      ...(next < items.length ? { continuationToken: encodeToken(next, q.order) } : {}),
    });
  });

  return r;
}
