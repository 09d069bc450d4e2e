import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { OpenedFiles } from '../../common/opened-files';

/**
 * Each Comune's own IO manage key (primary, secondary optional), encrypted at rest. PagoPA has no partner-wide key:
 * staff read each Comune's key in its IO back office and record it; the API verifies it and stores it here; the
 * worker's activities resolve it at call time, so a key replaced in the back office is used from the next call.
 * The workflow only ever sees the record's opaque `ref` and a short fingerprint.
 *
 * One file per Comune (`<dir>/<ipa>.json`), written atomically (temporary file + rename), so the API and the
 * workers share the store through the file system without a lock: each read sees a whole record.
 *
 * Encryption: AES-256-GCM under a key-encryption key (KEK) from configuration. Each record names the KEK id it was
 * sealed with, so KEKs can rotate (`rewrap` seals every record with the current one; retired KEKs stay readable
 * while they are configured). The additional data binds the ciphertext to its Comune, reference and KEK id: a
 * record copied under another Comune's name does not open.
 */

const IV_BYTES = 12;
const KEY_BYTES = 32;
const KEK_ID = /^[A-Za-z0-9._-]{1,64}$/;
const IPA_CODE = /^[a-z0-9_]{2,20}$/;

export interface KeyEncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface ManageKeyGroup {
  /** The Selfcare group whose manage key this is (services created with it carry `metadata.group_id`). */
  id: string;
  name?: string;
}

/** What anyone may read about a recorded key: never the key itself. */
export interface ManageKeyRecord {
  /** Opaque reference the workflow keeps; changes when the key changes. */
  ref: string;
  ipaCode: string;
  organizationFiscalCode: string;
  /** First 12 hex characters of the primary key's SHA-256: tells two keys apart, reveals nothing usable. */
  fingerprint: string;
  hasSecondary: boolean;
  group?: ManageKeyGroup;
  recordedAt: string;
  recordedBy: string;
}

export interface ManageKeySecret {
  primary: string;
  secondary?: string;
}

const storedSchema = z.object({
  version: z.literal(1),
  ref: z.string().regex(/^mk_[a-z0-9_]{2,20}_[0-9a-f]{12}$/),
  ipaCode: z.string().regex(IPA_CODE),
  organizationFiscalCode: z.string().regex(/^[0-9]{11}$/),
  fingerprint: z.string().regex(/^[0-9a-f]{12}$/),
  hasSecondary: z.boolean(),
  group: z.object({ id: z.string().min(1).max(100), name: z.string().max(200).optional() }).optional(),
  recordedAt: z.iso.datetime(),
  recordedBy: z.string().min(1).max(200),
  sealed: z.object({ kekId: z.string().regex(KEK_ID), iv: z.base64(), data: z.base64(), tag: z.base64() }),
});
type StoredRecord = z.infer<typeof storedSchema>;

export class ManageKeyStoreError extends Error {
  override readonly name = 'ManageKeyStoreError';
}

export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}

/** Opened keys kept by a worker, at most this many Comuni (least recently used dropped first). */
const OPENED_KEYS_MAX = 10_000;

export class ManageKeyStore {
  private readonly keks = new Map<string, Buffer>();
  private readonly current: KeyEncryptionKey;
  /**
   * The keys `resolve` opened: an activity's call asks the file system for the record's version only (one stat)
   * while the record has not changed, instead of reading, checking and decrypting it at every call. Any write, by
   * this process or another, changes the version (common/opened-files.ts).
   */
  private readonly opened: OpenedFiles<{ record: ManageKeyRecord; secret: ManageKeySecret }>;

  constructor(
    private readonly dir: string,
    keks: { current: KeyEncryptionKey; previous?: KeyEncryptionKey[] },
    options: { now?: () => number } = {},
  ) {
    this.opened = new OpenedFiles({ maxEntries: OPENED_KEYS_MAX, ...options });
    for (const k of [...(keks.previous ?? []), keks.current]) {
      if (!KEK_ID.test(k.id)) throw new ManageKeyStoreError(`KEK id «${k.id}»: 1-64 letters, digits, . _ -`);
      if (k.key.length !== KEY_BYTES)
        throw new ManageKeyStoreError(`KEK «${k.id}»: ${KEY_BYTES} bytes expected`);
      const known = this.keks.get(k.id);
      if (known && !known.equals(k.key)) throw new ManageKeyStoreError(`KEK id «${k.id}» given twice`);
      this.keks.set(k.id, k.key);
    }
    this.current = keks.current;
  }

  /**
   * Records a Comune's key (replacing the one before). Recording the same key again keeps its reference, so it is
   * harmless; the record's time and author are the latest.
   */
  async put(entry: {
    ipaCode: string;
    organizationFiscalCode: string;
    secret: ManageKeySecret;
    group?: ManageKeyGroup;
    recordedBy: string;
    recordedAt?: string;
  }): Promise<ManageKeyRecord> {
    const ipaCode = this.ipa(entry.ipaCode);
    const fingerprint = keyFingerprint(entry.secret.primary);
    const ref = `mk_${ipaCode}_${fingerprint}`;
    const stored: StoredRecord = {
      version: 1,
      ref,
      ipaCode,
      organizationFiscalCode: entry.organizationFiscalCode,
      fingerprint,
      hasSecondary: entry.secret.secondary !== undefined,
      ...(entry.group ? { group: entry.group } : {}),
      recordedAt: entry.recordedAt ?? new Date().toISOString(),
      recordedBy: entry.recordedBy,
      sealed: this.seal(ipaCode, ref, entry.secret),
    };
    await this.write(storedSchema.parse(stored));
    return publicRecord(stored);
  }

