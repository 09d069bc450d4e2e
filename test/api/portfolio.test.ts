import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createNotificationActivities } from '../../activities/notifications';
import { createApp } from '../../api/app';
import { createLogger } from '../../common/logger';
import { startLocalMail, type LocalMail } from '../../integrations/mail';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { caller, eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

const EUR = 1_099; // per service, for a Comune of Trento's population
const SECOND_IN_DAYS = 1 / 86_400;

/**
 * The portfolio's views over four Comuni in known situations (waiting for the adhesion check, late, completed,
 * waiting for the delegation): summary, CSV export, task inbox, and the outbox of caught e-mails, which the
 * workflows fill through a real SMTP mailer pointed at the local catcher.
 */
describe('API: portfolio, inbox and outbox (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  let mail: LocalMail;
  let dataDir: string;
  const ipa = { ala: 'c_a116', avio: 'c_a520', besenello: 'c_a821', cembra: 'c_b006' };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-portfolio-'));
    mail = await startLocalMail({ dataDir, logger: createLogger('mail', 'silent') });
    const partner = {
      name: 'Consorzio dei Comuni Trentini',
      staffEmails: ['staff@partner.example'],
      managerEmails: ['direzione@partner.example'],
    };
    h = await startApiHarness({ activities: createNotificationActivities({ mailer: mail.mailer, partner }) });
    manager = h.as('manager');
    await h.startComune({ ipaCode: ipa.avio, name: 'Comune di Avio', deadlineInDays: 3 * SECOND_IN_DAYS });
    await h.startComune({ ipaCode: ipa.ala, name: 'Comune di Ala' });
    await h.startComune({ ipaCode: ipa.besenello, name: 'Comune di Besenello' });
    await h.startComune({ ipaCode: ipa.cembra, name: 'Comune di Cembra' });
    await h.as('staff').post(`/comuni/${ipa.cembra}/adhesion`).send({ adherent: false }).expect(200);
    await h.advanceToServices(ipa.besenello);
    await h.comuneState(ipa.besenello, (s) => s.stage === 'completed');
    await h.comuneState(ipa.avio, (s) => s.late);
    // Visibility is eventually consistent: every view below reads it.
    const settled = [`${ipa.ala}:adhesion_check:false`, `${ipa.avio}:adhesion_check:true`];
    settled.push(`${ipa.besenello}:completed:false`, `${ipa.cembra}:delegation_requested:false`);
    await eventually(
      'the four Comuni settled in visibility',
      async () =>
        (
          (await manager.get('/comuni').expect(200)).body.items as {
            ipaCode: string;
            stage: string;
            late: boolean;
          }[]
        ).map((i) => `${i.ipaCode}:${i.stage}:${i.late}`),
      (list) => list.join() === settled.join(),
    );
  });
  afterAll(async () => {
    await h?.teardown();
    await mail?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('summarises Comuni by stage, services by status, funding and deadlines', async () => {
    const summary = await eventually(
      'the summary of the four Comuni',
      async () => (await manager.get('/portfolio/summary').expect(200)).body,
      (s) =>
        s.comuni === 4 &&
        s.late === 1 &&
        s.byStage.completed === 1 &&
        s.services.active === 5 &&
        s.services.byStatus.active === 5 &&
        s.services.byStatus.pending === 15,
    );
    const items = (await manager.get('/comuni').expect(200)).body.items as {
      ipaCode: string;
      deadline: string;
    }[];
    const day = (code: string) => items.find((i) => i.ipaCode === code)!.deadline.slice(0, 10);
    expect(day(ipa.ala)).toBe(day(ipa.cembra));
    // Every answer says how fresh it is: the summary, as of the portfolio index's last read of the read model.
    expect(summary.freshness.source).toBe('read-model');
    expect(Math.abs(Date.parse(summary.freshness.asOf) - Date.now())).toBeLessThan(60_000);
    expect(summary).toEqual({
      freshness: summary.freshness,
      comuni: 4,
      byStage: {
        adhesion_check: 2,
        delegation_requested: 1,
        awaiting_signed_form: 0,
        // Besenello went through «Accesso a IO» (its manage key recorded) on its way to completion.
        io_access: 0,
        services: 0,
        completed: 1,
        withdrawn: 0,
      },
      late: 1,
      atRisk: 1,
      services: {
        active: 5,
        total: 20,
        // Every service counted, from the same model as the Comune pages: the 15 of the Comuni not yet at the
        // services stage are queued, and the statuses add up to the total.
        byStatus: {
          pending: 15,
          needs_correction: 0,
          awaiting_key: 0,
          creating: 0,
          configuring: 0,
          in_review: 0,
          rejected: 0,
          publishing: 0,
          active: 5,
          cancelled: 0,
          unpublished: 0,
        },
        byClass: { queued: 15, working: 0, waiting: 0, done: 5 },
        unclassified: 0,
      },
      funding: { securedEur: 5 * EUR, atRiskEur: 10 * EUR, lostEur: 5 * EUR },
      deadlines: [
        { date: day(ipa.avio), comuni: 1, servicesTotal: 5, servicesActive: 0 },
        { date: day(ipa.ala), comuni: 3, servicesTotal: 15, servicesActive: 5 },
      ],
      generatedAt: expect.any(String),
    });
  });

  it('answers every service link of every Comune, whatever its stage, and counts every service once', async () => {
    const comuni = (await manager.get('/comuni').expect(200)).body.items as {
      ipaCode: string;
      servicesTotal: number;
      serviceStatusCounts: Record<string, number>;
    }[];
    let links = 0;
    for (const c of comuni) {
      const state = (await manager.get(`/comuni/${c.ipaCode}`).expect(200)).body;
      const counted = Object.values(c.serviceStatusCounts).reduce((a, b) => a + b, 0);
      expect(counted).toBe(c.servicesTotal);
      for (const service of state.services as { slug: string; status: string }[]) {
        const page = (await manager.get(`/comuni/${c.ipaCode}/services/${service.slug}`).expect(200)).body;
        expect(page).toMatchObject({ slug: service.slug, status: service.status });
        expect(page.place.waitingFor).toEqual(expect.any(String));
        links += 1;
      }
    }
    expect(links).toBe(20);
  });

  it('exports the portfolio as CSV, one row per Comune, with the list’s filters', async () => {
    const res = await manager.get('/portfolio/export.csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="portafoglio-comuni-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const [header, ...rows] = res.text.split('\r\n');
    expect(header).toBe(
      '\ufeff"Codice IPA";"Comune";"Provincia";"Fase";"Scenario";"Scadenza";"Servizi attivi";"Servizi totali";' +
        '"In ritardo";"A rischio";"Fondi ottenuti (EUR)";"Fondi a rischio (EUR)";"Fondi persi (EUR)"',
    );
    expect(rows.map((r) => r.split(';')[0])).toEqual(
      [ipa.ala, ipa.avio, ipa.besenello, ipa.cembra].map((c) => `"${c}"`),
    );
    expect(rows[2]).toMatch(
      /^"c_a821";"Comune di Besenello";"TN";"Completato";"B";"\d{4}-\d\d-\d\d";"5";"5";"no";"no";"5495";"0";"0"$/,
    );
    expect(rows[1]).toMatch(
      /^"c_a520";"Comune di Avio";"TN";"Verifica adesione";"";"[\d-]{10}";"0";"5";"sì";"sì";"0";"0";"5495"$/,
    );

    const late = await manager.get('/portfolio/export.csv?late=true').expect(200);
    expect(late.text.split('\r\n').slice(1)).toEqual([
      expect.stringMatching(/^"c_a520";"Comune di Avio";"TN";"Verifica adesione";"";/),
    ]);
    expect(problemFields(await manager.get('/portfolio/export.csv?stage=archiviato').expect(400))).toEqual([
      'query.stage',
    ]);
  });

  it('lists every open task once, whoever it waits on, with its own due date, paged and sorted', async () => {
    type Item = { id: string; ipaCode: string; who: string; kind: string; due: string; dueKind: string };
    const inbox = await eventually(
      'the five open tasks',
      async () => (await h.as('staff').get('/inbox').expect(200)).body,
      (page) => page.total === 5,
    );
    const keys = (inbox.items as Item[]).map((i) => `${i.ipaCode}:${i.kind}:${i.who}`);
    expect(keys.sort()).toEqual(
      [
        `${ipa.ala}:stage:staff`,
        `${ipa.avio}:late:manager`,
        `${ipa.avio}:stage:staff`,
        `${ipa.cembra}:stage:comune`,
        `${ipa.cembra}:tracking_form:comune`,
      ].sort(),
    );
    // One row per task, each with its own id; sorted by due date by default.
    expect(new Set((inbox.items as Item[]).map((i) => i.id)).size).toBe(5);
    const dues = (inbox.items as Item[]).map((i) => i.due);
    expect(dues).toEqual([...dues].sort());
    // Each task's own due date: the next reminder while the Comune is asked for the delegation, the next escalation
    // step for staff, the contract deadline only where nothing comes sooner (a late Comune).
    const byKey = new Map((inbox.items as Item[]).map((i) => [`${i.ipaCode}:${i.kind}`, i]));
    expect(byKey.get(`${ipa.cembra}:stage`)).toMatchObject({
      who: 'comune',
      status: 'delegation_requested',
      statusLabel: 'Delega richiesta',
      dueKind: 'reminder',
      dueLabel: 'prossimo sollecito',
      action: expect.stringMatching(/^Il Segretario delega il partner come Amministratore su Selfcare/),
    });
    expect(byKey.get(`${ipa.ala}:stage`)).toMatchObject({ who: 'staff', dueKind: 'escalation' });
    expect(byKey.get(`${ipa.avio}:stage`)).toMatchObject({ dueKind: 'deadline', late: true });
    expect(byKey.get(`${ipa.avio}:late`)).toMatchObject({
      who: 'manager',
      action: expect.stringMatching(/^Scadenza superata/),
    });

    const comune = (await h.as('staff').get('/inbox?who=comune').expect(200)).body;
    expect(comune.total).toBe(2);
    expect(comune.items.map((i: Item) => i.kind).sort()).toEqual(['stage', 'tracking_form']);
    const delegation = (await h.as('staff').get('/inbox?status=delegation_requested').expect(200)).body;
    expect(delegation.total).toBe(2);
    const staffAdhesion = (await h.as('staff').get('/inbox?who=staff&status=adhesion_check').expect(200))
      .body;
    expect(staffAdhesion.items.map((i: { ipaCode: string }) => i.ipaCode).sort()).toEqual([
      ipa.ala,
      ipa.avio,
    ]);

    // The total equals the rows one can page through, in the same order.
    const paged: Item[] = [];
    for (let offset = 0; offset < inbox.total; offset += 2) {
      const page = (await h.as('staff').get(`/inbox?limit=2&offset=${offset}`).expect(200)).body;
      expect(page).toMatchObject({ total: 5, limit: 2, offset });
      paged.push(...page.items);
    }
    expect(paged.map((i) => i.id)).toEqual((inbox.items as Item[]).map((i) => i.id));
    const latestFirst = (await h.as('staff').get('/inbox?sort=due&order=desc').expect(200)).body
      .items as Item[];
    expect(latestFirst.map((i) => i.id)).toEqual([...paged.map((i) => i.id)].reverse());
    expect(problemFields(await h.as('staff').get('/inbox?who=sindaco').expect(400))).toEqual(['query.who']);
    expect(problemFields(await h.as('staff').get('/inbox?sort=chi').expect(400))).toEqual(['query.sort']);
  });

  it('answers 404 for the outbox when no SMTP catcher is configured', async () => {
    const res = await h.as('staff').get('/outbox').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Outbox non disponibile' });
    expect((await h.as('staff').get('/outbox/01JCQ6V9M4W5Y6Z7A8B9C0D1E2').expect(404)).body.title).toBe(
      'Outbox non disponibile',
    );
  });

  describe('with the SMTP catcher’s outbox', () => {
    let withOutbox: TestApiContext;
    let app: Express;
    let staff: Caller;

    beforeAll(() => {
      withOutbox = testApiContext(h.env.client, { outbox: mail.catcher.outbox });
      app = createApp(withOutbox.ctx);
      staff = caller(app, withOutbox.tokens.staff);
    });
    afterAll(() => withOutbox?.cleanup());

    it('lists the e-mails the workflows sent, newest first, filtered by Comune and recipient', async () => {
      const cembra = await eventually(
        'the delegation instructions to Cembra',
        async () => (await staff.get(`/outbox?comune=${ipa.cembra}`).expect(200)).body,
        (page) => page.total >= 1,
      );
      expect(cembra.items[0]).toMatchObject({
        id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        subject: expect.any(String),
        to: expect.arrayContaining(['segreteria@comune.trento.it']),
        comuneIpa: ipa.cembra,
        kind: 'delegation_instructions_a',
        receivedAt: expect.any(String),
      });
      const message = (await staff.get(`/outbox/${cembra.items[0].id}`).expect(200)).body;
      expect(message.text).toMatch(/Mario Rossi/);
      expect(message).toMatchObject({ comuneIpa: ipa.cembra, comuneName: 'Comune di Cembra' });
      // Each e-mail names its Comune; the list is filtered by the Comune's name as people write it.
      expect(cembra.items[0]).toMatchObject({
        comuneName: 'Comune di Cembra',
        kindLabel: expect.any(String),
      });
      const byName = (await staff.get('/outbox?comuneName=CEMBRA').expect(200)).body;
      expect(byName.total).toBe(cembra.total);
      expect(new Set(byName.items.map((m: { comuneIpa: string }) => m.comuneIpa))).toEqual(
        new Set([ipa.cembra]),
      );
      expect((await staff.get('/outbox?comuneName=Milano').expect(200)).body.total).toBe(0);

      const all = (await staff.get('/outbox?limit=500').expect(200)).body;
      expect(all.total).toBeGreaterThan(cembra.total);
      const received = all.items.map((m: { receivedAt: string }) => m.receivedAt);
      expect(received).toEqual([...received].sort().reverse());
      const toManagers = (await staff.get('/outbox?to=direzione@partner.example').expect(200)).body;
      expect(toManagers.items.map((m: { kind: string }) => m.kind)).toContain('manager_escalation');
      // Other journeys of this suite keep sending (a completion notice, a reminder): the total only grows.
      const second = (await staff.get('/outbox?limit=1&offset=1').expect(200)).body;
      expect(second.items).toHaveLength(1);
      expect(second.total).toBeGreaterThanOrEqual(all.total);

      expect((await staff.get('/outbox/01JCQ6V9M4W5Y6Z7A8B9C0D1E2').expect(404)).body.title).toBe(
        'Messaggio non trovato',
      );
      expect(problemFields(await staff.get('/outbox?comune=NON%20VALIDO').expect(400))).toEqual([
        'query.comune',
      ]);
    });
  });
});
