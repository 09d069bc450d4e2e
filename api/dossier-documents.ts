import PDFDocument from 'pdfkit';
import type { Dossier } from '../domain/dossier';
import { ALWAYS_GROUPED } from '../integrations/mail/format';
import { roleLabels, roles, type Role } from './auth/roles';

/**
 * The funding dossier (domain/dossier.ts) as people file it: a CSV for spreadsheets (UTF-8 with BOM, `;`, one row
 * per service with the Comune's columns) and a printable Italian PDF (A4). Dates in Italian time (Europe/Rome).
 */

const ROME = 'Europe/Rome';
const dayParts = { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: ROME } as const;
const instantFormat = new Intl.DateTimeFormat('it-IT', { ...dayParts, hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat('it-IT', dayParts);
/** «2026-03-01 14:05» in Rome's time: sorts as text and reads in spreadsheets. */
const sortableFormat = new Intl.DateTimeFormat('sv-SE', {
  dateStyle: 'short',
  timeStyle: 'short',
  timeZone: ROME,
});
// Grouped as the e-mails print them («1.099 €», not the Italian default «1099 €»), in whole euros.
const eurFormat = new Intl.NumberFormat('it-IT', {
  style: 'currency',
  currency: 'EUR',
  maximumFractionDigits: 0,
  ...ALWAYS_GROUPED,
});
const numberFormat = new Intl.NumberFormat('it-IT', ALWAYS_GROUPED);

const valid = (iso: string | undefined) => {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** «01/03/2026, 14:05» (Rome); '—' when unknown. */
export const itInstant = (iso: string | undefined): string => {
  const d = valid(iso);
  return d ? instantFormat.format(d) : '—';
};
/** A calendar day (AAAA-MM-GG) as Italians write it, without a time zone shift. */
const itDay = (day: string | undefined): string => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : day ? dayFormat.format(new Date(day)) : '—';
};
const sortable = (iso: string | undefined): string => {
  const d = valid(iso);
  return d ? sortableFormat.format(d) : '';
};

/** ISO instants inside a text (a timeline detail) written as Italian dates. */
const withItalianDates = (text: string) =>
  text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (iso) =>
    itInstant(iso),
  );

/** "staff:Laura Conti" → "Laura Conti (Personale)"; anything else as recorded. */
export function personLabel(actor: string | undefined): string {
  const m = /^([a-z]+):(.+)$/.exec(actor ?? '');
  if (m && (roles as readonly string[]).includes(m[1]!)) return `${m[2]} (${roleLabels[m[1] as Role]})`;
  if (actor === 'sistema') return 'Sistema';
  return actor || '—';
}

const days = (n: number) => `${numberFormat.format(n)} ${n === 1 ? 'giorno' : 'giorni'}`;

/** A duration as a person reads it: days with one decimal, hours below a day. */
export function duration(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 1) return 'meno di un’ora';
  if (hours < 24) return `${Math.round(hours)} ${Math.round(hours) === 1 ? 'ora' : 'ore'}`;
  return days(Math.round((ms / 86_400_000) * 10) / 10);
}

