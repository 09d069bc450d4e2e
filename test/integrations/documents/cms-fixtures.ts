/**
 * Builds CAdES-like CMS fixtures in memory with pkijs over Node's WebCrypto: a self-signed CA,
 * signer certificates issued by it, and SignedData envelopes around a PDF.
 */
import * as asn1js from 'asn1js';
import { createHash, webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  givenName: '2.5.4.42',
  basicConstraints: '2.5.29.19',
} as const;

export const engine = new pkijs.CryptoEngine({
  name: 'node',
  crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'],
});

export const SAMPLE_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    'trailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

export interface KeyedCertificate {
  certificate: pkijs.Certificate;
  keys: webcrypto.CryptoKeyPair;
}

type NameAttribute = { type: string; value: string; printable?: boolean };

function buildName(attributes: NameAttribute[]): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: attributes.map(
      ({ type, value, printable }) =>
        new pkijs.AttributeTypeAndValue({
          type,
          value: printable ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
        }),
    ),
  });
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
}

let nextSerial = 1000;

async function issueCertificate(options: {
  subject: NameAttribute[];
  issuer?: KeyedCertificate;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}): Promise<KeyedCertificate> {
  const keys = await generateKeys();
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ value: nextSerial++ });
  certificate.subject = buildName(options.subject);
  certificate.issuer = options.issuer ? options.issuer.certificate.subject : certificate.subject;
  certificate.notBefore.value = options.notBefore;
  certificate.notAfter.value = options.notAfter;
  const basicConstraints = new pkijs.BasicConstraints({ cA: options.ca });
  certificate.extensions = [
    new pkijs.Extension({
      extnID: OID.basicConstraints,
      critical: true,
      extnValue: basicConstraints.toSchema().toBER(false),
      parsedValue: basicConstraints,
    }),
  ];
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  const signingKey = options.issuer ? options.issuer.keys.privateKey : keys.privateKey;
  await certificate.sign(signingKey, 'SHA-256', engine);
  return { certificate, keys };
}

export async function createCa(): Promise<KeyedCertificate> {
  return issueCertificate({
    subject: [
      { type: OID.country, value: 'IT', printable: true },
      { type: OID.organization, value: 'Test Qualified CA S.p.A.' },
      { type: OID.commonName, value: 'Test Qualified Signature CA' },
    ],
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    ca: true,
  });
}

export interface SignerOptions {
  commonName?: string;
  givenName?: string;
  surname?: string;
  /** The subject serialNumber attribute; `null` leaves it out. */
  subjectSerialNumber?: string | null;
  notBefore?: Date;
  notAfter?: Date;
}

export async function createSigner(
  ca: KeyedCertificate,
  options: SignerOptions = {},
): Promise<KeyedCertificate> {
  const subject: NameAttribute[] = [
    { type: OID.country, value: 'IT', printable: true },
    { type: OID.givenName, value: options.givenName ?? 'Mario' },
    { type: OID.surname, value: options.surname ?? 'Rossi' },
  ];
  const serialNumber =
    options.subjectSerialNumber === undefined ? 'TINIT-RSSMRA85T10A562S' : options.subjectSerialNumber;
  if (serialNumber !== null) subject.push({ type: OID.serialNumber, value: serialNumber, printable: true });
  subject.push({ type: OID.commonName, value: options.commonName ?? 'Mario Rossi' });
  return issueCertificate({
    subject,
    issuer: ca,
    notBefore: options.notBefore ?? new Date('2023-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2029-01-01T00:00:00Z'),
    ca: false,
  });
}

export interface SignedFormOptions {
  signers: KeyedCertificate[];
  /** Extra certificates to embed (the CA, typically). */
  chain?: KeyedCertificate[];
  content?: Buffer;
  /** Leave the content out of the envelope (detached signature). */
  detached?: boolean;
  /** `null` omits the signingTime attribute. */
  signingTime?: Date | null;
  /** Do not embed the signers' certificates. */
  omitSignerCertificates?: boolean;
  /** Sign the content directly, as plain PKCS#7 does (no CAdES signed attributes). */
  withoutSignedAttributes?: boolean;
}

function signedAttributes(content: Buffer, signingTime: Date | null): pkijs.SignedAndUnsignedAttributes {
  const attributes = [
    new pkijs.Attribute({
      type: OID.contentType,
      values: [new asn1js.ObjectIdentifier({ value: OID.data })],
    }),
    new pkijs.Attribute({
      type: OID.messageDigest,
      values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(content).digest() })],
    }),
  ];
  if (signingTime !== null) {
    attributes.push(
      new pkijs.Attribute({
        type: OID.signingTime,
        values: [new asn1js.UTCTime({ valueDate: signingTime })],
      }),
    );
  }
  return new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
}

function wrapSignedData(signedData: pkijs.SignedData): Buffer {
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.signedData,
    content: signedData.toSchema(true),
  });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

/** A DER ContentInfo(SignedData) with one SignerInfo per signer, signed attributes included. */
export async function buildSignedForm(options: SignedFormOptions): Promise<Buffer> {
  const content = options.content ?? SAMPLE_PDF;
  const signingTime =
    options.signingTime === undefined ? new Date('2025-03-10T09:30:00Z') : options.signingTime;
  const certificates = [
    ...(options.omitSignerCertificates ? [] : options.signers.map((signer) => signer.certificate)),
    ...(options.chain ?? []).map((entry) => entry.certificate),
  ];
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo(
      options.detached
        ? { eContentType: OID.data }
        : { eContentType: OID.data, eContent: new asn1js.OctetString({ valueHex: content }) },
    ),
    signerInfos: options.signers.map(
      (signer) =>
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({
            issuer: signer.certificate.issuer,
            serialNumber: signer.certificate.serialNumber,
          }),
          ...(options.withoutSignedAttributes ? {} : { signedAttrs: signedAttributes(content, signingTime) }),
        }),
    ),
    certificates,
  });
  for (const [index, signer] of options.signers.entries()) {
    await signedData.sign(
      signer.keys.privateKey,
      index,
      'SHA-256',
      options.detached ? content : undefined,
      engine,
    );
  }
  return wrapSignedData(signedData);
}

/** A SignedData with content and certificates but an empty SignerInfos set. */
export function buildSignedDataWithoutSigners(
  certificates: KeyedCertificate[],
  content = SAMPLE_PDF,
): Buffer {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    signerInfos: [],
    certificates: certificates.map((entry) => entry.certificate),
  });
  return wrapSignedData(signedData);
}

/** A plain CMS Data ContentInfo (no signature at all). */
export function buildDataContentInfo(content = SAMPLE_PDF): Buffer {
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.data,
    content: new asn1js.OctetString({ valueHex: content }),
  });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

/** Flips one byte of the embedded PDF inside a DER envelope (after the `%PDF-` header). */
export function tamperWithContent(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const start = copy.indexOf('%PDF-', 0, 'latin1');
  if (start < 0) throw new Error('no PDF content in the envelope');
  const position = start + 10;
  copy[position] = (copy[position] ?? 0) ^ 0x01;
  return copy;
}

/** Flips the last byte of the envelope: the end of the (last) signer's signature value. */
export function corruptSignatureValue(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
  return copy;
}

/** Base64 with 64-character lines, optionally inside a PKCS7 PEM armour. */
export function toBase64(der: Buffer, armour = false): Buffer {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  const body = lines.join('\n');
  return Buffer.from(
    armour ? `-----BEGIN PKCS7-----\n${body}\n-----END PKCS7-----\n` : `${body}\n`,
    'latin1',
  );
}
