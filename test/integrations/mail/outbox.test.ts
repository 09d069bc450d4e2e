import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { FileSentLedger, type SentRecord } from '../../../integrations/mail/ledger';
import { FileOutbox, type NewOutboxMessage } from '../../../integrations/mail/outbox';
import { startSmtpCatcher } from '../../../integrations/mail/smtp-catcher';
import { silentLogger, tempDir } from './fixtures';

const message = (over: Partial<NewOutboxMessage>): NewOutboxMessage => ({
  messageId: null,
  from: 'noreply@comunitrentini.it',
  to: ['segreteria@comune.trento.it'],
  cc: [],
  envelopeTo: ['segreteria@comune.trento.it'],
  subject: 'Oggetto',
  text: 'Testo',
  html: null,
  comuneIpa: 'c_l378',
  kind: 'reminder',
  notificationId: null,
  ...over,
});

describe('FileOutbox', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let outbox: FileOutbox;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('outbox-unit'));
    outbox = new FileOutbox(dir);
    await outbox.store(message({ subject: 'primo', comuneIpa: 'c_l378' }));
    await outbox.store(
      message({ subject: 'secondo', comuneIpa: 'c_a116', to: ['segreteria@comune.ala.tn.it'] }),
    );
    await outbox.store(message({ subject: 'terzo', comuneIpa: 'c_l378', cc: ['Sindaco@Comune.Trento.it'] }));
  });
  afterAll(() => cleanup());

  test('a folder removed after the first message is made again by the next one', async () => {
    const again = new FileOutbox(`${dir}/removed`);
    await again.store(message({ subject: 'prima' }));
    await rm(`${dir}/removed`, { recursive: true });
    await again.store(message({ subject: 'dopo' }));
    expect((await again.listOutbox()).items.map((m) => m.subject)).toEqual(['dopo']);
  });

  test('lists newest first, with paging', async () => {
    const all = await outbox.listOutbox();
    expect(all.total).toBe(3);
    expect(all.items.map((m) => m.subject)).toEqual(['terzo', 'secondo', 'primo']);
    const page = await outbox.listOutbox({ limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items.map((m) => m.subject)).toEqual(['secondo']);
  });

  test('filters by Comune and by recipient (to or cc, case-insensitive)', async () => {
    const trento = await outbox.listOutbox({ comuneIpa: 'C_L378' });
    expect(trento.items.map((m) => m.subject)).toEqual(['terzo', 'primo']);
    const mayor = await outbox.listOutbox({ to: 'sindaco@comune.trento.it' });
    expect(mayor.items.map((m) => m.subject)).toEqual(['terzo']);
    const both = await outbox.listOutbox({ to: 'segreteria@comune.ala.tn.it', comuneIpa: 'c_l378' });
    expect(both.total).toBe(0);
  });

  test('gets a message by id; unknown or malformed ids give undefined', async () => {
    const [latest] = (await outbox.listOutbox({ limit: 1 })).items;
    expect(await outbox.getMessage(latest!.id)).toEqual(latest);
    expect(await outbox.getMessage('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
    expect(await outbox.getMessage('../../etc/passwd')).toBeUndefined();
  });

  test('lists each message with its kind in Italian, from the registry, older files included', async () => {
    const labelled = new FileOutbox(`${dir}/labels`);
    const rejected = await labelled.store(message({ subject: 'rifiuto', kind: 'service_rejected' }));
    expect(rejected.kindLabel).toBe('Rifiuto di un servizio');
    await labelled.store(message({ subject: 'altro', kind: 'delegation_request' }));
    await labelled.store(message({ subject: 'senza tipo', kind: null }));
    const items = (await labelled.listOutbox()).items;
    expect(items.map((m) => [m.subject, m.kind, m.kindLabel])).toEqual([
      ['senza tipo', null, null],
      ['altro', 'delegation_request', null],
      ['rifiuto', 'service_rejected', 'Rifiuto di un servizio'],
    ]);
    expect(await labelled.getMessage(rejected.id)).toEqual(rejected);
    // The label is derived when read, not stored.
    const raw = JSON.parse(await readFile(`${dir}/labels/${rejected.id}.json`, 'utf8')) as object;
    expect(raw).not.toHaveProperty('kindLabel');
  });

  test('an outbox folder that does not exist yet is empty', async () => {
    const empty = new FileOutbox(`${dir}/missing`);
    expect(await empty.listOutbox()).toEqual({ total: 0, limit: 50, offset: 0, items: [] });
  });
});

describe('SMTP catcher', () => {
  test('stores any message it receives, with envelope recipients and the Comune header', async () => {
    const { dir, cleanup } = await tempDir('catcher');
    const catcher = await startSmtpCatcher({ port: 0, outboxDir: dir, logger: silentLogger });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: catcher.port, secure: false });
    try {
      expect(catcher.host).toBe('127.0.0.1');
      expect(catcher.port).toBeGreaterThan(0);
      await transport.sendMail({
        from: 'noreply@comunitrentini.it',
        to: 'segreteria@comune.trento.it',
        bcc: 'archivio@comunitrentini.it',
        subject: 'Prova «accentata»: è così',
        text: 'Testo di prova',
        html: '<p>Testo di prova</p>',
        headers: { 'X-Comune-IPA': 'c_l378' },
      });
      const [stored] = (await catcher.outbox.listOutbox()).items;
      expect(stored).toMatchObject({
        from: 'noreply@comunitrentini.it',
        to: ['segreteria@comune.trento.it'],
        cc: [],
        subject: 'Prova «accentata»: è così',
        text: 'Testo di prova',
        html: '<p>Testo di prova</p>',
        comuneIpa: 'c_l378',
        kind: null,
      });
      expect(stored!.envelopeTo.sort()).toEqual([
        'archivio@comunitrentini.it',
        'segreteria@comune.trento.it',
      ]);
      expect(stored!.messageId).toMatch(/^<.+@.+>$/);
      expect((await catcher.outbox.listOutbox({ to: 'archivio@comunitrentini.it' })).total).toBe(1);
    } finally {
      transport.close();
      await catcher.close();
      await cleanup();
    }
  });
});