// ------------------------------------------------------------------------------------------------------- CSV

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote always; neutralise formulas for spreadsheet programs.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One row per service, each with the Comune's columns: the same facts as the PDF. */
export function dossierCsv(d: Dossier): string {
  const party = (p: string) => d.waiting.byParty.find((x) => x.party === p)?.days ?? 0;
  const comuneSteps = d.manualSteps
    .filter((s) => !s.service)
    .map((s) => `${sortable(s.at)} ${s.step} (${personLabel(s.actor)})`)
    .join(' | ');
  const comune = [
    d.comune.ipaCode,
    d.comune.name,
    d.comune.fiscalCode ?? '',
    d.comune.istatCode ?? '',
    d.comune.population,
    d.comune.band.label,
    d.comune.band.eurPerService,
    d.contract.contractDate ?? '',
    sortable(d.contract.deadline),
    sortable(d.contract.completedAt),
    d.contract.timeliness,
    d.statusLabel,
    d.funding.fundedServices,
    d.funding.amountEur,
    d.signedForm?.signerName ?? '',
    sortable(d.signedForm?.signingTime),
    d.signedForm?.sha256 ?? '',
    party('comune'),
    party('staff'),
    party('pagopa'),
    comuneSteps,
    d.missing.join(' | '),
  ];
  const header = [
    'Codice IPA',
    'Comune',
    'Codice fiscale',
    'Codice ISTAT',
    'Popolazione',
    'Fascia di popolazione',
    'Importo per servizio (EUR)',
    'Data del contratto',
    'Scadenza',
    'Conclusione',
    'Termini',
    'Stato del fascicolo',
    'Servizi finanziati',
    'Importo (EUR)',
    'Modulo firmato da',
    'Firmato il',
    'SHA-256 del modulo firmato',
    'Attesa sul Comune (giorni)',
    'Attesa sul personale (giorni)',
    'Attesa su PagoPA (giorni)',
    'Passi registrati dal personale',
    'Cosa manca',
    'Servizio',
    'Stato del servizio',
    'ID servizio IO',
    'Argomento',
    'Primo invio in revisione',
    'Rifiuti',
    'Rifiuti: data e motivo',
    'Approvato il',
    'Pubblicato il',
    'Approvato dopo la scadenza (giorni)',
    'Passi registrati sul servizio',
  ];
  const rows = d.services.map((s) => [
    ...comune,
    s.name,
    s.statusLabel,
    s.ioServiceId ?? '',
    s.topic ?? '',
    sortable(s.firstSubmittedAt),
    s.rejections.length,
    s.rejections.map((r) => `${sortable(r.at)}: ${r.reason}`).join(' | '),
    sortable(s.approvedAt),
    sortable(s.publishedAt),
    s.approvedDaysLate ?? '',
    d.manualSteps
      .filter((m) => m.service === s.name)
      .map((m) => `${sortable(m.at)} ${m.step} (${personLabel(m.actor)})`)
      .join(' | '),
  ]);
  return ['\ufeff' + header.map(csvCell).join(';'), ...rows.map((r) => r.map(csvCell).join(';'))].join(
    '\r\n',
  );
}

// ------------------------------------------------------------------------------------------------------- PDF

/**
 * The standard Helvetica writes WinAnsi: Italian accents, «», —, ’ are there; a character outside it (an arrow in a
 * moved deadline's detail) is written as its nearest ASCII.
 */
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
function pdfText(text: string): string {
  return text.replace(/→/g, '->').replace(/[^\u0000-\u00ff]/g, (c) => (WIN_ANSI_EXTRA.includes(c) ? c : '?'));
}

const MARGIN = 50;
const GREY = '#555555';