  /**
   * `put`, with a way back: `undo` puts the record before it back (or removes the new one), for a caller whose next
   * step failed (the journey refused the new key's reference), so the store never holds a key the journey does not.
   */
  async putUndoably(entry: Parameters<ManageKeyStore['put']>[0]): Promise<{
    record: ManageKeyRecord;
    undo: () => Promise<void>;
  }> {
    const ipaCode = this.ipa(entry.ipaCode);
    const previous = await this.read(ipaCode);
    const record = await this.put(entry);
    return {
      record,
      undo: async () => {
        if (previous) await this.write(previous);
        else await fs.rm(path.join(this.dir, `${ipaCode}.json`), { force: true });
      },
    };
  }

  /** The Comune's record, without the key; undefined when none is recorded. */
  async describe(ipaCode: string): Promise<ManageKeyRecord | undefined> {
    const stored = await this.read(this.ipa(ipaCode));
    return stored ? publicRecord(stored) : undefined;
  }

  /** The Comune's key, for the activity about to call PagoPA with it. */
  async resolve(ipaCode: string): Promise<{ record: ManageKeyRecord; secret: ManageKeySecret } | undefined> {
    const ipa = this.ipa(ipaCode);
    return this.opened.read(path.join(this.dir, `${ipa}.json`), async () => {
      const stored = await this.read(ipa);
      return stored && { record: publicRecord(stored), secret: this.open(stored) };
    });
  }

  /** Seals every record with the current KEK (after a rotation); returns how many were rewritten. */
  async rewrap(): Promise<number> {
    let rewritten = 0;
    for (const file of await this.files()) {
      const stored = await this.read(file.replace(/\.json$/, ''));
      if (!stored || stored.sealed.kekId === this.current.id) continue;
      await this.write({ ...stored, sealed: this.seal(stored.ipaCode, stored.ref, this.open(stored)) });
      rewritten += 1;
    }
    return rewritten;
  }

  private ipa(ipaCode: string): string {
    const normalised = ipaCode.trim().toLowerCase();
    if (!IPA_CODE.test(normalised)) throw new ManageKeyStoreError(`codice IPA non valido: ${ipaCode}`);
    return normalised;
  }

  private additionalData(ipaCode: string, ref: string, kekId: string): Buffer {
    return Buffer.from(`io-manage-key;${ipaCode};${ref};${kekId}`, 'utf8');
  }

  private seal(ipaCode: string, ref: string, secret: ManageKeySecret): StoredRecord['sealed'] {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(this.additionalData(ipaCode, ref, this.current.id));
    const data = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final()]);
    return {
      kekId: this.current.id,
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  private open(stored: StoredRecord): ManageKeySecret {
    const kek = this.keks.get(stored.sealed.kekId);
    if (!kek) {
      throw new ManageKeyStoreError(
        `la chiave di gestione di ${stored.ipaCode} è cifrata con la KEK «${stored.sealed.kekId}», non configurata`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(stored.sealed.iv, 'base64'));
      decipher.setAAD(this.additionalData(stored.ipaCode, stored.ref, stored.sealed.kekId));
      decipher.setAuthTag(Buffer.from(stored.sealed.tag, 'base64'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(stored.sealed.data, 'base64')),
        decipher.final(),
      ]).toString('utf8');
      return z.object({ primary: z.string(), secondary: z.string().optional() }).parse(JSON.parse(plaintext));
    } catch {
      throw new ManageKeyStoreError(
        `la chiave di gestione di ${stored.ipaCode} non si decifra: KEK errata o record alterato`,
      );
    }
  }

  private async files(): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir)).filter((f) => /^[a-z0-9_]{2,20}\.json$/.test(f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private async read(ipaCode: string): Promise<StoredRecord | undefined> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, `${ipaCode}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = storedSchema.safeParse(JSON.parse(text));
    if (!parsed.success || parsed.data.ipaCode !== ipaCode) {
      throw new ManageKeyStoreError(`record della chiave di gestione di ${ipaCode} non valido`);
    }
    return parsed.data;
  }

  private async write(stored: StoredRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${stored.ipaCode}.json`);
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temporary, JSON.stringify(stored), { mode: 0o600 });
    await fs.rename(temporary, file);
  }
}

function publicRecord(stored: StoredRecord): ManageKeyRecord {
  return {
    ref: stored.ref,
    ipaCode: stored.ipaCode,
    organizationFiscalCode: stored.organizationFiscalCode,
    fingerprint: stored.fingerprint,
    hasSecondary: stored.hasSecondary,
    ...(stored.group ? { group: stored.group } : {}),
    recordedAt: stored.recordedAt,
    recordedBy: stored.recordedBy,
  };
}