describe('FileSentLedger', () => {
  test('records one file per id, atomically, and reads it back', async () => {
    const { dir, cleanup } = await tempDir('ledger-unit');
    try {
      const ledger = new FileSentLedger(`${dir}/sent`);
      expect(await ledger.get('comune:c_l378/x')).toBeUndefined();
      const entry: SentRecord = {
        id: 'comune:c_l378/x',
        messageId: '<comune=3Ac_l378=2Fx@comunitrentini.it>',
        kind: 'reminder',
        comuneIpa: 'c_l378',
        to: ['segreteria@comune.trento.it'],
        cc: [],
        accepted: ['segreteria@comune.trento.it'],
        rejected: [],
        sentAt: '2026-06-18T08:00:00.000Z',
      };
      await ledger.record(entry);
      expect(await new FileSentLedger(`${dir}/sent`).get(entry.id)).toEqual(entry);
      const files = await readdir(`${dir}/sent`);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    } finally {
      await cleanup();
    }
  });

  test('records only the registry’s kinds; a record of a retired kind still counts as sent', async () => {
    const { dir, cleanup } = await tempDir('ledger-kinds');
    try {
      const ledger = new FileSentLedger(`${dir}/sent`);
      const entry: SentRecord = {
        id: 'comune:c_l378:old',
        messageId: '<comune=3Ac_l378=3Aold@comunitrentini.it>',
        kind: 'reminder',
        to: ['segreteria@comune.trento.it'],
        cc: [],
        accepted: ['segreteria@comune.trento.it'],
        rejected: [],
        sentAt: '2026-06-18T08:00:00.000Z',
      };
      await expect(
        ledger.record({ ...entry, kind: 'delegation_request' as SentRecord['kind'] }),
      ).rejects.toThrow();
      // Written by an earlier release, with a kind the registry no longer has.
      const retired = { ...entry, kind: 'delegation_request' };
      await mkdir(`${dir}/sent`, { recursive: true });
      const file = `${createHash('sha256').update(entry.id, 'utf8').digest('hex')}.json`;
      await writeFile(`${dir}/sent/${file}`, JSON.stringify(retired));
      expect(await ledger.get(entry.id)).toEqual(retired);
    } finally {
      await cleanup();
    }
  });
});
