import { roleSchema } from '../auth/roles';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { HttpProblem } from '../problem';
import { z } from '../zod';
import { actorLabel } from '../auth/roles';

const tokenInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
    /** Last authenticated request, written at most once a minute. */
    lastUsedAt: z.string().optional(),
  })
  .openapi('TokenInfo');

export function registerAdminRoutes(api: ApiBuilder, ctx: ApiContext): void {
  api.add({
    method: 'get',
    path: '/admin/tokens',
    summary: 'Elenco dei token (mai il segreto)',
    tags: ['Amministrazione'],
    role: 'admin',
    response: z.object({ items: z.array(tokenInfoSchema) }),
    handler: async () => ({ items: ctx.tokens.list() }),
  });

  api.add({
    method: 'post',
    path: '/admin/tokens',
    summary: 'Crea un token per una persona: il segreto è mostrato solo in questa risposta',
    tags: ['Amministrazione'],
    role: 'admin',
    body: z.object({
      name: z.string().trim().min(2).max(80),
      role: roleSchema,
      expiresAt: z.iso.datetime({ offset: true }).optional(),
    }),
    successStatus: 201,
    response: z.object({ token: z.string(), info: tokenInfoSchema }),
    handler: async ({ body, actor }) => {
      if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) {
        throw new HttpProblem(400, 'Richiesta non valida', 'expiresAt: la scadenza deve essere futura', [
          { field: 'body.expiresAt', message: 'deve essere futura' },
        ]);
      }
      return ctx.tokens.create({ ...body, createdBy: actorLabel(actor) });
    },
  });

  api.add({
    method: 'delete',
    path: '/admin/tokens/:id',
    summary: 'Revoca un token',
    tags: ['Amministrazione'],
    role: 'admin',
    params: z.object({ id: z.string().regex(/^[a-z0-9]{12}$/, 'identificativo del token') }),
    response: tokenInfoSchema,
    errors: { 404: 'Token non trovato' },
    handler: async ({ params }) => {
      const info = ctx.tokens.revoke(params.id);
      if (!info) {
        throw new HttpProblem(404, 'Token non trovato', `Nessun token con identificativo ${params.id}`);
      }
      return info;
    },
  });

  api.add({
    method: 'get',
    path: '/me',
    summary: 'Chi sono: nome e ruolo del token usato',
    tags: ['Amministrazione'],
    role: 'staff',
    response: z.object({ name: z.string(), role: roleSchema, via: z.string() }),
    handler: async ({ actor }) => ({ name: actor.name, role: actor.role, via: actor.via }),
  });
}
