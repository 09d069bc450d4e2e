import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from './config';

/**
 * AES-256-GCM encryption of every payload the client and the worker exchange with Temporal: workflow inputs and
 * results, Update and signal arguments, query results, activity inputs and results, memos, failure details. What
 * Temporal stores (and shows in its Web UI) is then ciphertext; only processes holding the key read it.
 *
 * Not encrypted, by Temporal's design: search attributes (the server indexes them), workflow ids and types, and the
 * message and stack trace of failures (activities must not put personal data in error messages).
 *
 * Format: metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`; data = IV (12 random bytes) ‖
 * ciphertext ‖ GCM tag (16 bytes), the plaintext being the whole original Payload (its own metadata included)
 * serialised as protobuf. The key id is authenticated too (additional data), so changing it is detected.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  /** Stored with each payload, so that keys can rotate: old payloads name the key that opens them. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface AesGcmPayloadCodecOptions {
  /** The key new payloads are encrypted with; none: new payloads stay plain (decrypt-only, to turn encryption off). */
  current?: PayloadKey;
  /** Retired keys, kept to read payloads written before a rotation. */
  previous?: PayloadKey[];
}

export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** A payload's metadata value as text (metadata values are bytes). */
function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? textDecoder.decode(value) : undefined;
}

const additionalData = (keyId: string) => Buffer.from(`${ENCRYPTED_ENCODING};${keyId}`, 'utf8');

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current?: PayloadKey;
  private readonly keys = new Map<string, Buffer>();

  constructor(options: AesGcmPayloadCodecOptions) {
    for (const k of [...(options.previous ?? []), ...(options.current ? [options.current] : [])]) {
      if (!KEY_ID.test(k.id)) throw new Error(`payload key id «${k.id}»: 1-64 letters, digits, . _ -`);
      if (k.key.length !== KEY_BYTES) throw new Error(`payload key «${k.id}»: ${KEY_BYTES} bytes expected`);
      const known = this.keys.get(k.id);
      if (known && !known.equals(k.key)) throw new Error(`payload key id «${k.id}» given twice`);
      this.keys.set(k.id, k.key);
    }
    this.current = options.current;
  }

  /** The id new payloads are encrypted with, if any. */
  get currentKeyId(): string | undefined {
    return this.current?.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.current;
    if (!current) return payloads;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(additionalData(current.id));
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          encoding: textEncoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: textEncoder.encode(current.id),
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  /** Encrypted payloads are opened with the key they name; any other payload (recorded before) passes through. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (metadataText(payload, 'encoding') !== ENCRYPTED_ENCODING) return payload;
      const keyId = metadataText(payload, KEY_ID_METADATA);
      if (keyId === undefined)
        throw new PayloadDecryptionError(`encrypted payload without ${KEY_ID_METADATA}`);
      const key = this.keys.get(keyId);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload encrypted with key «${keyId}», which is not configured (PAYLOAD_ENCRYPTION_KEY / PAYLOAD_ENCRYPTION_PREVIOUS_KEYS)`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(additionalData(keyId));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plaintext = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plaintext);
      } catch {
        throw new PayloadDecryptionError(
          `payload encrypted with key «${keyId}» cannot be decrypted: wrong key or altered data`,
        );
      }
    });
  }
}

/** `id:base64,id:base64` → keys (the format of PAYLOAD_ENCRYPTION_PREVIOUS_KEYS; validated by the config). */
export function parsePayloadKeyList(value: string | undefined): PayloadKey[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.indexOf(':');
      return { id: item.slice(0, at), key: Buffer.from(item.slice(at + 1), 'base64') };
    });
}

export type PayloadEncryptionConfig = Partial<
  Pick<Config, 'PAYLOAD_ENCRYPTION_KEY' | 'PAYLOAD_ENCRYPTION_KEY_ID' | 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS'>
>;

/** The codec the configuration asks for; undefined when no key is set (payloads stay plain JSON). */
export function payloadCodecFromConfig(config: PayloadEncryptionConfig): AesGcmPayloadCodec | undefined {
  const previous = parsePayloadKeyList(config.PAYLOAD_ENCRYPTION_PREVIOUS_KEYS);
  if (!config.PAYLOAD_ENCRYPTION_KEY && previous.length === 0) return undefined;
  return new AesGcmPayloadCodec({
    current: config.PAYLOAD_ENCRYPTION_KEY
      ? {
          id: config.PAYLOAD_ENCRYPTION_KEY_ID ?? 'k1',
          key: Buffer.from(config.PAYLOAD_ENCRYPTION_KEY, 'base64'),
        }
      : undefined,
    previous,
  });
}

/** The data converter shared by the API's client, the worker and the worker's own client. */
export function dataConverterFromConfig(config: PayloadEncryptionConfig): DataConverter | undefined {
  const codec = payloadCodecFromConfig(config);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
