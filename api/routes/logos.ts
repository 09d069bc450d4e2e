import multer from 'multer';
import { checkLogo } from '../../integrations/documents/png';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { HttpProblem } from '../problem';
import { z } from '../zod';

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 2 * 1024 * 1024, files: 1 } });

export function registerLogoRoutes(api: ApiBuilder, ctx: ApiContext): void {
  api.add({
    method: 'post',
    path: '/logos',
    summary:
      'Carica il logo dell’ente (PNG 300×300, sfondo bianco o trasparente): restituisce il riferimento per le schede',
    tags: ['Servizi'],
    role: 'staff',
    multipart: { fields: z.object({}), fileField: 'file', fileDescription: 'Il logo PNG' },
    middleware: [upload.single('file')],
    successStatus: 201,
    response: z.object({ logoRef: z.string(), size: z.number() }),
    errors: { 413: 'File troppo grande', 422: 'Logo non conforme' },
    handler: async ({ req }) => {
      if (!req.file || req.file.size === 0) {
        throw new HttpProblem(400, 'Richiesta non valida', 'file: manca il logo PNG', [
          { field: 'body.file', message: 'obbligatorio' },
        ]);
      }
      const problems = checkLogo(req.file.buffer);
      if (problems.length > 0) throw new HttpProblem(422, 'Logo non conforme', problems.join('; '));
      const stored = await ctx.documents.put(req.file.buffer, {
        contentType: 'image/png',
        originalName: req.file.originalname,
      });
      return { logoRef: stored.sha256, size: stored.size };
    },
  });
}
