import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import type { ReadModelDocumentKey, ReadModelWrite } from '../contracts/read-model';
import { writeInFolder } from './files';
import { OpenedFiles } from './opened-files';

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

/**
 * Documents a process keeps opened, at most (least recently read dropped first): a Comune's journey document with
 * 11 services holds about 5.5 KiB of heap (`npm run bench:reads`), so 10,000 documents about 55 MiB.
 */
const KEPT_DOCUMENTS = 10_000;

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
  private readonly journal: ChangeJournal;
  /**
   * The documents this process read, kept while their file is unchanged: a page asks the file system for one stat
   * instead of reading, parsing and decrypting the document at each read (common/opened-files.ts).
   */
  private readonly opened: OpenedFiles<ReadModelEntry>;

  constructor(
    readonly dir: string,
    private readonly codec?: PayloadCodec,
    private readonly now: () => number = Date.now,
  ) {
    this.journal = new ChangeJournal(path.join(dir, CHANGES_FOLDER), now);
    this.opened = new OpenedFiles({ maxEntries: KEPT_DOCUMENTS, now });
  }

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
    // The journal's line is a hint for the portfolio index, appended after the documents: the write (and the workflow
    // task awaiting it) does not wait for it. Under load its three thread-pool round trips were most of the time a
    // workflow task spent in this sink (BENCHMARKS.md, «The engine's floor for a staff step»). idle() waits for it.
    if (write.fresh || write.documents.some((d) => PORTFOLIO_KEYS.has(d.key)))
      void this.journal.note(write.ipa);
  }

  /**
   * The Comuni that have a journey document, by IPA code: the portfolio index reads them all when it starts
   * (api/portfolio-index.ts).
   */
  async comuni(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    return names.filter((name) => SAFE_NAME.test(name));
  }

  /** A reader of the Comuni whose journey document changed, in every process writing to this folder. */
  changes(): ReadModelChangeFeed {
    return new ReadModelChangeFeed(path.join(this.dir, CHANGES_FOLDER));
  }

  /**
   * A document, or undefined when the journey has not written it (yet). The entry is shared with the other reads of
   * the same version of the document (frozen: a caller copies what it changes); `keep: false` reads the file without
   * keeping what it read.
   */
  async read<T = unknown>(
    ipa: string,
    key: ReadModelDocumentKey,
    options: { keep?: boolean } = {},
  ): Promise<ReadModelEntry<T> | undefined> {
    const file = this.fileOf(ipa, key);
    // A reader that keeps its own copy (the portfolio index reads every Comune at start and every ten minutes) reads
    // past the kept documents: it would push the pages' documents out, for nothing.
    if (options.keep === false) return (await this.open(file, ipa, key)) as ReadModelEntry<T> | undefined;
    return (await this.opened.read(file, () => this.open(file, ipa, key))) as ReadModelEntry<T> | undefined;
  }

  private async open(
    file: string,
    ipa: string,
    key: ReadModelDocumentKey,
  ): Promise<ReadModelEntry | undefined> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
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
      const document: unknown = JSON.parse(Buffer.from(payload!.data ?? new Uint8Array()).toString('utf8'));
      return frozen({ document, asOf: envelope.asOf, writtenAt: envelope.writtenAt });
    }
    return frozen({ document: envelope.document, asOf: envelope.asOf, writtenAt: envelope.writtenAt });
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
    if (keys.some((key) => PORTFOLIO_KEYS.has(key))) await this.journal.note(ipa).catch(() => undefined);
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
    await this.journal.idle();
  }

  private fileOf(ipa: string, key: ReadModelDocumentKey): string {
    const name = key.startsWith('service:') ? `service-${key.slice('service:'.length)}` : key;
    if (!SAFE_NAME.test(ipa) || !SAFE_NAME.test(name)) {
      throw new ReadModelStoreError(`nome di documento non valido: ${ipa}/${name}`);
    }
    // Bulk jobs' progress in a folder of their own: never taken for a Comune's (`comuni()` lists plain names).
    if (key === 'job') return path.join(this.dir, JOBS_FOLDER, `${ipa}.json`);
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

/** The documents the portfolio is read from: a change to one is noted in the change journal. */
const PORTFOLIO_KEYS: ReadonlySet<ReadModelDocumentKey> = new Set<ReadModelDocumentKey>(['comune', 'facts']);

/** Not a valid IPA code (SAFE_NAME has no dot): no Comune's folder can take its name. */
const CHANGES_FOLDER = '.changes';
/** The bulk jobs' `job` documents, one file per job (the import page). */
const JOBS_FOLDER = '.jobs';
/** A journal file is closed past this size and a new one begun. */
const JOURNAL_FILE_BYTES = 1 << 20;
/** Closed journal files older than this are removed (the portfolio index also reads every document again). */
const JOURNAL_KEEP_MS = 60 * 60_000;

/**
 * The change journal: each process writing the read model appends to files of its own (`<host>-<pid>-<n>.log`) the
 * IPA code of each Comune whose journey document it wrote, one per line, so the API's portfolio index re-reads only
 * those documents instead of the whole folder. Lines written in the same moment are appended together, after their
 * documents. The journal is a hint: a line repeated or lost costs a re-read or a delay until the index reads every
 * document again (api/portfolio-index.ts), never a wrong answer.
 */
class ChangeJournal {
  private pending = new Set<string>();
  private flushing?: Promise<void>;
  private readonly prefix = `${os.hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${Date.now()}`;
  private file?: { name: string; bytes: number; sequence: number };

  constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  /**
   * Notes that the Comune's journey document changed; resolves once the line is appended. Never fails: a line that
   * cannot be written delays the portfolio until its next full read, and must not undo the documents' write.
   */
  note(ipa: string): Promise<void> {
    this.pending.add(ipa);
    return this.flush().catch(() => {
      this.file = undefined; // the next append begins a new file
    });
  }

  async idle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
  }

  private flush(): Promise<void> {
    // One append at a time; notes made meanwhile wait for the next one, which takes them all.
    const previous = this.flushing ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        if (this.pending.size === 0) return;
        const lines = [...this.pending].map((ipa) => `${ipa}\n`).join('');
        this.pending = new Set();
        await this.append(lines);
      });
    this.flushing = next;
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.flushing === next) this.flushing = undefined;
      });
    return next;
  }

  private async append(lines: string): Promise<void> {
    if (!this.file || this.file.bytes >= JOURNAL_FILE_BYTES) {
      const sequence = (this.file?.sequence ?? 0) + 1;
      this.file = { name: path.join(this.dir, `${this.prefix}-${sequence}.log`), bytes: 0, sequence };
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.removeOld();
    }
    try {
      await fs.appendFile(this.file.name, lines, { mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder was removed (the read model deleted by hand): made again, and a new file begun.
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await fs.appendFile(this.file.name, lines, { mode: 0o600 });
    }
    this.file.bytes += Buffer.byteLength(lines);
  }

  private async removeOld(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names.map(async (name) => {
        const file = path.join(this.dir, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (stat && this.now() - stat.mtimeMs > JOURNAL_KEEP_MS) await fs.rm(file, { force: true });
      }),
    );
  }
}

/**
 * Reads the change journal from where it last stopped: the IPA codes of the Comuni whose journey document changed
 * since the last call, in any process writing the folder. `mark()` skips what is already there (the caller is
 * about to read every document).
 */
export class ReadModelChangeFeed {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly dir: string) {}

  async mark(): Promise<void> {
    this.offsets.clear();
    for (const { name, size } of await this.files()) this.offsets.set(name, size);
  }

  async read(): Promise<Set<string>> {
    const changed = new Set<string>();
    const seen = new Set<string>();
    for (const { name, size } of await this.files()) {
      seen.add(name);
      let from = this.offsets.get(name) ?? 0;
      if (size < from) from = 0; // a file written anew
      if (size === from) continue;
      const handle = await fs.open(path.join(this.dir, name), 'r').catch(() => undefined);
      if (!handle) continue;
      try {
        const buffer = Buffer.alloc(size - from);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        // Only whole lines: a line being appended is read at the next call.
        const end = text.lastIndexOf('\n') + 1;
        for (const line of text.slice(0, end).split('\n')) if (SAFE_NAME.test(line)) changed.add(line);
        this.offsets.set(name, from + Buffer.byteLength(text.slice(0, end)));
      } finally {
        await handle.close();
      }
    }
    for (const name of this.offsets.keys()) if (!seen.has(name)) this.offsets.delete(name);
    return changed;
  }

  private async files(): Promise<{ name: string; size: number }[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const files = await Promise.all(
      names
        .filter((name) => name.endsWith('.log'))
        .map(async (name) => {
          const stat = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
          return stat ? { name, size: stat.size } : undefined;
        }),
    );
    return files.filter((f): f is { name: string; size: number } => f !== undefined);
  }
}

/** A parsed document, frozen through: the reads of the same version share it, and none may change it for the others. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // The Comune's folder is made by its first write (or again, when removed by hand).
  await writeInFolder(path.dirname(file), () => fs.writeFile(temporary, text, { mode: 0o600 }), 0o700);
  await fs.rename(temporary, file);
}

/** The store the configuration asks for: READ_MODEL_DIR or `<DATA_DIR>/read-model`, sealed like the histories. */
export function readModelStoreFromConfig(
  config: { READ_MODEL_DIR?: string | undefined; dataDir: string },
  codec: PayloadCodec | undefined,
): ReadModelStore {
  return new ReadModelStore(config.READ_MODEL_DIR ?? path.join(config.dataDir, 'read-model'), codec);
}
