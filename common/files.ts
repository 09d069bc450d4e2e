import { promises as fs } from 'node:fs';

/**
 * Runs a write into `folder`, making the folder only when the write finds it missing (ENOENT): it is not asked for
 * at every write (the read model, the outbox and the sent-mail ledger write thousands of files in a national import),
 * and a folder removed by hand is made again.
 */
export async function writeInFolder(
  folder: string,
  write: () => Promise<void>,
  mode?: number,
): Promise<void> {
  try {
    await write();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.mkdir(folder, { recursive: true, ...(mode === undefined ? {} : { mode }) });
    await write();
  }
}
