import { HttpError, HttpNonRetryableError } from '../http';
import { createIoManageClient, type IoManageClient } from '../io';

/**
 * Verifies a Comune's manage key before it is recorded, with a real read on PagoPA's manage API
 * (`GET /services?limit=100`): the answer tells apart a refused key (401), a key the partner's addresses may not use
 * (403: the key's authorised CIDRs), and another institution's key (the services it lists carry another
 * organisation fiscal code). A key whose account has no service yet cannot be told from its own institution's:
 * PagoPA's manage API has no "who am I" call; the first service created with it lands in the key's institution.
 */
export type ManageKeyVerification =
  | { ok: true; services: number }
  | {
      ok: false;
      cause: 'refused' | 'address_not_authorised' | 'other_institution' | 'unavailable';
      message: string;
    };

export interface ManageKeyVerifierOptions {
  /** The IO API host (the base path is added), as the worker's clients use it. */
  baseUrl: string;
  /** The partner's addresses (CIDRs) that must be authorised on the key, named in a 403's message. */
  partnerAddresses: string[];
  timeoutMs?: number;
  /** Test seam. */
  clientFor?: (key: string) => IoManageClient;
}

export type ManageKeyVerifier = (
  key: string,
  expected: { organizationFiscalCode: string; which: 'primaria' | 'secondaria' },
) => Promise<ManageKeyVerification>;

export function createManageKeyVerifier(options: ManageKeyVerifierOptions): ManageKeyVerifier {
  const clientFor =
    options.clientFor ??
    ((manageKey: string) =>
      createIoManageClient({
        baseUrl: options.baseUrl,
        manageKey,
        timeoutMs: options.timeoutMs ?? 10_000,
        // A person waits on the answer: one quick retry of a transient failure at most.
        retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1_000 },
      }));
  return async (key, expected) => {
    const label = `La chiave ${expected.which}`;
    try {
      const page = await clientFor(key).listServices({ limit: 100, offset: 0 });
      const foreign = page.value.find((s) => s.organization.fiscal_code !== expected.organizationFiscalCode);
      if (foreign) {
        return {
          ok: false,
          cause: 'other_institution',
          message:
            `${label} appartiene a un altro ente: i suoi servizi sono di codice fiscale ${foreign.organization.fiscal_code}, ` +
            `non ${expected.organizationFiscalCode}. Copiala dal back office IO di questo Comune.`,
        };
      }
      return { ok: true, services: page.value.length };
    } catch (err) {
      if (err instanceof HttpNonRetryableError && err.status === 401) {
        return {
          ok: false,
          cause: 'refused',
          message: `${label} è rifiutata da PagoPA (401): non esiste, è stata rigenerata o è stata copiata in modo incompleto.`,
        };
      }
      if (err instanceof HttpNonRetryableError && err.status === 403) {
        return {
          ok: false,
          cause: 'address_not_authorised',
          message:
            `${label} non è utilizzabile dagli indirizzi del partner (403): nel back office IO del Comune, ` +
            `«Chiavi API di gestione», aggiungi agli indirizzi autorizzati ${options.partnerAddresses.join(', ')}.`,
        };
      }
      if (err instanceof HttpError) {
        return {
          ok: false,
          cause: 'unavailable',
          message: `PagoPA non ha risposto alla verifica della chiave (${err.status ?? err.kind}): riprova tra poco.`,
        };
      }
      throw err;
    }
  };
}
