import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { MANAGE_KEY_MISSING, MANAGE_KEY_REFUSED, type ManageKeyScope } from '../contracts/service';
import { HttpNonRetryableError } from '../integrations/http';
import type { IoManageClient } from '../integrations/io';

/** What the activities need of the key store (integrations/keys/manage-key-store.ts). */
export interface ComuneKeyStore {
  resolve(ipaCode: string): Promise<{ record: { ref: string }; secret: { primary: string } } | undefined>;
}

/**
 * The IO manage clients of the activities: each Comune's own key, resolved from the encrypted store at each call (a
 * key recorded since is used from the next call; an unchanged record is opened once per worker), and the legacy
 * partner-wide key for journeys that reached the services before the stage «Accesso a IO» (only where
 * `IO_MANAGE_API_KEY` is configured).
 */
export interface ManageClients {
  store?: ComuneKeyStore;
  /** A manage client calling with this key (the worker keeps one per key, not per call). */
  clientFor(key: string): IoManageClient;
  /** The legacy partner-wide client (`IO_MANAGE_API_KEY`), when configured. */
  partner?: IoManageClient;
}

/** Keeps one client per key (by its SHA-256, never the key itself as a map key), at most `max`. */
export function cachedClientFactory(
  create: (key: string) => IoManageClient,
  max = 2_000,
): (key: string) => IoManageClient {
  const clients = new Map<string, IoManageClient>();
  return (key) => {
    const id = createHash('sha256').update(key).digest('hex');
    let client = clients.get(id);
    if (client) {
      clients.delete(id); // most recently used last
    } else {
      client = create(key);
      if (clients.size >= max) clients.delete(clients.keys().next().value as string);
    }
    clients.set(id, client);
    return client;
  };
}

/**
 * The client for this scope, whose 401/403 answers become `ManageKeyRefused` (the service pauses for a new key
 * instead of failing or retrying for ever). Resolution:
 * - the Comune's own recorded key, whatever the source;
 * - else, for a legacy service (`partner`), the partner-wide key where configured;
 * - else `ManageKeyMissing`.
 */
export async function manageClientFor(
  clients: ManageClients,
  scope: ManageKeyScope | undefined,
): Promise<IoManageClient> {
  const source = scope?.source ?? 'partner';
  const own = scope && clients.store ? await clients.store.resolve(scope.comuneIpa) : undefined;
  if (own) return refusalsAsKeyFailures(clients.clientFor(own.secret.primary), own.record.ref);
  if (source === 'partner' && clients.partner) return refusalsAsKeyFailures(clients.partner, 'partner');
  throw ApplicationFailure.nonRetryable(
    'nessuna chiave di gestione registrata per il Comune: registrarla dal back office',
    MANAGE_KEY_MISSING,
    { ref: 'none' },
  );
}

function keyFailure(err: unknown, ref: string): unknown {
  if (!(err instanceof HttpNonRetryableError) || (err.status !== 401 && err.status !== 403)) return err;
  const who = ref === 'partner' ? 'la chiave di gestione del partner' : 'la chiave di gestione del Comune';
  const message =
    err.status === 401
      ? `PagoPA rifiuta ${who} (401): rigenerata o revocata nel back office IO`
      : `PagoPA nega l’accesso con ${who} (403): indirizzo del partner non autorizzato sulla chiave, oppure servizio di un altro ente o gruppo`;
  return ApplicationFailure.nonRetryable(message, MANAGE_KEY_REFUSED, { ref });
}

function refusalsAsKeyFailures(client: IoManageClient, ref: string): IoManageClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          throw keyFailure(err, ref);
        }
      };
    },
  });
}
