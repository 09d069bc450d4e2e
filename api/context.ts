import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import type { DocumentStore } from '../integrations/documents/document-store';
import type { FileOutbox } from '../integrations/mail';
import type { FileTokenStore } from './auth/token-store';
import type { OidcOptions } from './auth/authenticate';
import type { RegistrationDefaults } from './import/registration';
import type { ManageKeyStore } from '../integrations/keys/manage-key-store';
import type { ManageKeyVerifier } from '../integrations/keys/manage-key-verifier';
import type { ReadModelStore } from '../common/read-model-store';

/** What the API's routes need, wired once in api/main.ts (and by the tests). */
export interface ApiContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The service workflows' task queue, when they have their own: /health wants a worker polling it too. */
  servicesTaskQueue?: string;
  logger: Logger;
  documents: DocumentStore;
  tokens: FileTokenStore;
  oidc?: OidcOptions;
  /** The local SMTP catcher's outbox, when e-mails are caught instead of sent. */
  outbox?: FileOutbox;
  /** Base URL of the Temporal Web UI, for links from the console. */
  temporalUiUrl: string;
  /** The partner's defaults that turn a Comune's registration into its journey's input. */
  registrationDefaults: RegistrationDefaults;
  /**
   * How long one read of the whole portfolio serves the list and summary endpoints as fresh (default 2,000 ms;
   * 0 = never). Up to 15 s it still answers at once while one read refreshes it (api/portfolio.ts).
   */
  portfolioCacheMs?: number;
  /**
   * The Comuni's manage keys: verified with PagoPA, then sealed in the store the worker reads. Absent: recording a
   * key answers 503 (no KEK configured).
   */
  manageKeys?: { store: ManageKeyStore; verify: ManageKeyVerifier };
  /**
   * The pages' read model the worker writes (common/read-model-store.ts): the Comune and service pages are read from
   * it without a workflow task. Absent, or a document not written yet: the page cache over queries.
   */
  readModel?: ReadModelStore;
}
