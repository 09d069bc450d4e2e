import type { Request, Response } from 'express';
import type { z } from 'zod';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Answers with PagoPA's Problem JSON (`application/problem+json`). */
export function sendProblem(
  req: Request,
  res: Response,
  status: number,
  detail?: string,
  title?: string,
): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: title ?? TITLES[status] ?? 'Error',
        status,
        detail,
        // The path only: a query string could carry something private.
        instance: req.path,
      }),
    );
}

/** `name: message; organization.fiscal_code: message` — the fields, never their values. */
export function zodDetail(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}

/** Validates `value` or answers 400 naming the failing fields; returns undefined when it answered. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  req: Request,
  res: Response,
  what = 'Invalid payload',
): z.output<S> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  sendProblem(req, res, 400, `${what}: ${zodDetail(parsed.error)}`);
  return undefined;
}

/** Route params are strings in express 5 typings for named params; this keeps call sites short. */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
