import { inflateSync } from 'node:zlib';
import type { ServiceState } from '../../contracts/service';
import type { Dossier } from '../../domain/dossier';
import { comuneInput } from '../support/fixtures';
import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

/**
 * The funding dossier over HTTP (issue #14): a Comune driven to completion through the API against a real Temporal
 * server, one service rejected by hand then approved; the dossier as JSON, CSV and PDF; a Comune not complete.
 */

/** WinAnsi (pdfkit's standard fonts): Latin-1, with typographic signs in 0x80–0x9f. */
const WIN_ANSI_80 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const winAnsi = {
  decode: (b: Buffer) =>
    [...b].map((c) => (c >= 0x80 && c < 0xa0 ? WIN_ANSI_80[c - 0x80] : String.fromCharCode(c))).join(''),
};

/** The text a PDF shows: its streams inflated, the hex strings of each TJ/Tj (pdfkit's standard fonts) decoded. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const texts: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    const bytes = pdf.subarray(start, end);
    let content: string;
    try {
      content = inflateSync(bytes).toString('latin1');
    } catch {
      content = bytes.toString('latin1');
    }
    for (const op of content.matchAll(/\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hex = op[1] ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('') : op[2]!;
      texts.push(winAnsi.decode(Buffer.from(hex, 'hex')));
    }
  }
  // Lines wrapped by the layout read as one text.
  return texts.join(' ').replace(/\s+/g, ' ');
}

describe('API: the funding dossier of a Comune (dev server)', () => {
  let h: ApiHarness;
  let staff: Caller;
  const ipa = 'c_l378';
  const notComplete = 'c_h612';
  const card = comuneInput().services[0]!.card;
  const reason = 'La descrizione non indica come pagare la TARI';

  const service = (slug: string, accept: (s: ServiceState) => boolean) =>
    eventually(
      `the service ${slug}`,
      async () => (await staff.get(`/comuni/${ipa}/services/${slug}`)).body as ServiceState,
      (s) => s.slug === slug && accept(s),
    );

  /** A binary answer (the PDF), read whole as a Buffer; fails unless 200. */
  const binary = (path: string) =>
    staff
      .get(path)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);

  beforeAll(async () => {
    h = await startApiHarness();
    staff = h.as('staff');
    await h.startComune({ ipaCode: ipa, settings: { reviewTracking: 'manual' } });
    await h.startComune({ ipaCode: notComplete, name: 'Comune di Rovereto' });
    await h.advanceToServices(ipa);
    const { services } = await h.comuneState(ipa, (s) => s.services.every((x) => x.status === 'in_review'));

    // TARI: rejected by hand with a reason, corrected, then approved.
    await staff
      .post(`/comuni/${ipa}/services/tari/review-outcome`)
      .send({ outcome: 'rejected', reason })
      .expect(200);
    await service('tari', (s) => s.status === 'rejected');
    const description = `${card.description} Il pagamento si effettua con pagoPA direttamente dall’app.`;
    await staff
      .put(`/comuni/${ipa}/services/tari/card`)
      .send({ card: { ...card, description } })
      .expect(200);
    await service('tari', (s) => s.status === 'in_review' && s.rounds.length === 2);
    for (const { slug } of services) {
      await staff
        .post(`/comuni/${ipa}/services/${slug}/review-outcome`)
        .send({ outcome: 'approved' })
        .expect(200);
    }
    await h.comuneState(ipa, (s) => s.stage === 'completed');
  }, 120_000);
  afterAll(() => h?.teardown());

  it('gives the facts of a completed Comune from its records, as JSON', async () => {
    const dossier = (await staff.get(`/comuni/${ipa}/dossier`).expect(200)).body as Dossier;
    const comune = await h.comuneState(ipa);
    expect(dossier).toMatchObject({
      title: 'Fascicolo per la richiesta dei fondi — PNRR 1.4.3 Adozione App IO',
      complete: true,
      statusLabel: 'concluso',
      comune: {
        name: 'Comune di Trento',
        ipaCode: ipa,
        fiscalCode: '00355870221',
        istatCode: '022205',
        population: 117_417,
        band: { id: 'd', eurPerService: 1_099 },
      },
      contract: {
        contractDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        deadline: comune.deadline,
        completedAt: comune.completedAt,
        pastDeadline: false,
        timeliness: 'entro i termini',
      },
      funding: { fundedServices: 5, amountEur: 5 * 1_099, agreesWithJourney: true },
      signedForm: { signerName: 'Franco Ianeselli', sha256: 'b'.repeat(64), recordedBy: 'test' },
      lateServices: [],
      missing: [],
    });
    expect(dossier.funding.amountEur).toBe(comune.funding.securedEur);

    expect(dossier.services).toHaveLength(5);
    for (const s of dossier.services) {
      expect(s).toMatchObject({
        status: 'active',
        started: true,
        ioServiceId: expect.stringMatching(/^01SERVICE/),
        topic: expect.any(String),
        firstSubmittedAt: expect.any(String),
        approvedAt: expect.any(String),
        approvedBy: 'staff:test-staff',
        publishedAt: expect.any(String),
      });
      expect(Date.parse(s.publishedAt!)).toBeGreaterThanOrEqual(Date.parse(s.approvedAt!));
    }
    const tari = dossier.services.find((s) => s.slug === 'tari')!;
    const own = await service('tari', (s) => s.status === 'active');
    expect(tari).toMatchObject({
      name: 'Tassa sui rifiuti (TARI)',
      ioServiceId: own.ioServiceId,
      topic: 'Redditi, patrimoni e fisco',
      firstSubmittedAt: own.rounds[0]!.submittedAt,
      rejections: [{ round: 1, at: own.rounds[0]!.decidedAt, reason, by: 'staff:test-staff' }],
      approvedAt: own.rounds[1]!.decidedAt,
    });

    // Who recorded each manual step, and nothing the journey or PagoPA did on its own.
    const steps = dossier.manualSteps.map((s) => `${s.service ?? 'Comune'}: ${s.step} · ${s.actor}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'Comune: Adesione registrata: scenario B · staff:test-staff',
        'Comune: Delega completata su Selfcare · staff:test-staff',
        'Comune: Modulo firmato registrato · test',
        'Comune: Chiave di gestione registrata · staff:test-staff',
        'Tassa sui rifiuti (TARI): Rifiutato da PagoPA · staff:test-staff',
        'Tassa sui rifiuti (TARI): Scheda corretta · staff:test-staff',
        'Tassa sui rifiuti (TARI): Servizio attivo su App IO · staff:test-staff',
      ]),
    );
    expect(dossier.manualSteps.every((s) => s.actor !== 'sistema' && s.actor !== 'PagoPA')).toBe(true);

    // Whose step the time was spent waiting on: the stages in order, each with the model's party.
    expect(dossier.waiting.stages.map((s) => [s.stage, s.waitsOn])).toEqual([
      ['adhesion_check', 'staff'],
      ['delegation_requested', 'comune'],
      ['awaiting_signed_form', 'comune'],
      ['io_access', 'staff'],
      ['services', 'pagopa'],
    ]);
    expect(dossier.waiting.byParty.map((p) => p.partyLabel)).toEqual([
      'Comune',
      'Personale del partner',
      'PagoPA',
    ]);

    // Nothing secret: the manage key's reference and fingerprint are not in it.
    const text = JSON.stringify(dossier);
    expect(text).not.toMatch(/mk_c_l378|fingerprint/);
  });

  it('gives the same facts as CSV: UTF-8 with BOM, «;», one row per service with the Comune’s columns', async () => {
    const res = await staff.get(`/comuni/${ipa}/dossier?format=csv`).buffer(true).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="fascicolo-${ipa}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    const text = res.text;
    expect(text.startsWith('\ufeff')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    const header = lines[0]!.split(';').map((c) => c.replace(/^"|"$/g, ''));
    expect(header.slice(0, 3)).toEqual(['Codice IPA', 'Comune', 'Codice fiscale']);
    expect(header).toEqual(
      expect.arrayContaining(['ID servizio IO', 'Rifiuti: data e motivo', 'Pubblicato il']),
    );
    expect(lines).toHaveLength(1 + 5);
    const rows = lines.slice(1).map((l) => l.split('";"').map((c) => c.replace(/^"|"$/g, '')));
    const col = (name: string) => header.indexOf(name);
    const tari = rows.find((r) => r[col('Servizio')] === 'Tassa sui rifiuti (TARI)')!;
    expect(tari[col('Codice IPA')]).toBe(ipa);
    expect(tari[col('Codice ISTAT')]).toBe('022205');
    expect(tari[col('Termini')]).toBe('entro i termini');
    expect(tari[col('Importo (EUR)')]).toBe(String(5 * 1_099));
    expect(tari[col('ID servizio IO')]).toMatch(/^01SERVICE/);
    expect(tari[col('Rifiuti')]).toBe('1');
    expect(tari[col('Rifiuti: data e motivo')]).toContain(reason);
    expect(rows.every((r) => r[col('Pubblicato il')])).toBe(true);
  });

  it('gives a printable PDF with the services’ IO ids', async () => {
    const dossier = (await staff.get(`/comuni/${ipa}/dossier`).expect(200)).body as Dossier;
    const res = await binary(`/comuni/${ipa}/dossier.pdf`);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="fascicolo-c_l378-[\d-]+\.pdf"$/,
    );
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
    expect(text).toContain('Fascicolo per la richiesta dei fondi — PNRR 1.4.3 Adozione App IO');
    for (const s of dossier.services) expect(text).toContain(s.ioServiceId);
    expect(text).toContain(reason);
    expect(text).toMatch(/Pagina 1 di \d/);
    expect(text).toContain('Comune di Trento');
    // Trento's amount per service, grouped as the e-mails and the console print it (not «1099 €»).
    expect(text).toMatch(/1\.099\s€/);
    expect(text).not.toMatch(/[^.\d]1099\s€/);
  });

  it('marks a Comune not complete «non concluso», with what is missing', async () => {
    const dossier = (await staff.get(`/comuni/${notComplete}/dossier`).expect(200)).body as Dossier;
    expect(dossier).toMatchObject({
      complete: false,
      statusLabel: 'non concluso',
      contract: { timeliness: 'non concluso' },
      funding: { fundedServices: 0, amountEur: 0, agreesWithJourney: true },
    });
    expect(dossier.signedForm).toBeUndefined();
    expect(dossier.missing).toContain(
      'Verifica dell’adesione del Comune a App IO su Selfcare (prodotto prod-io)',
    );
    expect(dossier.services.every((s) => !s.started && s.status === 'pending')).toBe(true);
    expect(dossier.waiting.stages).toEqual([
      expect.objectContaining({ stage: 'adhesion_check', waitsOn: 'staff' }),
    ]);
    expect(dossier.waiting.stages[0]!.to).toBeUndefined();

    const pdf = await binary(`/comuni/${notComplete}/dossier.pdf`);
    const text = pdfText(pdf.body as Buffer);
    expect(text).toContain('NON CONCLUSO');
    expect(text).toContain('Cosa manca');
  });

  it('answers 404 «Comune non trovato» for an unknown Comune and 400 naming params.ipa for a bad code', async () => {
    for (const path of [
      '/comuni/c_z999/dossier',
      '/comuni/c_z999/dossier.pdf',
      '/comuni/c_z999/dossier?format=csv',
    ]) {
      const res = await staff.get(path).expect(404);
      expect(res.body).toMatchObject({
        title: 'Comune non trovato',
        detail: 'nessun percorso per il codice IPA «c_z999»',
      });
    }
    expect(problemFields(await staff.get('/comuni/c-l378!/dossier').expect(400))).toEqual(['params.ipa']);
    expect(problemFields(await staff.get('/comuni/c-l378!/dossier.pdf').expect(400))).toEqual(['params.ipa']);
    expect(problemFields(await staff.get(`/comuni/${ipa}/dossier?format=xml`).expect(400))).toEqual([
      'query.format',
    ]);
    // Without a token: 401.
    await h.as('staff').get(`/comuni/${ipa}/dossier`).set('Authorization', '').expect(401);
  });

  it('is built from the read model: the same dossier at once with no worker running (a query would wait)', async () => {
    const before = (await staff.get(`/comuni/${ipa}/dossier`).expect(200)).body as Dossier & {
      generatedAt: string;
    };
    await h.stopWorker();
    const started = Date.now();
    const after = (await staff.get(`/comuni/${ipa}/dossier`).expect(200)).body as Dossier & {
      generatedAt: string;
    };
    expect(Date.now() - started).toBeLessThan(1_000);
    expect({ ...after, generatedAt: '' }).toEqual({ ...before, generatedAt: '' });
  });
});
