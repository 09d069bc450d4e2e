import * as pkijs from 'pkijs';
import { z } from 'zod';
import { validatePersonalFiscalCode } from '../../domain/fiscal-code';

const OID_COMMON_NAME = '2.5.4.3';
const OID_SURNAME = '2.5.4.4';
const OID_SERIAL_NUMBER = '2.5.4.5';
const OID_GIVEN_NAME = '2.5.4.42';

/** Short names for the attributes found in Italian qualified certificates (others print as OIDs). */
const ATTRIBUTE_SHORT_NAMES: Record<string, string> = {
  [OID_COMMON_NAME]: 'CN',
  [OID_SURNAME]: 'SN',
  [OID_SERIAL_NUMBER]: 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  [OID_GIVEN_NAME]: 'GN',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'E',
};

export const signerIdentitySchema = z.object({
  commonName: z.string(),
  givenName: z.string().optional(),
  surname: z.string().optional(),
  /** Uppercase 16-character personal fiscal code, when the subject carries a valid one. */
  fiscalCode: z.string().optional(),
});
export type SignerIdentity = z.infer<typeof signerIdentitySchema>;

export const certificateSummarySchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  /** Lowercase hex of the certificate serial number. */
  serialNumber: z.string(),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
});
export type CertificateSummary = z.infer<typeof certificateSummarySchema>;

function attributeText(typeAndValue: pkijs.AttributeTypeAndValue): string {
  const value: unknown = typeAndValue.value.valueBlock.value;
  if (typeof value === 'string') return value;
  return Buffer.from(typeAndValue.value.valueBlock.valueBeforeDecodeView).toString('hex');
}

function firstAttribute(name: pkijs.RelativeDistinguishedNames, oid: string): string | undefined {
  const found = name.typesAndValues.find((typeAndValue) => typeAndValue.type === oid);
  if (!found) return undefined;
  const text = attributeText(found).trim();
  return text.length > 0 ? text : undefined;
}

function escapeDnValue(value: string): string {
  return value.replace(/([,+"\\;<>=])/g, '\\$1');
}

/** A readable distinguished name, in encoding order: `C=IT, O=…, CN=Mario Rossi, SERIALNUMBER=…`. */
export function formatDistinguishedName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((typeAndValue) => {
      const label = ATTRIBUTE_SHORT_NAMES[typeAndValue.type] ?? typeAndValue.type;
      return `${label}=${escapeDnValue(attributeText(typeAndValue))}`;
    })
    .join(', ');
}

/**
 * The personal fiscal code in a subject `serialNumber`: ETSI form `TINIT-<cf>`, older `IT:<cf>`,
 * or the bare code. Returns it uppercased only when its check character is correct.
 */
export function fiscalCodeFromSubjectSerialNumber(serialNumber: string): string | undefined {
  const match = /^(?:TINIT-|IT:)?([A-Z0-9]{16})$/.exec(serialNumber.trim().toUpperCase());
  const candidate = match?.[1];
  return candidate !== undefined && validatePersonalFiscalCode(candidate) ? candidate : undefined;
}

export function signerIdentity(certificate: pkijs.Certificate): SignerIdentity {
  const subject = certificate.subject;
  const givenName = firstAttribute(subject, OID_GIVEN_NAME);
  const surname = firstAttribute(subject, OID_SURNAME);
  const serialNumber = firstAttribute(subject, OID_SERIAL_NUMBER);
  const fiscalCode = serialNumber === undefined ? undefined : fiscalCodeFromSubjectSerialNumber(serialNumber);
  const commonName =
    firstAttribute(subject, OID_COMMON_NAME) ?? [givenName, surname].filter(Boolean).join(' ');
  return {
    commonName,
    ...(givenName === undefined ? {} : { givenName }),
    ...(surname === undefined ? {} : { surname }),
    ...(fiscalCode === undefined ? {} : { fiscalCode }),
  };
}

export function certificateSummary(certificate: pkijs.Certificate): CertificateSummary {
  return {
    subject: formatDistinguishedName(certificate.subject),
    issuer: formatDistinguishedName(certificate.issuer),
    serialNumber: Buffer.from(certificate.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: certificate.notBefore.value.toISOString(),
    notAfter: certificate.notAfter.value.toISOString(),
  };
}

export function isCertificateValidAt(certificate: pkijs.Certificate, instant: Date): boolean {
  const time = instant.getTime();
  return certificate.notBefore.value.getTime() <= time && time <= certificate.notAfter.value.getTime();
}
