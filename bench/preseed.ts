import { cardToServicePayload } from '../activities/card-payload';
import { catalogue, cardFromCatalogue } from '../domain/catalogue';
import { serviceCardSchema } from '../domain/service-card';
import type { RunningSandbox } from '../sandbox';
import { addService, createStoredService } from '../sandbox/service-ops';
import { organisationFiscalCode } from './registrations';

/**
 * Puts `count` services of other (fictitious) organisations in the sandbox before the run, as if earlier Comuni had
 * been onboarded: the manage key sees every organisation, so each new service's idempotent look-up pages through
 * them (`findServiceByName`, 100 per page, at most 50 pages).
 */
export function preseedServices(sandbox: RunningSandbox, count: number): void {
  const now = new Date();
  for (let i = 0; i < count; i++) {
    // ISTAT-like codes from 900000 do not exist: no clash with the Comuni of the run.
    const organisation = Math.floor(i / catalogue.length);
    const comune = {
      name: `Comune fittizio ${organisation}`,
      fiscalCode: organisationFiscalCode(String(900_000 + organisation)),
      pec: 'protocollo@pec.comune-fittizio.it',
      website: 'https://www.comune-fittizio.it',
    };
    const card = serviceCardSchema.parse(
      cardFromCatalogue(catalogue[i % catalogue.length]!, comune, {
        authorizedCidrs: '203.0.113.10/32',
        logoRef: 'a'.repeat(64),
      }),
    );
    const stored = createStoredService(cardToServicePayload(card), now);
    addService(sandbox.state, stored);
  }
}
