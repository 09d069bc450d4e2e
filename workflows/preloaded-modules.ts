/**
 * The libraries each workflow thread loads once, before any workflow, and every workflow then shares (the bundle's
 * `preloadModules`, worker/create-worker.ts). Without it, the thread runs a library's module bodies again for each
 * workflow it creates or brings back after an eviction.
 *
 * Only stateless libraries belong here: the SDK freezes what they export, and a workflow must not see another's
 * state through them. zod's module state is its configuration and caches keyed by schema (WeakMaps): no workflow's
 * data, and the same answers for every workflow.
 *
 * zod sets its defaults (the English messages, the memoizer of its containers) in its configuration when the first
 * schema is built, which a frozen configuration refuses: building one here sets them before the SDK freezes it.
 * Building it also keeps zod in the preload: zod declares itself free of side effects, so webpack drops a bare
 * `require('zod')`.
 */
import { z } from 'zod';

z.object({ preload: z.array(z.string()) }).safeParse({ preload: [] });
