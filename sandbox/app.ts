import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { adminRouter } from './admin-routes';
import { ioManageRouter } from './io-manage-routes';
import { creationLimiter, manageAuth, sourceIpCheck } from './manage-access';
import { ioReviewRouter } from './io-review-routes';
import { messagesRouter } from './messages-routes';
import { portalRouter } from './portal-routes';
import { sendProblem } from './problem';
import { SandboxRuntime, type SandboxOptions } from './runtime';
import { selfcareRouter } from './selfcare-routes';
import { StateStore } from './state-store';

export type SandboxApp = Express & { sandbox: SandboxRuntime };

export interface SandboxAppOptions extends SandboxOptions {
  /** The state store; default: in memory only. */
  store?: StateStore;
}

/** The route pattern a request matched (`GET /api/v1/manage/services/:id`): no ids or fiscal codes. */
function routeKey(req: Request, res: Response): string {
  if (res.locals.faultInjected) return `${req.method} (fault injected)`;
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string'
    ? `${req.method} ${req.baseUrl}${route.path}`
    : `${req.method} (no route)`;
}

/**
 * The sandbox as an express app: IO manage (`/api/v1/manage`), IO messages (`/api/v1`), Selfcare
 * (`/external/v2`), the portal (`/portal/{tenant}/api`) and the admin API (`/__admin`).
 */
export function createSandboxApp(options: SandboxAppOptions): SandboxApp {
  const rt = new SandboxRuntime(options, options.store ?? StateStore.inMemory());
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.use((req, res, next) => {
    const started = Date.now();
    res.on('finish', () => {
      const route = routeKey(req, res);
      if (!req.path.startsWith('/__admin')) rt.count(route);
      rt.logger.debug({ route, status: res.statusCode, durationMs: Date.now() - started }, 'sandbox request');
    });
    next();
  });
  // Body first: a request whose client gives up during injected latency is still processed, as a real server would.
  app.use(express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] }));
  app.use(rt.faults.middleware());
  app.use((_req, _res, next) => {
    rt.settle();
    next();
  });

  app.get('/__health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/__admin', adminRouter(rt));
  // The gateway checks the key, then the creation concurrency limit; PagoPA's functions check the caller's address.
  app.use(
    '/api/v1/manage',
    manageAuth(rt),
    creationLimiter(rt),
    sourceIpCheck(rt),
    ioManageRouter(rt),
    ioReviewRouter(rt),
  );
  app.use('/api/v1', messagesRouter(rt));
  app.use(selfcareRouter(rt));
  app.use('/portal', portalRouter(rt));

  app.use((req: Request, res: Response) => sendProblem(req, res, 404, 'No such endpoint'));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.parse.failed')
      return sendProblem(req, res, 400, 'Invalid payload: body is not valid JSON');
    if (type === 'entity.too.large')
      return sendProblem(req, res, 413, 'Payload too large', 'Payload Too Large');
    rt.logger.error({ err, route: routeKey(req, res) }, 'sandbox internal error');
    sendProblem(req, res, 500, 'Unexpected sandbox error');
  });

  return Object.assign(app, { sandbox: rt });
}
