import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { notificationKindSchema } from './registry';
import { writeInFolder } from '../../common/files';

/**
 * Records which notification ids have been sent, so a retried activity does not send twice. A record's kind is
 * one of the registry's.
 */

export const sentRecordSchema = z.object({
  id: z.string().min(1),
  messageId: z.string().min(1),
  kind: notificationKindSchema,
  comuneIpa: z.string().optional(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  /** The server's final reply, e.g. "250 Message queued as ...". */
  response: z.string().optional(),
  sentAt: z.iso.datetime({ offset: true }),
});
export type SentRecord = z.infer<typeof sentRecordSchema>;

/**
 * A record as read back. It may have been written by an earlier release, with a kind since retired from the
 * registry: its id still counts as sent, so reading does not check the kind against the registry.
 */
const storedRecordSchema = sentRecordSchema.extend({ kind: z.string().min(1) });
export type StoredSentRecord = z.infer<typeof storedRecordSchema>;

export interface SentLedger {
  get(id: string): Promise<StoredSentRecord | undefined>;
  record(entry: SentRecord): Promise<void>;
}

export class InMemorySentLedger implements SentLedger {
  private readonly entries = new Map<string, SentRecord>();

  async get(id: string): Promise<StoredSentRecord | undefined> {
    return this.entries.get(id);
  }

  async record(entry: SentRecord): Promise<void> {
    this.entries.set(entry.id, sentRecordSchema.parse(entry));
  }
}

/**
 * One small JSON file per sent id in `dir`, named by the id's SHA-256 (ids may hold `/` or `:`).
 * Written to a temporary file, flushed, then renamed: a reader never sees half a record.
 */
export class FileSentLedger implements SentLedger {
  constructor(private readonly dir: string) {}

  private fileFor(id: string): string {
    return path.join(this.dir, `${createHash('sha256').update(id, 'utf8').digest('hex')}.json`);
  }

  async get(id: string): Promise<StoredSentRecord | undefined> {
    let raw: string;
    try {
      raw = await fs.readFile(this.fileFor(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const entry = storedRecordSchema.parse(JSON.parse(raw));
    // A hash collision is not a realistic concern, but a mismatch must not hide a different id.
    return entry.id === id ? entry : undefined;
  }

  async record(entry: SentRecord): Promise<void> {
    const valid = sentRecordSchema.parse(entry);
    await writeInFolder(this.dir, () =>
      writeFileAtomic(this.fileFor(valid.id), `${JSON.stringify(valid, null, 2)}\n`),
    );
  }
}

/** Temporary file in the same folder, fsync, rename (atomic on POSIX file systems). */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