/** The dossier as a printable A4 PDF, in Italian, with page numbers and the time it was generated. */
export function dossierPdf(d: Dossier, options: { freshnessNote?: string } = {}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 10, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'it-IT',
    info: {
      Title: pdfText(`${d.title} — ${d.comune.name}`),
      Author: 'Back office App IO per i Comuni',
      Subject: pdfText(`Codice IPA ${d.comune.ipaCode}`),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;

  const heading = (text: string) => {
    if (doc.y > doc.page.height - 140) doc.addPage();
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('black').text(pdfText(text), MARGIN);
    doc.moveDown(0.3).font('Helvetica').fontSize(10);
  };
  const paragraph = (text: string, opts: { color?: string; bold?: boolean } = {}) => {
    doc
      .font(opts.bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(10)
      .fillColor(opts.color ?? 'black')
      .text(pdfText(text), MARGIN, undefined, { width });
    doc.fillColor('black').font('Helvetica');
  };
  const table = (header: string[], rows: string[][], columns: (number | '*')[]) => {
    doc.x = MARGIN;
    doc.table({
      position: { x: MARGIN },
      maxWidth: width,
      columnStyles: columns.map((w) => ({ width: w })),
      defaultStyle: { padding: 3, border: 0.5, borderColor: '#999999' },
      data: [
        header.map((text) => ({
          text: pdfText(text),
          font: { src: 'Helvetica-Bold', size: 9 },
          backgroundColor: '#eeeeee',
          type: 'TH' as const,
        })),
        ...rows.map((row) =>
          row.map((text) => ({ text: pdfText(text), font: { src: 'Helvetica', size: 9 } })),
        ),
      ],
    });
    doc.x = MARGIN;
    doc.moveDown(0.5);
  };
  const facts = (rows: [string, string][]) => table(['Dato', 'Valore'], rows, [170, '*']);

  // Title
  doc.font('Helvetica-Bold').fontSize(16).text(pdfText(d.title), { width });
  doc.moveDown(0.3).fontSize(14).text(pdfText(d.comune.name));
  doc.moveDown(0.3);
  paragraph(`Generato il ${itInstant(d.generatedAt)} dai dati registrati nel percorso del Comune.`, {
    color: GREY,
  });
  if (options.freshnessNote) paragraph(options.freshnessNote, { color: GREY });
  doc.moveDown(0.3);
  paragraph(
    d.complete
      ? `Percorso concluso il ${itInstant(d.contract.completedAt)}: ${d.contract.timeliness}.`
      : 'Percorso NON CONCLUSO: il fascicolo elenca sotto cosa manca.',
    { bold: true, color: d.complete ? 'black' : '#a00000' },
  );

  heading('1. Il Comune');
  facts([
    ['Comune', d.comune.name],
    ['Codice IPA', d.comune.ipaCode],
    ['Codice fiscale', d.comune.fiscalCode ?? '—'],
    ['Codice ISTAT', d.comune.istatCode ?? '—'],
    ['Provincia', d.comune.province],
    ['Popolazione', `${numberFormat.format(d.comune.population)} abitanti`],
    ['Fascia di popolazione', d.comune.band.label],
    ['Importo per servizio attivato', eurFormat.format(d.comune.band.eurPerService)],
  ]);

  heading('2. Contratto e tempi');
  facts([
    ['Data del contratto', itDay(d.contract.contractDate)],
    ['Scadenza', itInstant(d.contract.deadline)],
    ...(d.contract.initialDeadline
      ? [['Scadenza iniziale (poi spostata)', itInstant(d.contract.initialDeadline)] as [string, string]]
      : []),
    ['Conclusione del percorso', d.contract.completedAt ? itInstant(d.contract.completedAt) : 'non concluso'],
    ['Rispetto della scadenza', d.contract.timeliness],
  ]);

  heading('3. Fondi richiesti');
  facts([
    [
      'Servizi finanziati',
      `${d.funding.fundedServices} servizi attivi (al massimo ${d.funding.maxFundedServices})`,
    ],
    ['Importo per servizio', eurFormat.format(d.funding.eurPerService)],
    ['Importo', eurFormat.format(d.funding.amountEur)],
    [
      'Verifica',
      d.funding.agreesWithJourney
        ? 'coincide con i fondi ottenuti registrati nel percorso'
        : `NON coincide con i fondi ottenuti registrati nel percorso (${eurFormat.format(d.funding.journeySecuredEur)})`,
    ],
  ]);

  heading('4. Modulo di adesione firmato');
  if (d.signedForm) {
    facts([
      ['Firmato da', d.signedForm.signerName],
      ...(d.signedForm.signerFiscalCode
        ? [['Codice fiscale del firmatario', d.signedForm.signerFiscalCode] as [string, string]]
        : []),
      ['Data della firma', itInstant(d.signedForm.signingTime)],
      ['Impronta SHA-256 del file', d.signedForm.sha256],
      ['Registrato il', itInstant(d.signedForm.recordedAt)],
      ['Registrato da', personLabel(d.signedForm.recordedBy)],
    ]);
  } else {
    paragraph('Nessun modulo firmato registrato.');
  }

  heading('5. Servizi su App IO');
  table(
    ['Servizio', 'ID servizio IO', 'Argomento', 'Stato'],
    d.services.map((s) => [s.name, s.ioServiceId ?? '—', s.topic ?? '—', s.statusLabel]),
    ['*', 168, 100, 72],
  );
  table(
    ['Servizio', 'Primo invio in revisione', 'Rifiuti', 'Approvato', 'Pubblicato'],
    d.services.map((s) => [
      s.name,
      itInstant(s.firstSubmittedAt),
      String(s.rejections.length),
      itInstant(s.approvedAt),
      itInstant(s.publishedAt),
    ]),
    ['*', 90, 40, 80, 80],
  );
  const rejected = d.services.filter((s) => s.rejections.length > 0);
  if (rejected.length > 0) {
    paragraph('Rifiuti e motivi', { bold: true });
    table(
      ['Servizio', 'Data', 'Motivo', 'Registrato da'],
      rejected.flatMap((s) =>
        s.rejections.map((r) => [s.name, itInstant(r.at), r.reason, personLabel(r.by)]),
      ),
      [110, 70, '*', 100],
    );
  }
  if (d.contract.pastDeadline) {
    paragraph('Servizi approvati dopo la scadenza', { bold: true });
    if (d.lateServices.length === 0)
      paragraph('Nessuno: ogni servizio approvato lo è stato entro la scadenza.');
    else
      table(
        ['Servizio', 'Approvato il', 'Giorni di ritardo'],
        d.lateServices.map((s) => [s.name, itInstant(s.approvedAt), String(s.daysLate)]),
        ['*', 110, 90],
      );
  }

  heading('6. Tempi di attesa per fase');
  table(
    ['Fase', 'Dal', 'Al', 'Durata', 'In attesa di'],
    d.waiting.stages.map((s) => [
      s.label,
      itInstant(s.from),
      s.to ? itInstant(s.to) : 'in corso',
      duration(s.ms),
      s.waitsOnLabel,
    ]),
    ['*', 75, 75, 65, 105],
  );
  paragraph(`Totale: ${d.waiting.byParty.map((p) => `${p.partyLabel} ${duration(p.ms)}`).join(' · ')}.`);
  const serviceWaits = d.services.filter((s) => s.reviewWait.ms > 0 || s.correctionWait.ms > 0);
  if (serviceWaits.length > 0) {
    doc.moveDown(0.3);
    paragraph('Per servizio: revisione e correzioni', { bold: true });
    table(
      ['Servizio', 'In revisione (attesa di PagoPA)', 'Correzioni (attesa del personale)'],
      serviceWaits.map((s) => [s.name, duration(s.reviewWait.ms), duration(s.correctionWait.ms)]),
      ['*', 150, 150],
    );
  }

  heading('7. Passi registrati dal personale');
  if (d.manualSteps.length === 0) paragraph('Nessun passo registrato a mano.');
  else
    table(
      ['Data', 'Passo', 'Registrato da'],
      d.manualSteps.map((s) => [
        itInstant(s.at),
        `${s.service ? `${s.service}: ` : ''}${s.step}${s.detail ? ` — ${withItalianDates(s.detail)}` : ''}`,
        personLabel(s.actor),
      ]),
      [75, '*', 120],
    );

  if (!d.complete) {
    heading('8. Cosa manca');
    if (d.missing.length === 0) paragraph('Il percorso non è concluso.');
    for (const item of d.missing) paragraph(`• ${item}`);
  }

  // Page numbers and the generation time at the foot of every page.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor(GREY)
      .text(
        pdfText(
          `${d.comune.name} (${d.comune.ipaCode}) · generato il ${itInstant(d.generatedAt)} · Pagina ${i + 1 - range.start} di ${range.count}`,
        ),
        MARGIN,
        doc.page.height - MARGIN + 10,
        { width, align: 'center', lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
