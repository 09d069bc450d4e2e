import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignedFormRejected } from './signed-form-errors';

export const OID_CMS_DATA = '1.2.840.113549.1.7.1';
export const OID_CMS_SIGNED_DATA = '1.2.840.113549.1.7.2';

/**
 * Parser limits for untrusted uploads. A signed form is usually well under 5 MB; some signing tools
 * split the content into many small OCTET STRING chunks, hence the generous node count.
 */
const BER_LIMITS = { maxContentLength: 64 * 1024 * 1024, maxNodes: 200_000, maxDepth: 64 } as const;

export type P7mEncoding = 'der' | 'base64';

const ASN1_SEQUENCE_TAG = 0x30;
const PEM_ARMOUR = /-----(BEGIN|END) [A-Z0-9 #/-]+-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Accepts binary DER/BER, or its base64 text (line breaks allowed, optional `-----BEGIN PKCS7-----`
 * armour). Returns the binary encoding; rejects with `empty` or `malformed`.
 */
export function decodeP7mInput(input: Buffer): { der: Buffer; encoding: P7mEncoding } {
  if (input.length === 0) throw new SignedFormRejected('empty');
  if (input[0] === ASN1_SEQUENCE_TAG) return { der: input, encoding: 'der' };

  const text = input.toString('latin1').replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '');
  const body = text.replace(PEM_ARMOUR, '').replace(/\s+/g, '');
  if (body.length === 0) throw new SignedFormRejected('empty', 'input holds only whitespace or armour');
  if (!BASE64_BODY.test(body) || body.length % 4 === 1) {
    throw new SignedFormRejected('malformed', 'neither DER nor base64');
  }
  const der = Buffer.from(body, 'base64');
  if (der.length === 0 || der[0] !== ASN1_SEQUENCE_TAG) {
    throw new SignedFormRejected('malformed', 'base64 does not decode to an ASN.1 SEQUENCE');
  }
  return { der, encoding: 'base64' };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses a CMS ContentInfo and requires it to wrap SignedData.
 * Trailing bytes after the structure are tolerated only when they are zero padding.
 */
export function parseSignedData(der: Buffer): pkijs.SignedData {
  let asn1: ReturnType<typeof asn1js.fromBER>;
  try {
    asn1 = asn1js.fromBER(der, BER_LIMITS);
  } catch (error) {
    // asn1js throws (rather than reporting) on some malformed primitives, e.g. a GeneralizedTime.
    throw new SignedFormRejected('malformed', `ASN.1 decoding failed: ${describe(error)}`);
  }
  if (asn1.offset === -1 || asn1.result.error) {
    throw new SignedFormRejected(
      'malformed',
      `ASN.1 decoding failed: ${asn1.result.error || 'unknown error'}`,
    );
  }
  if (der.subarray(asn1.offset).some((byte) => byte !== 0)) {
    throw new SignedFormRejected('malformed', 'unexpected bytes after the CMS structure');
  }

  let contentInfo: pkijs.ContentInfo;
  try {
    contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
  } catch (error) {
    throw new SignedFormRejected('malformed', `not a CMS ContentInfo: ${describe(error)}`);
  }
  if (contentInfo.contentType !== OID_CMS_SIGNED_DATA) {
    throw new SignedFormRejected('not_signed_data', `content type ${contentInfo.contentType}`);
  }

  try {
    return new pkijs.SignedData({ schema: contentInfo.content });
  } catch (error) {
    throw new SignedFormRejected('malformed', `invalid SignedData: ${describe(error)}`);
  }
}

/** The encapsulated content bytes, or undefined for a detached signature. */
export function encapsulatedContent(signedData: pkijs.SignedData): Buffer | undefined {
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) return undefined;
  if (eContent.idBlock.tagClass === 1 && eContent.idBlock.tagNumber === 4) {
    return Buffer.from(eContent.getValue());
  }
  // Non-OCTET STRING content (legacy PKCS#7 "any"): the raw encoding is what was signed.
  return Buffer.from(eContent.valueBlock.valueBeforeDecodeView);
}
