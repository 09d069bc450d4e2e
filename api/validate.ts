import type { Request } from 'express';
import type { z } from 'zod';
import { zodProblem } from './problem';

/** Parses one part of a request with its schema, or throws a 400 Problem naming the offending fields. */
export function parse<S extends z.ZodType>(
  schema: S,
  req: Request,
  where: 'body' | 'query' | 'params',
): z.infer<S> {
  const result = schema.safeParse(req[where]);
  if (!result.success) throw zodProblem(result.error, where);
  return result.data;
}
