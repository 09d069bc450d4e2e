import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../common/logger';
import {
  DocumentIntegrityError,
  FileSystemDocumentStore,
  InvalidDocumentReference,
  storedDocumentSchema,
} from '../../../integrations/documents/document-store';

const bytes = Buffer.from('%PDF-1.4 firmato dal Sindaco\n%%EOF\n');
const sha256 = createHash('sha256').update(bytes).digest('hex');
const logger = createLogger('document-store-test', 'silent');
const openStore = (root: string) => new FileSystemDocumentStore(root, { logger });

describe('FileSystemDocumentStore', () => {
  let root: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'document-store-'));
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('stores content-addressed and reads back', async () => {
    const store = openStore(root);
    const stored = await store.put(bytes, {
      contentType: 'application/pkcs7-mime',
      originalName: 'modulo.pdf.p7m',
    });
    expect(storedDocumentSchema.parse(stored)).toEqual(stored);
    expect(stored).toMatchObject({ sha256, size: bytes.length, contentType: 'application/pkcs7-mime' });
    expect(stored.originalName).toBe('modulo.pdf.p7m');

    expect(await store.get(sha256)).toEqual(bytes);
    expect(await store.has(sha256)).toBe(true);
    expect(await store.stat(sha256)).toEqual(stored);

    const contentPath = path.join(root, sha256.slice(0, 2), sha256);
    expect(await fs.readFile(contentPath)).toEqual(bytes);
    const sidecar: unknown = JSON.parse(await fs.readFile(`${contentPath}.json`, 'utf8'));
    expect(sidecar).toEqual(stored);
  });

  it('accepts an uppercase reference', async () => {
    const store = openStore(root);
    await store.put(bytes, { contentType: 'application/pdf' });
    expect(await store.get(sha256.toUpperCase())).toEqual(bytes);
  });

  it('returns undefined / false for an unknown document', async () => {
    const store = openStore(root);
    const unknown = 'a'.repeat(64);
    expect(await store.get(unknown)).toBeUndefined();
    expect(await store.has(unknown)).toBe(false);
    expect(await store.stat(unknown)).toBeUndefined();
  });

  it('is idempotent: the same bytes keep their first reference and are not rewritten', async () => {
    const store = openStore(root);
    const first = await store.put(bytes, {
      contentType: 'application/pkcs7-mime',
      originalName: 'primo.p7m',
    });
    const contentPath = path.join(root, sha256.slice(0, 2), sha256);
    const before = await fs.stat(contentPath);
    const sidecarBefore = await fs.readFile(`${contentPath}.json`, 'utf8');

    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await store.put(Buffer.from(bytes), {
      contentType: 'application/octet-stream',
      originalName: 'x',
    });
    expect(second).toEqual(first);
    const after = await fs.stat(contentPath);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(await fs.readFile(`${contentPath}.json`, 'utf8')).toBe(sidecarBefore);

    const entries = await fs.readdir(path.join(root, sha256.slice(0, 2)));
    expect(entries.sort()).toEqual([sha256, `${sha256}.json`]);
  });

  it('gives concurrent puts of the same bytes one reference', async () => {
    const store = openStore(root);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        store.put(bytes, { contentType: `application/x-test-${index}` }),
      ),
    );
    const stored = await store.stat(sha256);
    for (const result of results) expect(result.sha256).toBe(sha256);
    expect(results.filter((result) => result.contentType === stored?.contentType).length).toBeGreaterThan(0);
    const entries = await fs.readdir(path.join(root, sha256.slice(0, 2)));
    expect(entries.sort()).toEqual([sha256, `${sha256}.json`]);
  });

  it('stores different bytes under different references', async () => {
    const store = openStore(root);
    const a = await store.put(bytes, { contentType: 'application/pdf' });
    const b = await store.put(Buffer.from('altro documento'), { contentType: 'text/plain' });
    expect(a.sha256).not.toBe(b.sha256);
    expect((await store.get(b.sha256))?.toString()).toBe('altro documento');
  });

  it('rejects malformed references, path traversal included', async () => {
    const store = openStore(root);
    const bad = [
      '',
      'abc',
      '../../etc/passwd',
      `../${'a'.repeat(61)}`,
      `${'a'.repeat(63)}/`,
      `${'a'.repeat(63)}g`,
      'a'.repeat(65),
      `${'a'.repeat(64)}.json`,
      ` ${'a'.repeat(64)}`,
    ];
    for (const reference of bad) {
      await expect(store.get(reference)).rejects.toBeInstanceOf(InvalidDocumentReference);
      await expect(store.has(reference)).rejects.toBeInstanceOf(InvalidDocumentReference);
      await expect(store.stat(reference)).rejects.toBeInstanceOf(InvalidDocumentReference);
    }
  });

  it('rejects metadata without a content type', async () => {
    const store = openStore(root);
    await expect(store.put(bytes, { contentType: '  ' })).rejects.toThrow();
    expect(await store.has(sha256)).toBe(false);
  });

  it('survives a new instance over the same folder', async () => {
    const stored = await openStore(root).put(bytes, { contentType: 'application/pdf' });
    const reopened = openStore(root);
    expect(await reopened.has(sha256)).toBe(true);
    expect(await reopened.get(sha256)).toEqual(bytes);
    expect(await reopened.stat(sha256)).toEqual(stored);
    expect(await reopened.put(bytes, { contentType: 'text/plain' })).toEqual(stored);
  });

  it('detects altered bytes on read', async () => {
    const store = openStore(root);
    await store.put(bytes, { contentType: 'application/pdf' });
    const contentPath = path.join(root, sha256.slice(0, 2), sha256);
    const altered = Buffer.from(bytes);
    altered[0] = 0x00;
    await fs.writeFile(contentPath, altered);
    await expect(store.get(sha256)).rejects.toBeInstanceOf(DocumentIntegrityError);
  });

  it('restores missing content on the next put of the same bytes', async () => {
    const store = openStore(root);
    const stored = await store.put(bytes, { contentType: 'application/pdf' });
    await fs.rm(path.join(root, sha256.slice(0, 2), sha256));
    expect(await store.has(sha256)).toBe(false);
    await expect(store.get(sha256)).rejects.toBeInstanceOf(DocumentIntegrityError);
    expect(await store.put(bytes, { contentType: 'text/plain' })).toEqual(stored);
    expect(await store.get(sha256)).toEqual(bytes);
  });
});
