import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnyViewDocument, ComuneViewDocument, ServiceViewDocument } from '../../contracts/read-model';

const IPA = /^[a-z0-9_]{2,20}$/;
const SLUG = /^[a-z0-9-]{2,60}$/;

export interface StoredView<D extends AnyViewDocument> {
  document: D;
  writtenAt: string;
}

/**
 * The read model on the file system: one JSON file per Comune (`comune/<ipa>.json`) and per service
 * (`service/<ipa>/<slug>.json`), written atomically (temporary file + rename), shared by the workers that write
 * and the API that reads, like the document and key stores. A document replaces the stored one only when it is
 * newer (workflow time, then sequence), so a slow retried write never brings a page back in time.
 */
export class FileViewStore {
  constructor(private readonly dir: string) {}

  async put(document: AnyViewDocument): Promise<{ written: boolean }> {
    const file = this.fileOf(document.workflowId);
    const current = await this.readFile(file);
    if (current && !isNewer(document, current.document)) return { written: false };
    await fs.mkdir(path.dirname(file), { recursive: true });
    const stored: StoredView<AnyViewDocument> = { document, writtenAt: new Date().toISOString() };
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temporary, JSON.stringify(stored));
    await fs.rename(temporary, file);
    return { written: true };
  }

  async comune(ipaCode: string): Promise<StoredView<ComuneViewDocument> | undefined> {
    return (await this.readFile(this.fileOf(`comune:${ipaCode}`))) as
      StoredView<ComuneViewDocument> | undefined;
  }

  async service(ipaCode: string, slug: string): Promise<StoredView<ServiceViewDocument> | undefined> {
    return (await this.readFile(this.fileOf(`service:${ipaCode}:${slug}`))) as
      StoredView<ServiceViewDocument> | undefined;
  }

  private fileOf(workflowId: string): string {
    const [kind, ipa = '', slug = ''] = workflowId.split(':');
    if (kind === 'comune' && IPA.test(ipa)) return path.join(this.dir, 'comune', `${ipa}.json`);
    if (kind === 'service' && IPA.test(ipa) && SLUG.test(slug))
      return path.join(this.dir, 'service', ipa, `${slug}.json`);
    throw new RangeError(`not a Comune or service workflow id: ${workflowId}`);
  }

  private async readFile(file: string): Promise<StoredView<AnyViewDocument> | undefined> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as StoredView<AnyViewDocument>;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (err instanceof SyntaxError) return undefined; // never: writes are atomic; a broken file reads as absent
      throw err;
    }
  }
}

function isNewer(next: AnyViewDocument, current: AnyViewDocument): boolean {
  if (next.asOf !== current.asOf) return next.asOf > current.asOf;
  return next.seq >= current.seq;
}
