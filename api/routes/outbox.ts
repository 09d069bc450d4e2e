import { Router } from 'express';
import { z } from 'zod';
import type { FileOutbox } from '../../integrations/mail';
import { HttpProblem } from '../problem';
import { parse } from '../validate';

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  to: z.string().trim().min(3).max(254).optional(),
  comune: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9_]{2,20}$/)
    .optional(),
});

/** Every e-mail the local SMTP catcher received: what would have gone out, for demos and checks. */
export function outboxRouter(outbox: FileOutbox | undefined): Router {
  const router = Router();
  const requireOutbox = (): FileOutbox => {
    if (!outbox) {
      throw new HttpProblem(
        404,
        'Outbox non disponibile',
        'le e-mail partono da un server SMTP reale (SMTP_HOST)',
      );
    }
    return outbox;
  };
  router.get('/', async (req, res) => {
    const q = parse(listQuerySchema, req, 'query');
    const page = await requireOutbox().listOutbox({
      limit: q.limit,
      offset: q.offset,
      to: q.to,
      comuneIpa: q.comune,
    });
    res.json(page);
  });
  router.get('/:id', async (req, res) => {
    const id = parse(z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/) }), req, 'params').id;
    const message = await requireOutbox().getMessage(id);
    if (!message) throw new HttpProblem(404, 'Messaggio non trovato');
    res.json(message);
  });
  return router;
}
