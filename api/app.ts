import path from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { authenticate } from './auth/authenticate';
import type { ApiContext } from './context';
import { domainLabelsModule } from './domain-labels';
import { ApiBuilder } from './endpoint';
import { apiRateLimits, type HardeningOptions } from './hardening';
import { checkHealth } from './health';
import { errorHandler, notFoundHandler } from './problem';
import { requestLogger } from './request-logger';
import { registerAdminRoutes } from './routes/admin';
import { registerComuniRoutes } from './routes/comuni';
import { registerDossierRoutes } from './routes/dossier';
import { registerImportRoutes } from './routes/imports';
import { registerLogoRoutes } from './routes/logos';
import { registerOutboxRoutes } from './routes/outbox';
import { registerPortfolioRoutes } from './routes/portfolio';
import { registerStepRoutes } from './routes/steps';

export type { ApiContext } from './context';

/** Extra route groups (imports, bulk jobs) registered by their modules. */
export type RouteModule = (api: ApiBuilder, ctx: ApiContext) => void;

/** Every API route, on one builder: its router serves them, its registry documents them. */
function buildApi(ctx: ApiContext, modules: RouteModule[]): ApiBuilder {
  const api = new ApiBuilder();
  registerComuniRoutes(api, ctx);
  registerStepRoutes(api, ctx);
  registerDossierRoutes(api, ctx);
  registerPortfolioRoutes(api, ctx);
  registerLogoRoutes(api, ctx);
  registerOutboxRoutes(api, ctx);
  registerAdminRoutes(api, ctx);
  registerImportRoutes(api, ctx, ctx.registrationDefaults);
  for (const register of modules) register(api, ctx);
  return api;
}

/**
 * The document served as /api/v1/openapi.json, built without a server or Temporal: routes only read their context
 * when a request arrives, so an empty one is enough (scripts/generate-console-types.ts).
 */
export function openApiDocument(modules: RouteModule[] = []): ReturnType<ApiBuilder['openApiDocument']> {
  return buildApi({} as ApiContext, modules).openApiDocument();
}

export function createApp(
  ctx: ApiContext,
  modules: RouteModule[] = [],
  hardening: HardeningOptions = {},
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLogger(ctx.logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'style-src': ["'self'", "'unsafe-inline'"],
        },
      },
    }),
  );

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(ctx.client, ctx.namespace, ctx.taskQueue, ctx.servicesTaskQueue);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });

  const api = buildApi(ctx, modules);
  const openApi = api.openApiDocument();
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  const swaggerUi = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  app.use('/api/v1/docs/assets', express.static(swaggerUi, { index: false }));
  app.use('/api/v1/docs', express.static(path.join(__dirname, 'docs'), { index: 'index.html' }));

  // Rate limits before body parsing and authentication (api/hardening.ts).
  app.use('/api/v1', apiRateLimits(ctx.tokens, hardening.rateLimits));
  app.use('/api/v1', express.json({ limit: '1mb' }), authenticate(ctx.tokens, ctx.oidc), api.router);

  // The domain's labels as an ES module generated from the contracts, so the console never copies them.
  const domainLabels = domainLabelsModule();
  app.get('/domain-labels.js', (_req, res) => {
    res.type('application/javascript').send(domainLabels);
  });
  // The console: static files (HTML, CSS, JS modules) served by the API itself.
  const consoleDir = path.join(__dirname, 'console');
  app.get('/', (_req, res) => res.sendFile(path.join(consoleDir, 'index.html')));
  app.use('/', express.static(consoleDir));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
