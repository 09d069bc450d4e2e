import {
  CONTRACT_DURATION_DAYS,
  type ComuneRegistrationInput,
  type RegistrationDefaults,
} from '../../api/import/registration';
import { TEST_LOGO_REF } from '../support/fixtures';

/** The partner's defaults and a valid registration (the Comune of Trento), shared by the import tests. */
export const DEFAULTS: RegistrationDefaults = {
  delegate: {
    givenName: 'Mario',
    surname: 'Rossi',
    fiscalCode: 'RSSMRA85T10A562S',
    email: 'mario.rossi@partner.example',
  },
  authorizedCidrs: '203.0.113.10/32',
  logoRef: TEST_LOGO_REF,
  supportUrl: 'https://assistenza.partner.example',
  contractDurationDays: CONTRACT_DURATION_DAYS,
  settings: {},
};

/** The Comune of Trento, as staff would register it. */
export const trento = (overrides: Partial<ComuneRegistrationInput> = {}): ComuneRegistrationInput => ({
  ipaCode: 'c_l378',
  istatCode: '022205',
  fiscalCode: '00355870221',
  pec: 'servizio.protocollo@pec.comune.trento.it',
  website: 'https://www.comune.trento.it',
  secretary: { name: 'Anna Bianchi', email: 'segreteria@comune.trento.it' },
  mayor: { name: 'Franco Ianeselli', email: 'sindaco@comune.trento.it' },
  contractDate: '2025-03-15',
  ...overrides,
});
