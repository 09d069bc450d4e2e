import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createLogger, type Logger } from '../../common/logger';

/** A document reference: the lowercase hex SHA-256 of its bytes. */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
export const sha256HexSchema = z
  .string()
  .regex(SHA256_HEX_PATTERN, 'Expected a lowercase hex SHA-256 (64 chars)');

export const documentMetaSchema = z.object({
  contentType: z.string().trim().min(1).max(255),
  originalName: z.string().trim().min(1).max(255).optional(),
});
export type DocumentMeta = z.input<typeof documentMetaSchema>;

export const storedDocumentSchema = z.object({
  sha256: sha256HexSchema,
  size: z.number().int().nonnegative(),
  contentType: z.string().min(1),
  /** ISO timestamp of the first time these bytes were stored. */
  storedAt: z.iso.datetime(),
  /** The file name given at the first upload of these bytes (later uploads of the same bytes keep it). */
  originalName: z.string().optional(),
});
export type StoredDocument = z.infer<typeof storedDocumentSchema>;

/**
 * Content-addressed, immutable document storage. Storage-agnostic: a document is named only by
 * the SHA-256 of its bytes, so a file system, an object store (key = hash) or a database can back it.
 * `put` is idempotent: the same bytes always give the same reference, and the first metadata wins.
 */
export interface DocumentStore {
  put(bytes: Buffer, meta: DocumentMeta): Promise<StoredDocument>;
  get(sha256: string): Promise<Buffer | undefined>;
  has(sha256: string): Promise<boolean>;
  stat(sha256: string): Promise<StoredDocument | undefined>;
}

/** The argument is not a SHA-256 reference (wrong length, non-hex, path tricks…). */
export class InvalidDocumentReference extends Error {
  readonly reason = 'invalid_document_reference' as const;
  constructor(readonly reference: string) {
    super('Invalid document reference: expected 64 hex characters');
    this.name = 'InvalidDocumentReference';
  }
}

/** What is stored under a reference does not match it (lost or altered bytes, broken metadata). */
export class DocumentIntegrityError extends Error {
  readonly reason = 'document_integrity' as const;
  constructor(
    readonly sha256: string,
    detail: string,
  ) {
    super(`Stored document ${sha256} failed its integrity check: ${detail}`);
    this.name = 'DocumentIntegrityError';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Validates a reference and normalises it to lowercase; throws {@link InvalidDocumentReference}. */
export function parseDocumentReference(sha256: string): string {
  const normalised = typeof sha256 === 'string' ? sha256.toLowerCase() : '';
  if (!SHA256_HEX_PATTERN.test(normalised)) throw new InvalidDocumentReference(String(sha256));
  return normalised;
}

/** Duck-typed: errors from Node's fs may come from another realm (e.g. under Jest), so no instanceof. */
function isErrnoException(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Writes `data` to a temporary file in `dir`, flushes it, then publishes it at `target`:
 * `replace` renames over any existing file; `exclusive` hard-links and leaves an existing file untouched
 * (returns false in that case). Readers never see a partially written file.
 */
async function writeAtomically(
  dir: string,
  target: string,
  data: Uint8Array | string,
  mode: 'replace' | 'exclusive',
): Promise<boolean> {
  const temp = path.join(dir, `.tmp-${randomUUID()}`);
  const handle = await fs.open(temp, 'wx', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (mode === 'replace') {
      await fs.rename(temp, target);
      return true;
    }
    try {
      await fs.link(temp, target);
      return true;
    } catch (error) {
      if (isErrnoException(error, 'EEXIST')) return false;
      throw error;
    }
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Stores each document as `<root>/<first two hex chars>/<sha256>` with a sidecar `<sha256>.json`
 * holding its {@link StoredDocument} metadata. The sidecar is written last and marks the document
 * as present, so a crash half-way leaves at most an orphan content file, which the next `put` reuses.
 */
export class FileSystemDocumentStore implements DocumentStore {
  private readonly rootDir: string;
  private readonly log: Logger;

  constructor(rootDir: string, options: { logger?: Logger } = {}) {
    this.rootDir = path.resolve(rootDir);
    this.log = options.logger ?? createLogger('document-store');
  }

  async put(bytes: Buffer, meta: DocumentMeta): Promise<StoredDocument> {
    const { contentType, originalName } = documentMetaSchema.parse(meta);
    const sha256 = sha256Hex(bytes);
    const { dir, content, sidecar } = this.locate(sha256);

    const existing = await this.readSidecar(sha256, sidecar);
    if (existing && (await fileSize(content)) === existing.size) return existing;

    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    if ((await fileSize(content)) !== bytes.length) await writeAtomically(dir, content, bytes, 'replace');
    if (existing) return existing;

    const document = storedDocumentSchema.parse({
      sha256,
      size: bytes.length,
      contentType,
      storedAt: new Date().toISOString(),
      ...(originalName === undefined ? {} : { originalName }),
    });
    const published = await writeAtomically(
      dir,
      sidecar,
      `${JSON.stringify(document, null, 2)}\n`,
      'exclusive',
    );
    if (!published) {
      // A concurrent put of the same bytes won the race: its metadata is the reference.
      const winner = await this.readSidecar(sha256, sidecar);
      if (winner) return winner;
    }
    this.log.info({ sha256, size: document.size, contentType }, 'document stored');
    return document;
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    const reference = parseDocumentReference(sha256);
    const { content, sidecar } = this.locate(reference);
    const document = await this.readSidecar(reference, sidecar);
    if (!document) return undefined;
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(content);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT'))
        throw new DocumentIntegrityError(reference, 'content file missing');
      throw error;
    }
    if (bytes.length !== document.size || sha256Hex(bytes) !== reference) {
      throw new DocumentIntegrityError(reference, 'content does not match its hash');
    }
    return bytes;
  }

  async has(sha256: string): Promise<boolean> {
    const reference = parseDocumentReference(sha256);
    const document = await this.readSidecar(reference, this.locate(reference).sidecar);
    return document !== undefined && (await fileSize(this.locate(reference).content)) === document.size;
  }

  async stat(sha256: string): Promise<StoredDocument | undefined> {
    const reference = parseDocumentReference(sha256);
    return this.readSidecar(reference, this.locate(reference).sidecar);
  }

  /** Only ever called with a validated lowercase hex reference, so the paths stay under the root. */
  private locate(sha256: string): { dir: string; content: string; sidecar: string } {
    const dir = path.join(this.rootDir, sha256.slice(0, 2));
    return { dir, content: path.join(dir, sha256), sidecar: path.join(dir, `${sha256}.json`) };
  }

  private async readSidecar(sha256: string, sidecar: string): Promise<StoredDocument | undefined> {
    let raw: string;
    try {
      raw = await fs.readFile(sidecar, 'utf8');
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new DocumentIntegrityError(sha256, 'metadata is not valid JSON');
    }
    const result = storedDocumentSchema.safeParse(parsed);
    if (!result.success || result.data.sha256 !== sha256) {
      throw new DocumentIntegrityError(sha256, 'metadata does not describe this document');
    }
    return result.data;
  }
}
