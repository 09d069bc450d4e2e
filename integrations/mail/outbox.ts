import { promises as fs } from 'node:fs';
import path from 'node:path';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { writeInFolder } from '../../common/files';
import { writeFileAtomic } from './ledger';
import { notificationKindLabel } from './registry';

/**
 * The folder where the SMTP catcher keeps every message it received: one JSON file per message,
 * named by a ULID, so the names sort by arrival. Readable from any process (the API can list it).
 * Each message is listed with its kind's Italian label, from the notification registry.
 */

/** A message as stored in its file. */
export const outboxMessageSchema = z.object({
  id: z.string(),
  messageId: z.string().nullable(),
  from: z.string().nullable(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  /** Every RCPT TO of the SMTP envelope (to, cc and bcc). */
  envelopeTo: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  /** `X-Comune-IPA`, `X-Notification-Kind`, `X-Notification-Id` headers set by the mailer. */
  comuneIpa: z.string().nullable(),
  kind: z.string().nullable(),
  notificationId: z.string().nullable(),
  receivedAt: z.iso.datetime(),
});
export type StoredOutboxMessage = z.infer<typeof outboxMessageSchema>;
export type NewOutboxMessage = Omit<StoredOutboxMessage, 'id' | 'receivedAt'>;

/**
 * A message as listed: `kindLabel` is the kind in Italian ("Rifiuto di un servizio"), derived when read (so
 * older messages have it too); null when the message has no kind or one the registry does not know.
 */
export type OutboxMessage = StoredOutboxMessage & { kindLabel: string | null };

const withKindLabel = (message: StoredOutboxMessage): OutboxMessage => ({
  ...message,
  kindLabel: notificationKindLabel(message.kind),
});

export const outboxQuerySchema = z.object({
  limit: z.number().int().min(1).max(500).default(50),
  offset: z.number().int().min(0).default(0),
  /** A recipient address (to, cc or envelope), case-insensitive. */
  to: z.string().trim().min(1).optional(),
  comuneIpa: z.string().trim().min(1).optional(),
  /** Any of these Comuni (IPA codes), e.g. those whose name matches a search. */
  comuneIpas: z.array(z.string().trim().min(1)).optional(),
});
export type OutboxQuery = z.input<typeof outboxQuerySchema>;

export interface OutboxPage {
  /** Messages matching the filters, before paging. */
  total: number;
  limit: number;
  offset: number;
  /** Newest first. */
  items: OutboxMessage[];
}

const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const FILE = /^([0-9A-HJKMNP-TV-Z]{26})\.json$/;
const READ_BATCH = 64;

export class FileOutbox {
  private readonly nextId = monotonicFactory();

  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async store(message: NewOutboxMessage): Promise<OutboxMessage> {
    const receivedAt = this.now();
    const stored = outboxMessageSchema.parse({
      ...message,
      id: this.nextId(receivedAt.getTime()),
      receivedAt: receivedAt.toISOString(),
    });
    const file = path.join(this.dir, `${stored.id}.json`);
    await writeInFolder(this.dir, () => writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`));
    return withKindLabel(stored);
  }

  async getMessage(id: string): Promise<OutboxMessage | undefined> {
    // Only ULIDs: an id never reaches the file system as a path.
    if (!ID.test(id)) return undefined;
    try {
      return withKindLabel(
        outboxMessageSchema.parse(JSON.parse(await fs.readFile(path.join(this.dir, `${id}.json`), 'utf8'))),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async listOutbox(query: OutboxQuery = {}): Promise<OutboxPage> {
    const q = outboxQuerySchema.parse(query);
    const ids = await this.ids();
    const filtered = q.to !== undefined || q.comuneIpa !== undefined || q.comuneIpas !== undefined;
    if (!filtered) {
      // No filter: read only the page.
      const page = ids.slice(q.offset, q.offset + q.limit);
      const items = await this.readAll(page);
      return { total: ids.length, limit: q.limit, offset: q.offset, items };
    }
    const to = q.to?.toLowerCase();
    const ipa = q.comuneIpa?.toLowerCase();
    const ipas = q.comuneIpas && new Set(q.comuneIpas.map((c) => c.toLowerCase()));
    const matches = (await this.readAll(ids)).filter(
      (m) =>
        (ipa === undefined || m.comuneIpa?.toLowerCase() === ipa) &&
        (ipas === undefined || (m.comuneIpa != null && ipas.has(m.comuneIpa.toLowerCase()))) &&
        (to === undefined || [...m.to, ...m.cc, ...m.envelopeTo].some((a) => a.toLowerCase() === to)),
    );
    return {
      total: matches.length,
      limit: q.limit,
      offset: q.offset,
      items: matches.slice(q.offset, q.offset + q.limit),
    };
  }

  async count(): Promise<number> {
    return (await this.ids()).length;
  }

  /** Newest first. */
  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .flatMap((name) => {
        const match = FILE.exec(name);
        return match?.[1] ? [match[1]] : [];
      })
      .sort()
      .reverse();
  }

  /** In batches, so a large outbox does not open thousands of files at once. */
  private async readAll(ids: string[]): Promise<OutboxMessage[]> {
    const messages: OutboxMessage[] = [];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const batch = await Promise.all(ids.slice(i, i + READ_BATCH).map((id) => this.getMessage(id)));
      for (const m of batch) if (m !== undefined) messages.push(m);
    }
    return messages;
  }
}
