import {
  computeOrganizationFiscalCodeCheckDigit,
  computePersonalFiscalCodeCheckChar,
  validateOrganizationFiscalCode,
  validatePersonalFiscalCode,
} from '../../domain/fiscal-code';

describe('validatePersonalFiscalCode', () => {
  it('computes the check character of a known code', () => {
    expect(computePersonalFiscalCodeCheckChar('RSSMRA85T10A562')).toBe('S');
    expect(computePersonalFiscalCodeCheckChar('VRDGPP80A01H501')).toBe('U');
  });

  it('accepts valid codes, case-insensitively', () => {
    expect(validatePersonalFiscalCode('RSSMRA85T10A562S')).toBe(true);
    expect(validatePersonalFiscalCode('rssmra85t10a562s')).toBe(true);
    expect(validatePersonalFiscalCode(' RSSMRA85T10A562S ')).toBe(true);
    expect(validatePersonalFiscalCode('VRDGPP80A01H501U')).toBe(true);
  });

  it('accepts an omocodic code (digits replaced by letters) with its own check character', () => {
    // The last digit of the birthplace code 562 becomes N (2 → N).
    const body = 'RSSMRA85T10A56N';
    const code = `${body}${computePersonalFiscalCodeCheckChar(body)}`;
    expect(validatePersonalFiscalCode(code)).toBe(true);
  });

  it('rejects a wrong check character', () => {
    for (const wrong of 'ABCDEFGHIJKLMNOPQRTUVWXYZ') {
      expect(validatePersonalFiscalCode(`RSSMRA85T10A562${wrong}`)).toBe(false);
    }
  });

  it('rejects malformed codes', () => {
    expect(validatePersonalFiscalCode('')).toBe(false);
    expect(validatePersonalFiscalCode('RSSMRA85T10A562')).toBe(false);
    expect(validatePersonalFiscalCode('RSSMRA85T10A562SX')).toBe(false);
    expect(validatePersonalFiscalCode('RSSMRA85Z10A562S')).toBe(false); // Z is not a month letter
    expect(validatePersonalFiscalCode('12345678901')).toBe(false);
    expect(validatePersonalFiscalCode('RSS-RA85T10A562S')).toBe(false);
  });

  it('detects a single changed character', () => {
    expect(validatePersonalFiscalCode('RSSMRA85T10A563S')).toBe(false);
    expect(validatePersonalFiscalCode('RSSMRB85T10A562S')).toBe(false);
  });
});

describe('validateOrganizationFiscalCode', () => {
  it('accepts known valid codes', () => {
    expect(validateOrganizationFiscalCode('00355870221')).toBe(true); // Comune di Trento
    expect(validateOrganizationFiscalCode('15376371009')).toBe(true); // PagoPA S.p.A.
    expect(validateOrganizationFiscalCode('06363391001')).toBe(true); // Agenzia delle Entrate
    expect(computeOrganizationFiscalCodeCheckDigit('0035587022')).toBe('1');
  });

  it('rejects a wrong check digit', () => {
    for (let digit = 0; digit <= 9; digit++) {
      if (digit === 1) continue;
      expect(validateOrganizationFiscalCode(`0035587022${digit}`)).toBe(false);
    }
  });

  it('rejects malformed codes', () => {
    expect(validateOrganizationFiscalCode('')).toBe(false);
    expect(validateOrganizationFiscalCode('0035587022')).toBe(false);
    expect(validateOrganizationFiscalCode('003558702211')).toBe(false);
    expect(validateOrganizationFiscalCode('0035587022A')).toBe(false);
    expect(validateOrganizationFiscalCode('RSSMRA85T10A562S')).toBe(false);
  });

  it('catches swapped adjacent digits', () => {
    expect(validateOrganizationFiscalCode('03055870221')).toBe(false);
  });
});
