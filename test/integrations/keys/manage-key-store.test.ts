import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ManageKeyStore,
  ManageKeyStoreError,
  keyFingerprint,
} from '../../../integrations/keys/manage-key-store';

describe('each Comune’s manage key, encrypted at rest (integrations/keys)', () => {
  let dir: string;
  const kek1 = { id: 'kek1', key: randomBytes(32) };
  const kek2 = { id: 'kek2', key: randomBytes(32) };
  const primary = `pk-${randomBytes(16).toString('hex')}`;
  const secondary = `sk-${randomBytes(16).toString('hex')}`;
  const entry = {
    ipaCode: 'c_l378',
    organizationFiscalCode: '00355870221',
    secret: { primary, secondary },
    recordedBy: 'staff:Giulia Verdi',
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manage-keys-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stores the key encrypted and gives back only an opaque reference and a fingerprint', async () => {
    const store = new ManageKeyStore(dir, { current: kek1 });
    const record = await store.put(entry);
    expect(record).toEqual({
      ref: `mk_c_l378_${keyFingerprint(primary)}`,
      ipaCode: 'c_l378',
      organizationFiscalCode: '00355870221',
      fingerprint: keyFingerprint(primary),
      hasSecondary: true,
      recordedAt: expect.any(String),
      recordedBy: 'staff:Giulia Verdi',
    });
    const onDisk = fs.readFileSync(path.join(dir, 'c_l378.json'), 'utf8');
    expect(onDisk).not.toContain(primary);
    expect(onDisk).not.toContain(secondary);
    expect(fs.statSync(path.join(dir, 'c_l378.json')).mode & 0o077).toBe(0);
    expect(await store.resolve('C_L378')).toEqual({ record, secret: { primary, secondary } });
    expect(await store.describe('c_l378')).toEqual(record);
    expect(await store.resolve('c_a001')).toBeUndefined();
  });

  it('keeps the reference when the same key is recorded again, and changes it with a new key', async () => {
    const store = new ManageKeyStore(dir, { current: kek1 });
    const first = await store.put(entry);
    expect((await store.put(entry)).ref).toBe(first.ref);
    const regenerated = await store.put({ ...entry, secret: { primary: `${primary}-new` } });
    expect(regenerated.ref).not.toBe(first.ref);
    expect((await store.resolve('c_l378'))!.secret).toEqual({ primary: `${primary}-new` });
  });

  it('puts the previous key back when the step after the write fails (undo), or removes a first one', async () => {
    const store = new ManageKeyStore(dir, { current: kek1 });
    const first = await store.putUndoably(entry);
    const second = await store.putUndoably({ ...entry, secret: { primary: `${primary}-new` } });
    expect((await store.describe('c_l378'))!.ref).toBe(second.record.ref);
    await second.undo();
    expect(await store.describe('c_l378')).toEqual(first.record);
    expect((await store.resolve('c_l378'))!.secret).toEqual({ primary, secondary });
    await first.undo();
    expect(await store.describe('c_l378')).toBeUndefined();
  });

  it('reads a record written by another process at once (shared through the file system)', async () => {
    const api = new ManageKeyStore(dir, { current: kek1 });
    const worker = new ManageKeyStore(dir, { current: kek1 });
    await api.put(entry);
    expect((await worker.resolve('c_l378'))!.secret.primary).toBe(primary);
    await api.put({ ...entry, secret: { primary: 'rigenerata-0123456789' } });
    expect((await worker.resolve('c_l378'))!.secret.primary).toBe('rigenerata-0123456789');
  });

  it('reads and opens an unchanged record once, and again after any write: its own, another process’s, an undo', async () => {
    const api = new ManageKeyStore(dir, { current: kek1 });
    // A worker reading a minute after each write: the record has stood still longer than the racy margin.
    const worker = new ManageKeyStore(dir, { current: kek1 }, { now: () => Date.now() + 60_000 });
    const atOnce = new ManageKeyStore(dir, { current: kek1 });
    const file = path.join(dir, 'c_l378.json');
    const reads = jest.spyOn(fs.promises, 'readFile');
    const readsOfRecord = () => reads.mock.calls.filter(([f]) => f === file).length;
    try {
      const first = await api.putUndoably(entry);
      reads.mockClear(); // the API's own read of the record before (none)
      for (let i = 0; i < 5; i++) expect((await worker.resolve('c_l378'))!.secret.primary).toBe(primary);
      expect(readsOfRecord()).toBe(1);
      // Read within two seconds of its write, a record is opened again at each call (a coarse clock could hide a
      // second write of the same size).
      reads.mockClear();
      for (let i = 0; i < 3; i++) expect((await atOnce.resolve('c_l378'))!.secret.primary).toBe(primary);
      expect(readsOfRecord()).toBe(3);

      const second = await api.putUndoably({ ...entry, secret: { primary: 'rigenerata-0123456789' } });
      reads.mockClear();
      expect(await worker.resolve('c_l378')).toEqual({
        record: second.record,
        secret: { primary: 'rigenerata-0123456789' },
      });
      expect(readsOfRecord()).toBe(1);
      await second.undo();
      expect((await worker.resolve('c_l378'))!.secret.primary).toBe(primary);
      // The same key recorded again (same reference) is read again too: its record's time and author changed.
      await api.put({ ...entry, recordedBy: 'staff:Luca Neri' });
      expect((await worker.resolve('c_l378'))!.record.recordedBy).toBe('staff:Luca Neri');
      // Altered in place, without a rename: refused, not answered from what was opened before.
      fs.writeFileSync(
        file,
        fs.readFileSync(file, 'utf8').replace('"hasSecondary":true', '"hasSecondary":7'),
      );
      await expect(worker.resolve('c_l378')).rejects.toThrow(/non valido/);
      await first.undo();
      expect(await worker.resolve('c_l378')).toBeUndefined();
    } finally {
      reads.mockRestore();
    }
  });

  it('rotates the key-encryption key: old records stay readable, rewrap seals them with the new one', async () => {
    await new ManageKeyStore(dir, { current: kek1 }).put(entry);
    const rotated = new ManageKeyStore(dir, { current: kek2, previous: [kek1] });
    expect((await rotated.resolve('c_l378'))!.secret.primary).toBe(primary);
    expect(await rotated.rewrap()).toBe(1);
    expect(await rotated.rewrap()).toBe(0);
    const onlyNew = new ManageKeyStore(dir, { current: kek2 });
    expect((await onlyNew.resolve('c_l378'))!.secret.primary).toBe(primary);
    await expect(new ManageKeyStore(dir, { current: kek1 }).resolve('c_l378')).rejects.toThrow(
      /kek2.*non configurata/,
    );
  });

  it('refuses a record moved under another Comune, altered, or opened with the wrong KEK', async () => {
    const store = new ManageKeyStore(dir, { current: kek1 });
    await store.put(entry);
    const file = path.join(dir, 'c_l378.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(path.join(dir, 'c_a001.json'), JSON.stringify({ ...stored, ipaCode: 'c_a001' }));
    await expect(store.resolve('c_a001')).rejects.toThrow(ManageKeyStoreError);
    const tampered = {
      ...stored,
      sealed: { ...stored.sealed, data: Buffer.from('altro').toString('base64') },
    };
    fs.writeFileSync(file, JSON.stringify(tampered));
    await expect(store.resolve('c_l378')).rejects.toThrow(/non si decifra/);
    fs.writeFileSync(file, JSON.stringify(stored));
    await expect(
      new ManageKeyStore(dir, { current: { id: 'kek1', key: randomBytes(32) } }).resolve('c_l378'),
    ).rejects.toThrow(/non si decifra/);
    expect(() => new ManageKeyStore(dir, { current: { id: 'k', key: randomBytes(16) } })).toThrow(/32 bytes/);
    await expect(store.resolve('../etc')).rejects.toThrow(/codice IPA non valido/);
  });
});
