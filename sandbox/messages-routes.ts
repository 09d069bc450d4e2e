import { Router, type Request } from 'express';
import { ulid } from 'ulid';
import { SANDBOX_FISCAL_CODE, newMessageSchema } from '../integrations/io/messages-client';
import { PERSONAL_FISCAL_CODE } from '../integrations/io/schemas';
import { subscriptionKey } from './auth';
import { KeyIndex } from './key-index';
import { clientAddress, ipAllowed } from './client-ip';
import { param, parseOr400, sendProblem } from './problem';
import type { SandboxRuntime } from './runtime';
import { MAX_STORED_MESSAGES, type StoredService } from './state-store';

export { SANDBOX_FISCAL_CODE, ipAllowed };

/** Services by their keys (one lookup by digest, not a comparison with every service's keys). */
const serviceKeys = new KeyIndex<StoredService>((s) => [s.keys.primary_key, s.keys.secondary_key]);

/** IO's messages API (mounted at `/api/v1`), authenticated by a service's own key. */
export function messagesRouter(rt: SandboxRuntime): Router {
  const r = Router();

  const serviceForKey = (req: Request): StoredService | undefined => {
    const key = subscriptionKey(req);
    if (!key) return undefined;
    const s = serviceKeys.find(rt.state.services, key);
    return s && s.status.value !== 'deleted' ? s : undefined;
  };

  r.post('/messages', (req, res) => {
    const s = serviceForKey(req);
    if (!s) return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    const cidrs = s.data.authorized_cidrs ?? [];
    if (
      rt.options.enforceCidrs &&
      cidrs.length > 0 &&
      !ipAllowed(clientAddress(req, rt.options.trustForwardedFor), cidrs)
    ) {
      return sendProblem(req, res, 403, 'The caller IP is not among the authorized_cidrs of the service');
    }
    const body = parseOr400(newMessageSchema, req.body, req, res);
    if (!body) return;
    const published = s.publication?.status === 'published';
    const authorized =
      body.fiscal_code === SANDBOX_FISCAL_CODE ||
      (s.data.authorized_recipients ?? []).includes(body.fiscal_code);
    if (!published && !authorized) {
      return sendProblem(
        req,
        res,
        403,
        'The service is not published: it may only write to its authorized recipients',
        'Recipient forbidden',
      );
    }
    const id = ulid();
    const messages = rt.state.messages;
    messages.push({
      id,
      service_id: s.id,
      fiscal_code: body.fiscal_code,
      subject: body.content.subject,
      created_at: rt.now().toISOString(),
    });
    if (messages.length > MAX_STORED_MESSAGES) messages.splice(0, messages.length - MAX_STORED_MESSAGES);
    rt.store.changed();
    res.status(201).location(`/api/v1/messages/${body.fiscal_code}/${id}`).json({ id });
  });

  r.get('/profiles/:fiscalCode', (req, res) => {
    if (!serviceForKey(req)) return sendProblem(req, res, 401, 'Missing or invalid subscription key');
    if (!PERSONAL_FISCAL_CODE.test(param(req, 'fiscalCode'))) {
      return sendProblem(req, res, 400, 'fiscal_code: must be a fiscal code');
    }
    res.json({ sender_allowed: true, preferred_languages: ['it_IT'] });
  });

  return r;
}
