import * as asn1js from 'asn1js';
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { z } from 'zod';
import {
  certificateSummary,
  certificateSummarySchema,
  isCertificateValidAt,
  signerIdentity,
  signerIdentitySchema,
  type CertificateSummary,
  type SignerIdentity,
} from './certificate-info';
import { decodeP7mInput, encapsulatedContent, parseSignedData } from './cms-input';
import { sha256Hex, sha256HexSchema } from './document-store';
import { SignedFormRejected } from './signed-form-errors';

export { SignedFormRejected, type SignedFormRejectionReason } from './signed-form-errors';

const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');

/** pkijs verify() error codes meaning "no certificate for this signer" (2: none attached, 3: none matching). */
const SIGNER_CERTIFICATE_NOT_FOUND_CODES = new Set([2, 3]);

export const signedFormVerificationSchema = z.object({
  /** SHA-256 of the uploaded bytes exactly as received (the DocumentStore reference of the same upload). */
  sha256: sha256HexSchema,
  /** How the upload was encoded: binary DER/BER or base64 text. */
  encoding: z.enum(['der', 'base64']),
  signer: signerIdentitySchema,
  /** The signer's claimed signing time (the `signingTime` signed attribute), ISO. */
  signingTime: z.iso.datetime().optional(),
  certificate: certificateSummarySchema,
  /** SHA-256 of the signed PDF: compare it with the contract Selfcare generated. */
  contentSha256: sha256HexSchema,
  contentSize: z.number().int().nonnegative(),
  /** Number of signatures in the envelope (all verified); `signer` is the one that was looked for. */
  signerCount: z.number().int().positive(),
});
export type SignedFormVerification = z.infer<typeof signedFormVerificationSchema>;

export interface VerifySignedFormOptions {
  /** The legal representative's fiscal code: when given, one of the signers must carry it. */
  expectedSignerFiscalCode?: string;
  /** The current time, used as the signing time when the signature does not declare one. */
  now?: Date;
}

interface VerifiedSigner {
  identity: SignerIdentity;
  certificate: CertificateSummary;
  signingTime?: Date;
}

let cryptoEngine: pkijs.ICryptoEngine | undefined;

/** A pkijs engine over Node's WebCrypto, passed explicitly so no global pkijs state is touched. */
function engine(): pkijs.ICryptoEngine {
  cryptoEngine ??= new pkijs.CryptoEngine({
    name: 'node',
    crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'],
  });
  return cryptoEngine;
}

function readSigningTime(signerInfo: pkijs.SignerInfo): Date | undefined {
  const attribute = signerInfo.signedAttrs?.attributes.find(
    (candidate) => candidate.type === OID_SIGNING_TIME,
  );
  if (!attribute) return undefined;
  const value: unknown = attribute.values[0];
  const date = value instanceof asn1js.UTCTime ? value.toDate() : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new SignedFormRejected('malformed', 'signingTime attribute is not a valid time');
  }
  return date;
}

async function verifySigner(signedData: pkijs.SignedData, index: number, now: Date): Promise<VerifiedSigner> {
  const signerInfo = signedData.signerInfos[index];
  if (!signerInfo) throw new SignedFormRejected('unsigned');
  if (!signerInfo.signedAttrs || signerInfo.signedAttrs.attributes.length === 0) {
    throw new SignedFormRejected('signature_invalid', `signer ${index}: no signed attributes (not CAdES)`);
  }

  let result: pkijs.SignedDataVerifyResult;
  try {
    result = await signedData.verify(
      { signer: index, checkChain: false, extendedMode: true, checkDate: now },
      engine(),
    );
  } catch (error) {
    if (error instanceof pkijs.SignedDataVerifyError && SIGNER_CERTIFICATE_NOT_FOUND_CODES.has(error.code)) {
      throw new SignedFormRejected('signer_certificate_missing', `signer ${index}: ${error.message}`);
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new SignedFormRejected('signature_invalid', `signer ${index}: ${detail}`);
  }

  const certificate = result.signerCertificate;
  if (!certificate) throw new SignedFormRejected('signer_certificate_missing', `signer ${index}`);
  if (result.signatureVerified !== true) {
    throw new SignedFormRejected('signature_invalid', `signer ${index}: signature does not verify`);
  }

  const signingTime = readSigningTime(signerInfo);
  const checkedAt = signingTime ?? now;
  if (!isCertificateValidAt(certificate, checkedAt)) {
    const summary = certificateSummary(certificate);
    throw new SignedFormRejected(
      'certificate_not_valid_at_signing_time',
      `signer ${index}: certificate valid ${summary.notBefore}..${summary.notAfter}, checked at ${checkedAt.toISOString()}`,
    );
  }

  return {
    identity: signerIdentity(certificate),
    certificate: certificateSummary(certificate),
    ...(signingTime === undefined ? {} : { signingTime }),
  };
}

function pickSigner(signers: VerifiedSigner[], expectedSignerFiscalCode: string | undefined): VerifiedSigner {
  const [first] = signers;
  if (!first) throw new SignedFormRejected('unsigned');
  if (expectedSignerFiscalCode === undefined) return first;
  const expected = expectedSignerFiscalCode.trim().toUpperCase();
  const match = signers.find((signer) => signer.identity.fiscalCode === expected);
  if (!match) {
    const withCode = signers.filter((signer) => signer.identity.fiscalCode !== undefined).length;
    throw new SignedFormRejected(
      'signer_mismatch',
      `${signers.length} signer(s), ${withCode} with a fiscal code, none matching the expected one`,
    );
  }
  return match;
}

/**
 * Verifies the Mayor's signed adhesion form: a CAdES (.p7m) envelope with the PDF inside.
 *
 * Checks the envelope's structure, that every signature is cryptographically valid over the embedded
 * PDF, that each signer's certificate was valid at the declared signing time (or `now`), and optionally
 * who signed. It does NOT establish trust in the certificate issuer (no chain to the EU trusted lists,
 * no revocation check): the signature proves integrity and the identity the certificate claims.
 *
 * @throws {SignedFormRejected} with a stable `reason` and an Italian `message` (HTTP 422).
 */
export async function verifySignedForm(
  input: Buffer,
  options: VerifySignedFormOptions = {},
): Promise<SignedFormVerification> {
  const now = options.now ?? new Date();
  const { der, encoding } = decodeP7mInput(input);
  const signedData = parseSignedData(der);

  if (signedData.signerInfos.length === 0) throw new SignedFormRejected('unsigned');
  const content = encapsulatedContent(signedData);
  if (content === undefined) throw new SignedFormRejected('detached_signature');
  if (!content.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
    throw new SignedFormRejected(
      'content_not_pdf',
      `content starts with ${content.subarray(0, 8).toString('hex')}`,
    );
  }

  const signers: VerifiedSigner[] = [];
  for (let index = 0; index < signedData.signerInfos.length; index++) {
    signers.push(await verifySigner(signedData, index, now));
  }
  const signer = pickSigner(signers, options.expectedSignerFiscalCode);

  return signedFormVerificationSchema.parse({
    sha256: sha256Hex(input),
    encoding,
    signer: signer.identity,
    ...(signer.signingTime === undefined ? {} : { signingTime: signer.signingTime.toISOString() }),
    certificate: signer.certificate,
    contentSha256: sha256Hex(content),
    contentSize: content.length,
    signerCount: signers.length,
  });
}
