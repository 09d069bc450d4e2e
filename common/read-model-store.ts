import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import type { ReadModelDocumentKey, ReadModelWrite } from '../contracts/read-model';

/** A document as read back: the journey's state as of `asOf` (workflow time), written at `writtenAt`. */
export interface ReadModelEntry<T = unknown> {
  document: T;
  asOf: string;
  writtenAt: string;
}

// The sealed form first: `document: z.unknown()` would also accept an envelope without a document.
const envelopeSchema = z.union([
  z.object({ asOf: z.string(), writtenAt: z.string(), payload: z.string() }),
  z.object({ asOf: z.string(), writtenAt: z.string(), document: z.unknown() }),
]);

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;

export class ReadModelStoreError extends Error {
  override name = 'ReadModelStoreError';
}

/**
 * The pages' read model on disk (issue #13): one folder per Comune (`<dir>/<ipa>/`) with its journey (`comune.json`),
 * its planned services (`plan.json`) and each started service (`service-<slug>.json`). The worker writes a document
 * at the end of the workflow task that changed it, before the task completes (worker/read-model-sink.ts), so a step's
 * answer is never newer than the page; the API reads it without a workflow task.
 *
 * Each write is atomic (temporary file + rename) and the writes of one file are applied in order. With payload
 * encryption on (PAYLOAD_ENCRYPTION_KEY), documents are sealed with the same codec as the histories, so the disk
 * holds no more in clear than Temporal does. The read model can be deleted at any time: each journey writes its
 * documents again at its next task, and pages fall back to a query meanwhile.
 */
export class ReadModelStore {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    readonly dir: string,
    private readonly codec?: PayloadCodec,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the documents of one workflow task. */
  async write(write: ReadModelWrite): Promise<void> {
    const writtenAt = new Date(this.now()).toISOString();
    if (write.fresh) await this.clear(write.ipa);
    await Promise.all(
      write.documents.map(async ({ key, json }) => {
        const file = this.fileOf(write.ipa, key);
        const text = await this.envelope(write.asOf, writtenAt, json);
        await this.inOrder(file, () => writeAtomically(file, text));
      }),
    );
  }

  /** A document, or undefined when the journey has not written it (yet). */
  async read<T = unknown>(ipa: string, key: ReadModelDocumentKey): Promise<ReadModelEntry<T> | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(ipa, key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new ReadModelStoreError(`documento «${key}» di ${ipa} non valido`);
    const envelope = parsed.data;
    if ('payload' in envelope) {
      if (!this.codec)
        throw new ReadModelStoreError(`documento «${key}» di ${ipa} cifrato, nessuna chiave configurata`);
      const [payload] = await this.codec.decode([
        temporal.api.common.v1.Payload.decode(Buffer.from(envelope.payload, 'base64')),
      ]);
      const document = JSON.parse(Buffer.from(payload!.data ?? new Uint8Array()).toString('utf8')) as T;
      return { document, asOf: envelope.asOf, writtenAt: envelope.writtenAt };
    }
    return { document: envelope.document as T, asOf: envelope.asOf, writtenAt: envelope.writtenAt };
  }

  /**
   * Removes documents a task could not write, so no page shows them as current: the page then asks the journey to
   * write them again (best effort: a removal that fails too is ignored).
   */
  async forget(ipa: string, keys: readonly ReadModelDocumentKey[]): Promise<void> {
    await Promise.all(
      keys.map((key) => {
        const file = this.fileOf(ipa, key);
        return this.inOrder(file, () => fs.rm(file, { force: true })).catch(() => undefined);
      }),
    );
  }

  /** Removes a Comune's documents (a journey started again under the same id writes its own). */
  private async clear(ipa: string): Promise<void> {
    const folder = path.dirname(this.fileOf(ipa, 'comune'));
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    await Promise.all(
      names.map((name) =>
        this.inOrder(path.join(folder, name), () => fs.rm(path.join(folder, name), { force: true })),
      ),
    );
  }

  /** Resolves when no write is in flight (an orderly shutdown, tests). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  private fileOf(ipa: string, key: ReadModelDocumentKey): string {
    const name = key.startsWith('service:') ? `service-${key.slice('service:'.length)}` : key;
    if (!SAFE_NAME.test(ipa) || !SAFE_NAME.test(name)) {
      throw new ReadModelStoreError(`nome di documento non valido: ${ipa}/${name}`);
    }
    return path.join(this.dir, ipa, `${name}.json`);
  }

  private async envelope(asOf: string, writtenAt: string, json: string): Promise<string> {
    const head = `{"asOf":${JSON.stringify(asOf)},"writtenAt":${JSON.stringify(writtenAt)}`;
    if (!this.codec) return `${head},"document":${json}}`;
    const [sealed] = await this.codec.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(json, 'utf8') },
    ]);
    const bytes = temporal.api.common.v1.Payload.encode(sealed!).finish();
    return `${head},"payload":${JSON.stringify(Buffer.from(bytes).toString('base64'))}}`;
  }

  private inOrder(file: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(file) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.chains.set(file, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.chains.get(file) === next) this.chains.delete(file);
      });
    return next;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(temporary, text, { mode: 0o600 });
  await fs.rename(temporary, file);
}

/** The store the configuration asks for: READ_MODEL_DIR or `<DATA_DIR>/read-model`, sealed like the histories. */
export function readModelStoreFromConfig(
  config: { READ_MODEL_DIR?: string | undefined; dataDir: string },
  codec: PayloadCodec | undefined,
): ReadModelStore {
  return new ReadModelStore(config.READ_MODEL_DIR ?? path.join(config.dataDir, 'read-model'), codec);
}
