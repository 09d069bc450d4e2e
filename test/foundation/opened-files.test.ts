import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RACY_MARGIN_MS, OpenedFiles } from '../../common/opened-files';

/** What a process keeps of the files other processes rewrite (common/opened-files.ts). */
describe('OpenedFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opened-files-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A write as the stores make it: a temporary file renamed over the old one. */
  function replace(file: string, text: string): void {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  }

  function counted(file: string) {
    let opens = 0;
    return {
      open: async () => {
        opens++;
        return fs.readFileSync(file, 'utf8');
      },
      opens: () => opens,
    };
  }

  it('opens a file once while it stands still, and again after a write of the same size', async () => {
    let clock = Date.now() + 60_000;
    const kept = new OpenedFiles<string>({ maxEntries: 10, now: () => clock });
    const file = path.join(dir, 'a.json');
    replace(file, '{"stage":"delegation"}');
    const reader = counted(file);
    for (let i = 0; i < 4; i++) expect(await kept.read(file, reader.open)).toBe('{"stage":"delegation"}');
    expect(reader.opens()).toBe(1);

    replace(file, '{"stage":"completato"}'); // the same size
    clock = Date.now() + 60_000;
    expect(await kept.read(file, reader.open)).toBe('{"stage":"completato"}');
    expect(reader.opens()).toBe(2);
  });

  it('opens a file written less than the racy margin before the read at every read', async () => {
    const file = path.join(dir, 'a.json');
    replace(file, 'one');
    const modified = fs.statSync(file).mtimeMs;
    let clock = modified + RACY_MARGIN_MS - 1;
    const kept = new OpenedFiles<string>({ maxEntries: 10, now: () => clock });
    const reader = counted(file);
    await kept.read(file, reader.open);
    await kept.read(file, reader.open);
    expect(reader.opens()).toBe(2);
    // Read again once it has stood still long enough: kept from then on.
    clock = modified + RACY_MARGIN_MS + 1;
    await kept.read(file, reader.open);
    await kept.read(file, reader.open);
    await kept.read(file, reader.open);
    expect(reader.opens()).toBe(3);
  });

  it('answers undefined for a file removed, and keeps at most maxEntries files', async () => {
    const kept = new OpenedFiles<string>({ maxEntries: 2, now: () => Date.now() + 60_000 });
    const files = ['a', 'b', 'c'].map((name) => path.join(dir, `${name}.json`));
    for (const file of files) {
      replace(file, file);
      await kept.read(file, async () => fs.readFileSync(file, 'utf8'));
    }
    expect(kept.size).toBe(2);
    fs.rmSync(files[2]!);
    expect(await kept.read(files[2]!, async () => 'never opened')).toBeUndefined();
    expect(kept.size).toBe(1);
  });
});
