import { condition, log, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AnyViewDocument } from '../contracts/read-model';
import { nowIso } from './clock';

const readModel = proxyLocalActivities<Pick<Activities, 'publishView'>>({
  startToCloseTimeout: '10 seconds',
  // A store that is down delays the page, never the journey: a few retries in the background, then the next change
  // writes again (the API reads the workflow meanwhile if the page was never written).
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
});

/**
 * Keeps a workflow's page current in the read model (contracts/read-model.ts): each change marks it dirty, and one
 * background loop writes the latest snapshot, so a burst of changes becomes one write. `stop` ends the loop after a
 * last write of what is pending; the workflow awaits it before it closes or continues as new.
 */
export function viewPublisher<D extends AnyViewDocument>(snapshot: () => Omit<D, 'asOf' | 'seq'>) {
  let dirty = true;
  let stopping = false;
  let seq = 0;
  return {
    markDirty(): void {
      dirty = true;
    },
    stop(): void {
      stopping = true;
    },
    async run(): Promise<void> {
      for (;;) {
        await condition(() => dirty || stopping);
        if (!dirty) return;
        dirty = false;
        seq += 1;
        try {
          await readModel.publishView({ ...snapshot(), asOf: nowIso(), seq } as AnyViewDocument);
        } catch (err) {
          log.warn('read model not written: the next change writes it again', { error: String(err) });
        }
      }
    },
  };
}
