import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';

/** Every API error has this one shape (RFC 9457 Problem Details), with the offending fields named. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Problem['errors'],
  ) {
    super(detail ?? title);
  }
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').json(problem);
}

export function zodProblem(error: z.ZodError, where: 'body' | 'query' | 'params' | 'headers'): HttpProblem {
  const errors = error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return new HttpProblem(
    400,
    'Richiesta non valida',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  );
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, { type: 'about:blank', title: 'Risorsa non trovata', status: 404, instance: req.path });
};

export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  if (err instanceof HttpProblem) {
    sendProblem(res, {
      type: 'about:blank',
      title: err.title,
      status: err.status,
      detail: err.detail,
      instance: req.path,
      errors: err.errors,
    });
    return;
  }
  if ((err as { name?: string }).name === 'MulterError') {
    const code = (err as { code?: string }).code;
    sendProblem(res, {
      type: 'about:blank',
      title: code === 'LIMIT_FILE_SIZE' ? 'File troppo grande' : 'Caricamento non valido',
      status: code === 'LIMIT_FILE_SIZE' ? 413 : 400,
      detail: (err as Error).message,
      instance: req.path,
    });
    return;
  }
  // body-parser errors (malformed JSON, too large) carry a status.
  const status =
    (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    sendProblem(res, {
      type: 'about:blank',
      title: 'Richiesta non valida',
      status,
      detail: err instanceof Error ? err.message : String(err),
      instance: req.path,
    });
    return;
  }
  res.locals.error = err;
  sendProblem(res, { type: 'about:blank', title: 'Errore interno', status: 500, instance: req.path });
};
