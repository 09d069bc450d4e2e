import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AesGcmPayloadCodec } from '../../common/payload-codec';
import type { WorkflowInfo } from '@temporalio/workflow';
import { createLogger } from '../../common/logger';
import { ReadModelStore, ReadModelStoreError } from '../../common/read-model-store';
import { readModelSinks } from '../../worker/read-model-sink';

/** The pages' read model on disk (common/read-model-store.ts): what the worker writes is what the API reads. */
describe('ReadModelStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-model-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const state = { stage: 'services', name: 'Comune di Trento', secretary: 'Anna Bianchi' };
  const write = (store: ReadModelStore, document: unknown, extra: { fresh?: boolean } = {}) =>
    store.write({
      ipa: 'c_l378',
      asOf: '2026-12-06T10:00:00.000Z',
      documents: [{ key: 'comune', json: JSON.stringify(document) }],
      ...extra,
    });

  it('reads back what was written, with the task’s time and the time of writing', async () => {
    const store = new ReadModelStore(dir, undefined, () => Date.parse('2026-12-06T10:00:01.000Z'));
    expect(await store.read('c_l378', 'comune')).toBeUndefined();
    await write(store, state);
    expect(await store.read('c_l378', 'comune')).toEqual({
      document: state,
      asOf: '2026-12-06T10:00:00.000Z',
      writtenAt: '2026-12-06T10:00:01.000Z',
    });
    expect(fs.readdirSync(path.join(dir, 'c_l378'))).toEqual(['comune.json']);
  });

  it('a Comune’s folder removed by hand is made again by the next write', async () => {
    const store = new ReadModelStore(dir);
    await write(store, state);
    fs.rmSync(path.join(dir, 'c_l378'), { recursive: true });
    await write(store, { ...state, stage: 'completed' });
    expect((await store.read('c_l378', 'comune'))?.document).toEqual({ ...state, stage: 'completed' });
  });

  it('seals documents with the payload codec: nothing in clear on disk, unreadable without the key', async () => {
    const codec = new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(32) } });
    const sealed = new ReadModelStore(dir, codec);
    await write(sealed, state);
    const onDisk = fs.readFileSync(path.join(dir, 'c_l378', 'comune.json'), 'utf8');
    expect(onDisk).not.toContain('Anna Bianchi');
    expect(onDisk).not.toContain('services');
    expect((await sealed.read('c_l378', 'comune'))?.document).toEqual(state);
    await expect(new ReadModelStore(dir).read('c_l378', 'comune')).rejects.toThrow(ReadModelStoreError);
    const otherKey = new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(32) } });
    await expect(new ReadModelStore(dir, otherKey).read('c_l378', 'comune')).rejects.toThrow(
      /cannot be decrypted/,
    );
  });

  it('a reader opens an unchanged document once, and again after each write; the documents it shares are frozen', async () => {
    const codec = new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(32) } });
    const worker = new ReadModelStore(dir, codec);
    // The API, another process, reading a minute after each write (past the racy margin of common/opened-files.ts).
    const api = new ReadModelStore(dir, codec, () => Date.now() + 60_000);
    const file = path.join(dir, 'c_l378', 'comune.json');
    const reads = jest.spyOn(fsPromises, 'readFile');
    const decodes = jest.spyOn(codec, 'decode');
    const readsOfDocument = () => reads.mock.calls.filter(([f]) => f === file).length;
    try {
      await write(worker, state);
      for (let i = 0; i < 5; i++) expect((await api.read('c_l378', 'comune'))?.document).toEqual(state);
      expect(readsOfDocument()).toBe(1);
      expect(decodes).toHaveBeenCalledTimes(1);
      // A reader with its own copy (the portfolio index) reads the file, past what the pages keep.
      expect((await api.read('c_l378', 'comune', { keep: false }))?.document).toEqual(state);
      expect(readsOfDocument()).toBe(2);
      await api.read('c_l378', 'comune');
      expect(readsOfDocument()).toBe(2);

      const entry = await api.read<{ stage: string; services?: string[] }>('c_l378', 'comune');
      expect(() => {
        entry!.document.stage = 'completed';
      }).toThrow(TypeError);

      await write(worker, { ...state, stage: 'completed' });
      expect((await api.read('c_l378', 'comune'))?.document).toEqual({ ...state, stage: 'completed' });
      expect(readsOfDocument()).toBe(3);

      // Read right after its write (the same process, its own clock), a document is read at each call.
      const atOnce = new ReadModelStore(dir, codec);
      await atOnce.read('c_l378', 'comune');
      await atOnce.read('c_l378', 'comune');
      expect(readsOfDocument()).toBe(5);

      await worker.forget('c_l378', ['comune']);
      expect(await api.read('c_l378', 'comune')).toBeUndefined();
    } finally {
      reads.mockRestore();
      decodes.mockRestore();
    }
  });

  it('applies the writes of one document in order: the last one stays', async () => {
    const store = new ReadModelStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => write(store, { ...state, revision: i })));
    expect((await store.read('c_l378', 'comune'))?.document).toMatchObject({ revision: 19 });
    expect(fs.readdirSync(path.join(dir, 'c_l378'))).toEqual(['comune.json']); // no temporary file left
  });

  it('a new journey under the same id removes what the earlier one left', async () => {
    const store = new ReadModelStore(dir);
    await store.write({
      ipa: 'c_l378',
      asOf: '2026-01-01T00:00:00.000Z',
      documents: [
        { key: 'comune', json: '{"stage":"completed"}' },
        { key: 'service:tari', json: '{"status":"active"}' },
      ],
    });
    await write(store, { stage: 'adhesion_check' }, { fresh: true });
    expect(await store.read('c_l378', 'service:tari')).toBeUndefined();
    expect((await store.read('c_l378', 'comune'))?.document).toEqual({ stage: 'adhesion_check' });
  });

  it('a write that fails removes the older document, so no page shows it as current (the sink)', async () => {
    const store = new ReadModelStore(dir);
    await write(store, { stage: 'delegation_requested' });
    // The next write cannot land (a full disk, here a failing write): the sink logs it and forgets the old one.
    jest.spyOn(store, 'write').mockRejectedValueOnce(new Error('ENOSPC: no space left on device'));
    const warnings: unknown[] = [];
    const logger = createLogger('sink-test', 'silent');
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args[0]));
    const sink = readModelSinks(store, logger).readModel.write;
    await sink.fn({ workflowId: 'comune:c_l378' } as WorkflowInfo, {
      ipa: 'c_l378',
      asOf: '2026-12-06T11:00:00.000Z',
      documents: [{ key: 'comune', json: '{"stage":"awaiting_signed_form"}' }],
    });
    expect(await store.read('c_l378', 'comune')).toBeUndefined();
    expect(warnings).toEqual([expect.objectContaining({ comune: 'c_l378', documents: ['comune'] })]);
  });

  it('refuses names that are not an IPA code or a slug (no path outside its folder)', async () => {
    const store = new ReadModelStore(dir);
    await expect(store.read('../etc', 'comune')).rejects.toThrow(ReadModelStoreError);
    await expect(store.read('c_l378', 'service:../../x')).rejects.toThrow(ReadModelStoreError);
  });

  it('notes each Comune whose journey document changed in a journal the portfolio index reads from where it stopped', async () => {
    const store = new ReadModelStore(dir);
    const feed = new ReadModelStore(dir).changes(); // another process's view of the same folder
    await feed.mark();
    expect([...(await feed.read())]).toEqual([]);
    await write(store, state);
    await store.write({
      ipa: 'c_h330',
      asOf: '2026-12-06T10:00:00.000Z',
      documents: [{ key: 'facts', json: '{}' }],
    });
    // A plan or a service alone is not the portfolio's: not noted.
    await store.write({
      ipa: 'c_a116',
      asOf: '2026-12-06T10:00:00.000Z',
      documents: [
        { key: 'plan', json: '[]' },
        { key: 'service:tari', json: '{}' },
      ],
    });
    await store.idle(); // the lines follow the documents, without holding up their writes
    expect([...(await feed.read())].sort()).toEqual(['c_h330', 'c_l378']);
    expect([...(await feed.read())]).toEqual([]); // read once
    await store.forget('c_l378', ['comune']);
    expect([...(await feed.read())]).toEqual(['c_l378']);
    expect(await store.comuni()).toEqual(expect.arrayContaining(['c_l378', 'c_h330', 'c_a116']));
    expect(await store.comuni()).not.toContain('.changes');

    // The whole read model deleted by hand: the next write makes the journal again, and still writes its documents.
    fs.rmSync(dir, { recursive: true, force: true });
    await write(store, state);
    expect(await store.read('c_l378', 'comune')).toMatchObject({ document: state });
    await store.idle();
    expect([...(await feed.read())]).toEqual(['c_l378']);
  });

  it('writes a document without waiting for its journal line (the workflow task awaiting it completes meanwhile)', async () => {
    const store = new ReadModelStore(dir);
    const feed = new ReadModelStore(dir).changes();
    await feed.mark();
    // The journal's append held up (a slow disk, a busy thread pool): the document's write still completes.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const append = jest.spyOn(fsPromises, 'appendFile').mockImplementation(async (...args) => {
      await held;
      append.mockRestore();
      return fsPromises.appendFile(...args);
    });
    await write(store, state);
    expect(await store.read('c_l378', 'comune')).toMatchObject({ document: state });
    expect([...(await feed.read())]).toEqual([]);
    release();
    await store.idle();
    expect([...(await feed.read())]).toEqual(['c_l378']);
  });

  it('a journal that cannot be written never undoes the documents’ write', async () => {
    const store = new ReadModelStore(dir);
    fs.writeFileSync(path.join(dir, '.changes'), 'not a folder');
    await write(store, state);
    expect(await store.read('c_l378', 'comune')).toMatchObject({ document: state });
  });
});
