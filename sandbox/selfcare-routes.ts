import { Router } from 'express';
import { safeEqual, subscriptionKey } from './auth';
import { sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';

/** Selfcare's external API: `GET /external/v2/institutions?taxCode=…` (mounted at the root). */
export function selfcareRouter(rt: SandboxRuntime): Router {
  const r = Router();

  r.get('/external/v2/institutions', (req, res) => {
    const key = subscriptionKey(req);
    if (!key || !safeEqual(key, rt.options.selfcareKey)) {
      return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    }
    const taxCode = typeof req.query.taxCode === 'string' ? req.query.taxCode : '';
    if (!taxCode) return sendProblem(req, res, 400, 'taxCode: required');
    const institution = rt.state.institutions[taxCode];
    if (!institution) return sendProblem(req, res, 404, 'No institution with this tax code');
    res.json({ institutions: [institution] });
  });

  return r;
}
