import type { DocumentStore } from '../integrations/documents/document-store';
import type { IoManageClient, IoMessagesClient } from '../integrations/io';
import type { Mailer } from '../integrations/mail';
import type { PortalClient } from '../integrations/portal';
import type { SelfcareClient } from '../integrations/selfcare';
import { createAdhesionActivities } from './adhesion';
import { withFailureMapping } from './failures';
import { createIoServiceActivities } from './io-services';
import type { ManageClients } from './manage-keys';
import { createNotificationActivities, type PartnerProfile } from './notifications';

export interface ActivityDependencies {
  /** Legacy: the partner-wide manage client (`IO_MANAGE_API_KEY`), where configured. */
  io?: IoManageClient;
  /** Each Comune's own manage key, resolved by the activities at call time. */
  manageKeys?: Omit<ManageClients, 'partner'>;
  messages: IoMessagesClient;
  /** Absent when the partner has no Selfcare API access: staff record the adhesion instead. */
  selfcare?: SelfcareClient;
  portal: PortalClient;
  mailer: Mailer;
  documents: DocumentStore;
  partner: PartnerProfile;
}

/**
 * Every side effect of the journey, over client interfaces: the worker wires PagoPA's clients in production and
 * the sandbox's locally; workflows import only the type of this factory.
 */
export function createActivities(deps: ActivityDependencies) {
  return withFailureMapping(
    {
      ...createAdhesionActivities(deps),
      ...createNotificationActivities(deps),
      ...createIoServiceActivities(deps),
    },
    { paceTransientRetries: true },
  );
}

export type Activities = ReturnType<typeof createActivities>;
export type { PartnerProfile } from './notifications';
export type { NotifyInput, Audience } from './notifications';
export type { ReviewDecision } from './io-services';
export type { BulkActivities } from './bulk';
