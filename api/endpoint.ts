import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';
import { problemSchema } from './problem';
import { HttpProblem, zodProblem } from './problem';
import { roleAllows, roleLabels, type Actor, type Role } from './auth/roles';
import { newRequestTiming, serverTimingHeader, withRequestTiming } from './timing';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  req: Request;
  res: Response;
}

export interface EndpointSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  method: Method;
  /** Express-style path below /api/v1, e.g. `/comuni/:ipa`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The least role that may call it; `public` needs no token. */
  role: Role | 'public';
  params?: P;
  query?: Q;
  body?: B;
  /** Multipart upload (parsed by `middleware`): documented as form data with these fields. */
  multipart?: { fields: z.ZodObject; fileField: string; fileDescription: string };
  middleware?: RequestHandler[];
  successStatus?: number;
  /** `pdf`: the handler returns the document's bytes. */
  response: R | 'csv' | 'html' | 'pdf' | 'empty';
  /** A JSON answer also given as CSV (`?format=csv`, sent by the handler itself): documented beside the JSON. */
  alsoCsv?: boolean;
  /** Extra documented errors besides 400/401/403. */
  errors?: Record<number, string>;
  handler: (
    ctx: HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>>,
  ) => Promise<z.infer<R> | string | Buffer | undefined>;
}

const openApiPath = (p: string) => p.replace(/:([A-Za-z_]+)/g, '{$1}');

/**
 * One definition per endpoint: its zod schemas validate the request, its role guards it, and the same schemas
 * generate the OpenAPI document, so the documentation cannot drift from the code.
 */
export class ApiBuilder {
  readonly registry = new OpenAPIRegistry();
  readonly router = Router();

  constructor() {
    this.registry.registerComponent('securitySchemes', 'bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'Token del back office (o JWT OIDC, se configurato)',
    });
  }

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    spec: EndpointSpec<P, Q, B, R>,
  ): void {
    this.document(spec);
    const handler: RequestHandler = async (req, res) => {
      const actor = res.locals.actor as Actor | undefined;
      const parse = <S extends z.ZodType>(
        schema: S | undefined,
        value: unknown,
        where: 'params' | 'query' | 'body',
      ) => {
        if (!schema) return undefined as z.infer<S>;
        const result = schema.safeParse(value);
        if (!result.success) throw zodProblem(result.error, where);
        return result.data;
      };
      const params = parse(spec.params, req.params, 'params');
      const query = parse(spec.query, req.query, 'query');
      const body = parse((spec.body ?? spec.multipart?.fields) as B | undefined, req.body ?? {}, 'body');
      const timing = newRequestTiming();
      res.locals.timing = timing;
      const result = await withRequestTiming(timing, () =>
        spec.handler({ params, query, body, actor: actor!, req, res }),
      );
      if (res.headersSent) return;
      res.setHeader('Server-Timing', serverTimingHeader(timing));
      const status = spec.successStatus ?? 200;
      if (spec.response === 'empty' || result === undefined) res.status(status === 200 ? 204 : status).end();
      else if (spec.response === 'csv') res.status(status).type('text/csv; charset=utf-8').send(result);
      else if (spec.response === 'html') res.status(status).type('html').send(result);
      else if (spec.response === 'pdf') res.status(status).type('application/pdf').send(result);
      else res.status(status).json(result);
    };
    const middleware = spec.role === 'public' ? [] : [requireActorBeforeUpload(spec.role)];
    this.router[spec.method](spec.path, ...middleware, ...(spec.middleware ?? []), handler);
  }

  openApiDocument(serverUrl = '/api/v1'): ReturnType<OpenApiGeneratorV3['generateDocument']> {
    return new OpenApiGeneratorV3(this.registry.definitions).generateDocument({
      openapi: '3.0.3',
      info: {
        title: 'Back office App IO per i Comuni',
        version: '1.0.0',
        description:
          'API del back office che accompagna i Comuni su App IO (PNRR 1.4.3). Ogni errore è un Problem JSON ' +
          '(RFC 9457) con i campi non validi elencati in `errors`.',
      },
      servers: [{ url: serverUrl }],
    });
  }

  private document<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    spec: EndpointSpec<P, Q, B, R>,
  ): void {
    const problem = (description: string) => ({
      description,
      content: { 'application/problem+json': { schema: problemSchema } },
    });
    const errors: Record<string, ReturnType<typeof problem>> = { '400': problem('Richiesta non valida') };
    if (spec.role !== 'public') {
      errors['401'] = problem('Token mancante o non valido');
      errors['403'] = problem('Ruolo insufficiente');
    }
    for (const [status, description] of Object.entries(spec.errors ?? {}))
      errors[status] = problem(description);
    const success =
      spec.response === 'empty'
        ? { description: 'Fatto' }
        : spec.response === 'csv'
          ? { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }
          : spec.response === 'html'
            ? { description: 'HTML', content: { 'text/html': { schema: z.string() } } }
            : spec.response === 'pdf'
              ? {
                  description: 'PDF',
                  content: {
                    'application/pdf': { schema: z.string().openapi({ type: 'string', format: 'binary' }) },
                  },
                }
              : {
                  description: 'OK',
                  content: {
                    'application/json': { schema: spec.response },
                    ...(spec.alsoCsv ? { 'text/csv': { schema: z.string() } } : {}),
                  },
                };
    this.registry.registerPath({
      method: spec.method,
      path: openApiPath(spec.path),
      summary: spec.summary,
      description: spec.description,
      tags: spec.tags,
      security: spec.role === 'public' ? [] : [{ bearer: [] }],
      // The least role allowed: read by the console and by the authorisation matrix test.
      'x-required-role': spec.role,
      request: {
        ...(spec.params ? { params: spec.params as unknown as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as unknown as z.ZodObject } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
        ...(spec.multipart
          ? {
              body: {
                content: {
                  'multipart/form-data': {
                    schema: spec.multipart.fields.extend({
                      [spec.multipart.fileField]: z.string().openapi({
                        type: 'string',
                        format: 'binary',
                        description: spec.multipart.fileDescription,
                      }),
                    }),
                  },
                },
              },
            }
          : {}),
      },
      responses: {
        [String(spec.successStatus ?? (spec.response === 'empty' ? 204 : 200))]: success,
        ...errors,
      },
    });
  }
}

/** Authorisation runs before any upload is read: a forbidden request never streams its file. */
function requireActorBeforeUpload(role: Role): RequestHandler {
  return (_req, res, next) => {
    const actor = res.locals.actor as Actor | undefined;
    if (!actor) {
      next(
        new HttpProblem(401, 'Autenticazione richiesta', 'manca un token valido (Authorization: Bearer …)'),
      );
      return;
    }
    if (!roleAllows(actor.role, role)) {
      next(
        new HttpProblem(
          403,
          'Operazione non consentita',
          `serve il ruolo «${roleLabels[role]}»; il tuo è «${roleLabels[actor.role]}»`,
        ),
      );
      return;
    }
    next();
  };
}
