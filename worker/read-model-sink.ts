import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from '../common/logger';
import type { ReadModelStore } from '../common/read-model-store';
import type { ReadModelSinks } from '../contracts/read-model';

/**
 * The sink the journeys hand their read-model documents to (contracts/read-model.ts). The worker awaits it before it
 * completes the workflow task, so the documents are on disk before a step's answer reaches the API. Not called for
 * replayed tasks. A write that fails is logged and the document removed: its page asks the journey to write it again.
 */
export function readModelSinks(store: ReadModelStore, logger: Logger): InjectedSinks<ReadModelSinks> {
  return {
    readModel: {
      write: {
        fn: async (info, write) => {
          try {
            await store.write(write);
          } catch (err) {
            const documents = write.documents.map((d) => d.key);
            logger.warn(
              { err, comune: write.ipa, workflowId: info.workflowId, documents },
              'read model not written',
            );
            // An older document must not pass for the current one: without it the page asks the journey again.
            await store.forget(write.ipa, documents);
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
