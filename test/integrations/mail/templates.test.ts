import { messageIdFor, renderNotification } from '../../../integrations/mail/notification';
import {
  escapeHtml,
  formatDateIt,
  formatEuro,
  personalFiscalCodeSchema,
  renderDelegationInstructionsA,
  renderManagerEscalation,
  renderReminder,
  renderServiceRejected,
} from '../../../integrations/mail/templates';
import { comune, contacts, delegate, partnerName, sampleNotifications } from './fixtures';

describe('Italian formatting', () => {
  test('dates: calendar dates as is, instants in Europe/Rome', () => {
    expect(formatDateIt('2026-11-23')).toBe('23 novembre 2026');
    expect(formatDateIt('2026-11-23T10:00:00Z')).toBe('23 novembre 2026');
    // 23:30 UTC is already the next day in Rome (UTC+1 in winter, UTC+2 in summer).
    expect(formatDateIt('2026-11-23T23:30:00Z')).toBe('24 novembre 2026');
    expect(formatDateIt('2026-07-31T22:30:00Z')).toBe('1 agosto 2026');
    expect(formatDateIt('2026-07-31T22:30:00+00:00')).toBe('1 agosto 2026');
    expect(() => formatDateIt('not a date')).toThrow(RangeError);
  });

  test('euro amounts: symbol first, dot for thousands, comma for decimals', () => {
    expect(formatEuro(2401)).toBe('€ 2.401,00');
    expect(formatEuro(243)).toBe('€ 243,00');
    expect(formatEuro(1234567.5)).toBe('€ 1.234.567,50');
    expect(formatEuro(0)).toBe('€ 0,00');
  });

  test('HTML escaping', () => {
    expect(escapeHtml(`<a href="x">Sant'Anna & co</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Sant&#39;Anna &amp; co&lt;/a&gt;',
    );
  });

  test('personal fiscal codes are checked, check letter included', () => {
    expect(personalFiscalCodeSchema.parse(' rssmra80a01h501u ')).toBe('RSSMRA80A01H501U');
    expect(personalFiscalCodeSchema.safeParse('RSSMRA80A01H501V').success).toBe(false);
    expect(personalFiscalCodeSchema.safeParse('RSSMRA80A01H501').success).toBe(false);
  });
});

describe('templates', () => {
  test.each(sampleNotifications('render').map((n) => [n.kind, n] as const))(
    '%s: Comune name and IPA code, every missing item, the partner signature',
    (_kind, notification) => {
      const email = renderNotification(notification);
      for (const part of [email.subject, email.text, email.html]) {
        expect(part).toContain('Comune di Trento');
        expect(part).toContain('c_l378');
      }
      expect(email.text).toContain(`Cordiali saluti,\n${partnerName}`);
      expect(email.html).toContain(`Cordiali saluti,<br>${partnerName}`);
      expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="it">/);
      const missing = (notification.data as { missing?: string[] }).missing;
      for (const item of missing ?? []) {
        expect(email.text).toContain(`- ${item}`);
        expect(email.html).toContain(`>${escapeHtml(item)}</li>`);
      }
      expect(email.html).toMatch(/<ul[^>]*>\n<li/);
    },
  );

  test('journey_completed lists every active service and says nothing more is needed', () => {
    const completed = sampleNotifications('render').find((n) => n.kind === 'journey_completed')!;
    const email = renderNotification(completed);
    expect(email.subject).toBe(
      'App IO – Percorso completato: 3 servizi sono attivi – Comune di Trento (c_l378)',
    );
    for (const name of ['Pagamento TARI', 'Mensa scolastica', 'Prenotazione sale comunali']) {
      expect(email.text).toContain(`- ${name}`);
    }
    expect(email.text).toContain('Completato il');
    expect(email.text).toContain('Completato il: 20 gennaio 2026');
    expect(email.text).toContain('Non è richiesta alcuna ulteriore azione');
    expect(() => renderNotification({ ...completed, data: { ...completed.data, services: [] } })).toThrow();
  });

  test("HTML-escapes a Comune name with '<' in the html part only", () => {
    const email = renderDelegationInstructionsA({
      comune: { name: 'Comune di <Prova> & "Test"', ipaCode: 'c_x000' },
      partnerName: 'Partner <S.p.A.>',
      delegate,
      missing: ['<script>alert(1)</script>'],
    });
    expect(email.html).toContain('Comune di &lt;Prova&gt; &amp; &quot;Test&quot;');
    expect(email.html).toContain('Partner &lt;S.p.A.&gt;');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).not.toContain('<Prova>');
    expect(email.html).not.toContain('<script>');
    expect(email.subject).toContain('Comune di <Prova> & "Test" (c_x000)');
    expect(email.text).toContain('Ente: Comune di <Prova> & "Test"');
  });

  test('delegation instructions: defaults the awaited items from the scenario; normalises the fiscal code', () => {
    const email = renderDelegationInstructionsA({
      comune,
      partnerName,
      contacts,
      delegate: { ...delegate, fiscalCode: delegate.fiscalCode.toLowerCase() },
      replyBy: '2026-07-15',
    });
    expect(email.text).toContain(`Codice fiscale: ${delegate.fiscalCode}`);
    expect(email.text).toContain(
      "- adesione dell'Ente a IO su Selfcare, con il Sindaco quale Legale Rappresentante e Laura Bianchi quale Amministratore",
    );
    expect(email.text).toContain('entro il 15 luglio 2026');
    expect(email.text).toContain(
      'potete scriverci a innovazione@comunitrentini.it o telefonarci al numero 0461 1920717',
    );
    expect(email.html).toContain(
      '<a href="mailto:innovazione@comunitrentini.it">innovazione@comunitrentini.it</a>',
    );
  });

  test('rejects invalid input: fiscal code, line breaks in a subject field, no missing items', () => {
    const base = { comune, partnerName, delegate };
    expect(() =>
      renderDelegationInstructionsA({ ...base, delegate: { ...delegate, fiscalCode: 'RSSMRA80A01H501V' } }),
    ).toThrow(/invalid personal fiscal code/);
    expect(() =>
      renderDelegationInstructionsA({
        ...base,
        comune: { name: 'Comune di Trento\nBcc: x@y.it', ipaCode: 'c_l378' },
      }),
    ).toThrow(/single line/);
    expect(() => renderDelegationInstructionsA({ ...base, missing: [] })).toThrow();
  });

  test('reminder: the first one is a "Promemoria"', () => {
    const email = renderReminder({
      comune,
      partnerName,
      stage: 'compilazione del modulo di tracciamento',
      requestedAt: '2026-06-18T09:00:00+02:00',
      daysSinceRequest: 1,
      missing: ['modulo online di tracciamento'],
      nextStep: 'Procederemo con la configurazione dei servizi.',
    });
    expect(email.subject).toMatch(/^Promemoria: App IO – Compilazione del modulo di tracciamento – /);
    expect(email.text).toContain('A 1 giorno dalla richiesta');
  });

  test('service rejected: a multi-line reason keeps its lines', () => {
    const email = renderServiceRejected({
      comune,
      partnerName,
      serviceName: 'TARI',
      reason: 'Manca privacy_url.\nIl logo non è 300x300.',
      round: 1,
      missing: ['privacy_url', 'logo PNG 300×300'],
    });
    expect(email.text).toContain('> Manca privacy_url.\n> Il logo non è 300x300.');
    expect(email.html).toContain('Manca privacy_url.<br>Il logo non è 300x300.');
    expect(email.text).not.toContain('esito negativo per questo servizio');
  });

  test('manager escalation: deadline passed, due today, inconsistent service counts', () => {
    const base = {
      comune,
      partnerName,
      deadline: '2026-01-31',
      missing: ['approvazione di 2 servizi'],
      servicesActive: 1,
      servicesTotal: 3,
      fundingAtRiskEur: 0,
      fundingLostEur: 686,
    };
    const late = renderManagerEscalation({ ...base, daysToDeadline: -3 });
    expect(late.subject).toBe('Escalation App IO: scadenza superata – Comune di Trento (c_l378)');
    expect(late.text).toContain('31 gennaio 2026 (scadenza superata da 3 giorni)');
    expect(late.text).toContain('Finanziamento non più conseguibile: € 686,00');
    expect(renderManagerEscalation({ ...base, daysToDeadline: 0 }).subject).toContain('scadenza oggi');
    expect(() => renderManagerEscalation({ ...base, daysToDeadline: 5, servicesActive: 4 })).toThrow(
      /servicesActive cannot exceed servicesTotal/,
    );
  });
});

describe('Message-IDs', () => {
  test('are valid and distinct for distinct ids', () => {
    expect(messageIdFor('comune:c_l378:reminder-1', 'comunitrentini.it')).toBe(
      '<comune=3Ac_l378=3Areminder-1@comunitrentini.it>',
    );
    expect(messageIdFor('a:b', 'x.it')).not.toBe(messageIdFor('a=3Ab', 'x.it'));
    expect(messageIdFor('a.b/c', 'x.it')).toMatch(/^<[A-Za-z0-9_=-]+@x\.it>$/);
  });
});
