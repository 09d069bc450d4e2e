import { promises as fs } from 'node:fs';

/**
 * What a process opened from files that other processes rewrite (always a temporary file renamed over the old one),
 * kept so that a reader asks the file system for one stat instead of opening, reading, parsing and decrypting the
 * file again while it has not changed: the API's pages read from the read model the worker writes, the worker's
 * activities read the Comuni's manage keys the API records.
 *
 * A file's version is its device, inode, size and modification and change times (nanoseconds). A value is reused
 * only when the file has that version still, and only when it was read well after the file was last written (by
 * `RACY_MARGIN_MS`): a file system whose times are coarse (a second on some network volumes) could otherwise
 * give a second write, in the same tick and of the same size, on an inode the first write freed, the same
 * version. Such a file is read again until it has stood still that long: the same rule as Git's «racily clean»
 * index entries.
 *
 * Bounded: at most `maxEntries` files, the least recently read dropped first.
 */
export class OpenedFiles<T> {
  private readonly entries = new Map<string, { version: string; settled: boolean; value: T }>();

  constructor(
    private readonly options: {
      maxEntries: number;
      now?: () => number;
    },
  ) {}

  /**
   * The value opened from `file` (`open` reads it when the file changed, or was not opened here yet); undefined when
   * there is no such file.
   */
  async read(file: string, open: () => Promise<T | undefined>): Promise<T | undefined> {
    const startedAt = this.options.now?.() ?? Date.now();
    const version = await fileVersion(file);
    const known = this.entries.get(file);
    this.entries.delete(file);
    if (version === undefined) return undefined;
    if (known && known.settled && known.version === version.id) {
      this.entries.set(file, known); // most recently read last
      return known.value;
    }
    const value = await open();
    if (value === undefined) return undefined;
    // The version stat'ed before the file was read: a write in between gives the file another version, so the value
    // (as new as that write, or newer) is read again at the next call.
    const settled = version.modifiedMs + RACY_MARGIN_MS < startedAt;
    this.entries.set(file, { version: version.id, settled, value });
    while (this.entries.size > this.options.maxEntries)
      this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  /** How many files are kept (for the tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** Two seconds: longer than the coarsest file times in use (a second), with a margin for the writer's clock. */
export const RACY_MARGIN_MS = 2_000;

/** A file's identity and version; undefined when there is no file. */
export async function fileVersion(file: string): Promise<{ id: string; modifiedMs: number } | undefined> {
  try {
    const s = await fs.stat(file, { bigint: true });
    // The modification time is the write's, just before its rename: when the file's content was last made.
    return {
      id: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
      modifiedMs: Number(s.mtimeNs / 1_000_000n),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
