import { createHash, randomBytes } from 'node:crypto';
import {
  SignedFormRejected,
  signedFormVerificationSchema,
  verifySignedForm,
  type SignedFormRejectionReason,
} from '../../../integrations/documents/signed-form-verifier';
import {
  SAMPLE_PDF,
  buildDataContentInfo,
  buildSignedDataWithoutSigners,
  buildSignedForm,
  corruptSignatureValue,
  createCa,
  createSigner,
  tamperWithContent,
  toBase64,
  type KeyedCertificate,
} from './cms-fixtures';

async function rejection(promise: Promise<unknown>): Promise<SignedFormRejected> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignedFormRejected) return error;
    throw error;
  }
  throw new Error('expected the signed form to be rejected');
}

async function expectRejected(input: Buffer, reason: SignedFormRejectionReason, expectedCf?: string) {
  const error = await rejection(
    verifySignedForm(input, expectedCf === undefined ? {} : { expectedSignerFiscalCode: expectedCf }),
  );
  expect(error.reason).toBe(reason);
  expect(error.httpStatus).toBe(422);
  expect(error.message.length).toBeGreaterThan(10);
  return error;
}

describe('verifySignedForm', () => {
  let ca: KeyedCertificate;
  let mayor: KeyedCertificate;
  let validForm: Buffer;

  beforeAll(async () => {
    ca = await createCa();
    mayor = await createSigner(ca);
    validForm = await buildSignedForm({ signers: [mayor], chain: [ca] });
  });

  it('accepts a valid DER envelope and extracts the signer', async () => {
    const result = await verifySignedForm(validForm, { expectedSignerFiscalCode: 'RSSMRA85T10A562S' });
    expect(signedFormVerificationSchema.parse(result)).toEqual(result);
    expect(result.encoding).toBe('der');
    expect(result.sha256).toBe(createHash('sha256').update(validForm).digest('hex'));
    expect(result.signer).toEqual({
      commonName: 'Mario Rossi',
      givenName: 'Mario',
      surname: 'Rossi',
      fiscalCode: 'RSSMRA85T10A562S',
    });
    expect(result.signingTime).toBe('2025-03-10T09:30:00.000Z');
    expect(result.contentSha256).toBe(createHash('sha256').update(SAMPLE_PDF).digest('hex'));
    expect(result.contentSize).toBe(SAMPLE_PDF.length);
    expect(result.signerCount).toBe(1);
    expect(result.certificate.subject).toContain('CN=Mario Rossi');
    expect(result.certificate.subject).toContain('SERIALNUMBER=TINIT-RSSMRA85T10A562S');
    expect(result.certificate.issuer).toBe(
      'C=IT, O=Test Qualified CA S.p.A., CN=Test Qualified Signature CA',
    );
    expect(result.certificate.notBefore).toBe('2023-01-01T00:00:00.000Z');
    expect(result.certificate.notAfter).toBe('2029-01-01T00:00:00.000Z');
    expect(result.certificate.serialNumber).toMatch(/^[0-9a-f]+$/);
  });

  it('compares the expected fiscal code case-insensitively', async () => {
    const result = await verifySignedForm(validForm, { expectedSignerFiscalCode: ' rssmra85t10a562s ' });
    expect(result.signer.fiscalCode).toBe('RSSMRA85T10A562S');
  });

  it('accepts base64 with line breaks', async () => {
    const result = await verifySignedForm(toBase64(validForm));
    expect(result.encoding).toBe('base64');
    expect(result.signer.fiscalCode).toBe('RSSMRA85T10A562S');
    expect(result.contentSha256).toBe(createHash('sha256').update(SAMPLE_PDF).digest('hex'));
  });

  it('accepts base64 inside a PKCS7 armour, with CRLF line breaks', async () => {
    const armoured = toBase64(validForm, true).toString('latin1').replace(/\n/g, '\r\n');
    const result = await verifySignedForm(Buffer.from(armoured, 'latin1'));
    expect(result.encoding).toBe('base64');
  });

  it('uses now when there is no signingTime attribute', async () => {
    const form = await buildSignedForm({ signers: [mayor], chain: [ca], signingTime: null });
    const result = await verifySignedForm(form, { now: new Date('2024-06-01T00:00:00Z') });
    expect(result.signingTime).toBeUndefined();
    const late = await rejection(verifySignedForm(form, { now: new Date('2030-06-01T00:00:00Z') }));
    expect(late.reason).toBe('certificate_not_valid_at_signing_time');
  });

  it('rejects a tampered content byte', async () => {
    await expectRejected(tamperWithContent(validForm), 'signature_invalid');
  });

  it('rejects a corrupted signature value', async () => {
    await expectRejected(corruptSignatureValue(validForm), 'signature_invalid');
  });

  it('rejects a plain PKCS#7 signature without signed attributes (not CAdES)', async () => {
    const form = await buildSignedForm({ signers: [mayor], chain: [ca], withoutSignedAttributes: true });
    await expectRejected(form, 'signature_invalid');
  });

  it('rejects a detached signature', async () => {
    const detached = await buildSignedForm({ signers: [mayor], chain: [ca], detached: true });
    await expectRejected(detached, 'detached_signature');
  });

  it('rejects content that is not a PDF', async () => {
    const form = await buildSignedForm({
      signers: [mayor],
      chain: [ca],
      content: Buffer.from('hello, world'),
    });
    await expectRejected(form, 'content_not_pdf');
  });

  it('rejects a SignedData without signerInfos', async () => {
    await expectRejected(buildSignedDataWithoutSigners([mayor, ca]), 'unsigned');
  });

  it('rejects an empty upload', async () => {
    await expectRejected(Buffer.alloc(0), 'empty');
    await expectRejected(Buffer.from('  \n-----BEGIN PKCS7-----\n-----END PKCS7-----\n'), 'empty');
  });

  it('rejects a truncated DER envelope', async () => {
    await expectRejected(validForm.subarray(0, validForm.length - 50), 'malformed');
    await expectRejected(validForm.subarray(0, 40), 'malformed');
  });

  it('rejects truncated base64', async () => {
    await expectRejected(Buffer.from(validForm.toString('base64').slice(0, 400)), 'malformed');
  });

  it('rejects random garbage, binary or text', async () => {
    await expectRejected(Buffer.concat([Buffer.from([0x30]), randomBytes(511)]), 'malformed');
    await expectRejected(Buffer.concat([Buffer.from([0xff]), randomBytes(511)]), 'malformed');
    await expectRejected(Buffer.from('questo non è un file firmato'), 'malformed');
    await expectRejected(SAMPLE_PDF, 'malformed');
    // asn1js throws instead of reporting on a malformed GeneralizedTime: still a rejection, never a crash.
    await expectRejected(Buffer.from('3003180141', 'hex'), 'malformed');
  });

  it('rejects bytes appended after the envelope', async () => {
    await expectRejected(Buffer.concat([validForm, Buffer.from('trailing')]), 'malformed');
    const padded = await verifySignedForm(Buffer.concat([validForm, Buffer.alloc(16)]));
    expect(padded.signer.commonName).toBe('Mario Rossi');
  });

  it('rejects a ContentInfo that is not SignedData', async () => {
    await expectRejected(buildDataContentInfo(), 'not_signed_data');
  });

  it('rejects an envelope without the signer certificate', async () => {
    const form = await buildSignedForm({ signers: [mayor], chain: [ca], omitSignerCertificates: true });
    await expectRejected(form, 'signer_certificate_missing');
    const bare = await buildSignedForm({ signers: [mayor], omitSignerCertificates: true });
    await expectRejected(bare, 'signer_certificate_missing');
  });

  it('rejects a certificate that expired before the signing time', async () => {
    const expired = await createSigner(ca, { notAfter: new Date('2024-12-31T23:59:59Z') });
    const form = await buildSignedForm({ signers: [expired], chain: [ca] });
    const error = await expectRejected(form, 'certificate_not_valid_at_signing_time');
    expect(error.message).toMatch(/certificato/);
  });

  it('rejects a certificate not yet valid at the signing time', async () => {
    const future = await createSigner(ca, { notBefore: new Date('2026-01-01T00:00:00Z') });
    const form = await buildSignedForm({ signers: [future], chain: [ca] });
    await expectRejected(form, 'certificate_not_valid_at_signing_time');
  });

  it('rejects a signer other than the expected one', async () => {
    const error = await expectRejected(validForm, 'signer_mismatch', 'VRDGPP80A01H501U');
    expect(error.detail).not.toContain('RSSMRA85T10A562S');
  });

  it('rejects when the expected fiscal code is given but the certificate has none', async () => {
    const anonymous = await createSigner(ca, { subjectSerialNumber: null });
    const form = await buildSignedForm({ signers: [anonymous], chain: [ca] });
    const result = await verifySignedForm(form);
    expect(result.signer.fiscalCode).toBeUndefined();
    await expectRejected(form, 'signer_mismatch', 'RSSMRA85T10A562S');
  });

  it('reads the fiscal code in the IT: form', async () => {
    const older = await createSigner(ca, { subjectSerialNumber: 'IT:RSSMRA85T10A562S' });
    const form = await buildSignedForm({ signers: [older], chain: [ca] });
    const result = await verifySignedForm(form, { expectedSignerFiscalCode: 'RSSMRA85T10A562S' });
    expect(result.signer.fiscalCode).toBe('RSSMRA85T10A562S');
  });

  it('verifies every co-signature and reports the expected signer', async () => {
    const secretary = await createSigner(ca, {
      commonName: 'Giuseppe Verdi',
      givenName: 'Giuseppe',
      surname: 'Verdi',
      subjectSerialNumber: 'TINIT-VRDGPP80A01H501U',
    });
    const form = await buildSignedForm({ signers: [secretary, mayor], chain: [ca] });
    const result = await verifySignedForm(form, { expectedSignerFiscalCode: 'RSSMRA85T10A562S' });
    expect(result.signerCount).toBe(2);
    expect(result.signer.commonName).toBe('Mario Rossi');
    const first = await verifySignedForm(form);
    expect(first.signer.commonName).toBe('Giuseppe Verdi');
  });
});
