import { fiscalCodeFromSubjectSerialNumber } from '../../../integrations/documents/certificate-info';

describe('fiscalCodeFromSubjectSerialNumber', () => {
  it.each([
    ['TINIT-RSSMRA85T10A562S', 'RSSMRA85T10A562S'],
    ['tinit-rssmra85t10a562s', 'RSSMRA85T10A562S'],
    ['IT:RSSMRA85T10A562S', 'RSSMRA85T10A562S'],
    ['RSSMRA85T10A562S', 'RSSMRA85T10A562S'],
    [' TINIT-RSSMRA85T10A562S ', 'RSSMRA85T10A562S'],
  ])('reads %s', (serialNumber, expected) => {
    expect(fiscalCodeFromSubjectSerialNumber(serialNumber)).toBe(expected);
  });

  it.each([
    'TINIT-RSSMRA85T10A562T', // wrong check character
    'VATIT-00355870221', // an organisation, not a person
    'TINIT-RSSMRA85T10A562', // too short
    'XXIT-RSSMRA85T10A562S', // unknown prefix
    '20231234567',
    '',
  ])('ignores %s', (serialNumber) => {
    expect(fiscalCodeFromSubjectSerialNumber(serialNumber)).toBeUndefined();
  });
});
