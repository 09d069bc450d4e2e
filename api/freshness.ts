import { z } from './zod';

/** How fresh an answer is (contracts/read-model.ts): every page and list says it. */
export const freshnessSchema = z
  .object({
    source: z.enum(['read-model', 'workflow', 'visibility']),
    asOf: z.string(),
    writtenAt: z.string().optional(),
  })
  .openapi('Freshness');

/** A list read from Temporal's visibility at `readAt` (the search attributes and memos the workflows publish). */
export const visibilityFreshness = (readAt: number) => ({
  source: 'visibility' as const,
  asOf: new Date(readAt).toISOString(),
});
