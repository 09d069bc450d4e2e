import type { AnyViewDocument } from '../contracts/read-model';

/** Where the read model is written: the worker's file store, or any sink with the same contract. */
export interface ViewSink {
  put(document: AnyViewDocument): Promise<{ written: boolean }>;
}

export function createReadModelActivities({ views }: { views?: ViewSink }) {
  return {
    /**
     * Writes a Comune's or a service's page to the read model (a local activity: the document stays out of
     * history). Idempotent: an older snapshot never replaces a newer one. Without a store it writes nothing and the
     * API reads the workflow instead.
     */
    async publishView(document: AnyViewDocument): Promise<{ written: boolean }> {
      if (!views) return { written: false };
      return views.put(document);
    },
  };
}
