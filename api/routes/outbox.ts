import type { FileOutbox } from '../../integrations/mail';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { portfolioReader } from '../portfolio-index';
import { HttpProblem } from '../problem';
import { z } from '../zod';

const messageSchema = z
  .object({
    id: z.string(),
    subject: z.string(),
    to: z.array(z.string()),
    cc: z.array(z.string()).optional(),
    receivedAt: z.string(),
    text: z.string().optional(),
    from: z.string().optional(),
    /** The Comune the e-mail is about (IPA code and name), when it is about one. */
    comuneIpa: z.string().nullable().optional(),
    comuneName: z.string().optional(),
    /** The notification's kind, and its Italian label from the notification registry. */
    kind: z.string().optional(),
    kindLabel: z.string().nullable().optional(),
  })
  .loose()
  .openapi('OutboxMessage');

/** Every e-mail the local SMTP catcher received: what would have gone out, for demos and checks. */
export function registerOutboxRoutes(api: ApiBuilder, ctx: ApiContext): void {
  const outbox = ctx.outbox;
  /** The Comuni's names by IPA code, from the portfolio's shared visibility read. */
  const comuneNames = async () =>
    new Map((await portfolioReader(ctx).list({})).map((c) => [c.ipaCode, c.name] as const));
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
  api.add({
    method: 'get',
    path: '/outbox',
    summary: 'E-mail inviate (catturate dal server SMTP locale), le più recenti per prime',
    tags: ['E-mail'],
    role: 'staff',
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      offset: z.coerce.number().int().min(0).default(0),
      to: z.string().trim().min(3).max(254).optional(),
      comune: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9_]{2,20}$/, 'codice IPA')
        .optional(),
      /** The Comune's name, as the Comuni list searches it (accents and case do not matter). */
      comuneName: z.string().trim().min(2).max(100).optional(),
    }),
    response: z.object({
      total: z.number(),
      limit: z.number(),
      offset: z.number(),
      items: z.array(messageSchema),
    }),
    errors: { 404: 'Outbox non disponibile' },
    handler: async ({ query }) => {
      const box = requireOutbox();
      const comuneIpas = query.comuneName
        ? (await portfolioReader(ctx).list({ q: query.comuneName })).map((c) => c.ipaCode)
        : undefined;
      const page = await box.listOutbox({
        limit: query.limit,
        offset: query.offset,
        to: query.to,
        comuneIpa: query.comune,
        ...(comuneIpas ? { comuneIpas } : {}),
      });
      const names = await comuneNames();
      return {
        ...page,
        items: page.items.map((m) => ({
          ...m,
          ...(m.comuneIpa && names.has(m.comuneIpa) ? { comuneName: names.get(m.comuneIpa) } : {}),
        })),
      } as unknown as {
        total: number;
        limit: number;
        offset: number;
        items: z.infer<typeof messageSchema>[];
      };
    },
  });
  api.add({
    method: 'get',
    path: '/outbox/:id',
    summary: 'Una e-mail dell’outbox, con testo e HTML',
    tags: ['E-mail'],
    role: 'staff',
    params: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'identificativo del messaggio') }),
    response: messageSchema,
    errors: { 404: 'Messaggio non trovato' },
    handler: async ({ params }) => {
      const message = await requireOutbox().getMessage(params.id);
      if (!message) throw new HttpProblem(404, 'Messaggio non trovato');
      const name = message.comuneIpa ? (await comuneNames()).get(message.comuneIpa) : undefined;
      return { ...message, ...(name ? { comuneName: name } : {}) } as unknown as z.infer<
        typeof messageSchema
      >;
    },
  });
}
