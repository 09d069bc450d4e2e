import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../common/logger';
import type { RequestTiming } from './timing';

/**
 * One structured line per request. Handlers that act on a Comune set `res.locals.workflowId`, so the line carries
 * the workflow id; the query string is left out (it may hold names and filters, never secrets, but stays short).
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = req.header('x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
        // The part spent waiting on Temporal (api/timing.ts), when the request called it.
        ...temporalPart(res.locals.timing as RequestTiming | undefined),
        workflowId: res.locals.workflowId as string | undefined,
        actor: res.locals.actor as string | undefined,
        err: res.locals.error as unknown,
      };
      if (req.path === '/health') logger.debug(line, 'request');
      else if (res.statusCode >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request');
    });
    next();
  };
}

function temporalPart(timing: RequestTiming | undefined): { temporalMs?: number } {
  return timing && timing.temporalMs > 0 ? { temporalMs: Math.round(timing.temporalMs * 10) / 10 } : {};
}
