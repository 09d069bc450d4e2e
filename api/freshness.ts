import { z } from './zod';

/**
 * How fresh an answer is: every page and list says it. `read-model`: the journey's state as the worker wrote it at the
 * end of the journey's last workflow task (common/read-model-store.ts; `asOf` is that task's time, and the journey
 * has not changed since); `workflow`: read from the workflow for this answer; `cache`:
 * the page's last known state, being refreshed (api/page-cache.ts); `visibility`: a list read from Temporal's
 * visibility (the search attributes and memos the workflows publish). `asOf`: when that state was read.
 */
export interface Freshness {
  source: 'read-model' | 'workflow' | 'cache' | 'visibility';
  asOf: string;
}

export const freshnessSchema = z
  .object({
    source: z.enum(['read-model', 'workflow', 'cache', 'visibility']),
    asOf: z.string(),
  })
  .openapi('Freshness');

/**
 * How fresh a portfolio answer is: `read-model`, the portfolio index as of its last read of the change journal
 * (api/portfolio-index.ts); `visibility`, Temporal's visibility read at `readAt` (the search attributes and memos the
 * workflows publish).
 */
export const portfolioFreshness = (read: {
  readAt: number;
  source: 'read-model' | 'visibility';
}): Freshness => ({
  source: read.source,
  asOf: new Date(read.readAt).toISOString(),
});
