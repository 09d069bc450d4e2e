import { FileSentLedger } from '../../../integrations/mail/ledger';
import { SmtpMailer } from '../../../integrations/mail/mailer';
import type { Notification } from '../../../integrations/mail/notification';
import type { OutboxMessage } from '../../../integrations/mail/outbox';
import { type SmtpCatcher, startSmtpCatcher } from '../../../integrations/mail/smtp-catcher';
import {
  delegate,
  manager,
  mayor,
  sampleNotifications,
  secretary,
  silentLogger,
  staff,
  tempDir,
} from './fixtures';

let catcher: SmtpCatcher;
let ledgerDir: string;
let mailer: SmtpMailer;
const cleanups: (() => Promise<void>)[] = [];

const mailerOptions = (port: number) => ({
  host: '127.0.0.1',
  port,
  secure: false,
  from: 'Consorzio dei Comuni Trentini <noreply@comunitrentini.it>',
});

beforeAll(async () => {
  const outbox = await tempDir('outbox');
  const ledger = await tempDir('ledger');
  cleanups.push(outbox.cleanup, ledger.cleanup);
  ledgerDir = ledger.dir;
  catcher = await startSmtpCatcher({
    port: 0,
    host: '127.0.0.1',
    outboxDir: outbox.dir,
    logger: silentLogger,
  });
  mailer = new SmtpMailer(mailerOptions(catcher.port), {
    ledger: new FileSentLedger(ledgerDir),
    logger: silentLogger,
  });
});

afterAll(async () => {
  mailer.close();
  await catcher.close();
  for (const cleanup of cleanups) await cleanup();
});

const samples = sampleNotifications('mailer-test');
const sample = <K extends Notification['kind']>(kind: K): Extract<Notification, { kind: K }> =>
  samples.find((n) => n.kind === kind) as Extract<Notification, { kind: K }>;

async function sendAndFetch(notification: Notification): Promise<OutboxMessage> {
  const result = await mailer.send(notification);
  expect(result.status).toBe('sent');
  const page = await catcher.outbox.listOutbox({ limit: 500 });
  const message = page.items.find((m) => m.notificationId === notification.id);
  if (!message) throw new Error(`message ${notification.id} not in the outbox`);
  expect(message.messageId).toBe(result.messageId);
  expect(message.comuneIpa).toBe('c_l378');
  expect(message.kind).toBe(notification.kind);
  expect(message.from).toBe('noreply@comunitrentini.it');
  expect(message.subject).toContain('Comune di Trento (c_l378)');
  expect(message.text).toContain('Consorzio dei Comuni Trentini');
  return message;
}

describe('SmtpMailer over SMTP, into the catcher', () => {
  test('delegation instructions, scenario A: to the secretary, cc the mayor, with the delegate', async () => {
    const m = await sendAndFetch(sample('delegation_instructions_a'));
    expect(m.to).toEqual([secretary]);
    expect(m.cc).toEqual([mayor]);
    expect(m.envelopeTo.sort()).toEqual([mayor, secretary].sort());
    expect(m.subject).toBe(
      'App IO – Adesione e delega del ruolo di Amministratore – Comune di Trento (c_l378)',
    );
    expect(m.text).toContain('https://selfcare.pagopa.it/onboarding/prod-io');
    expect(m.text).toContain('«Inserisci me come Amministratore»');
    expect(m.text).toContain('«Aggiungi un altro amministratore»');
    expect(m.text).toContain('Legale Rappresentante');
    expect(m.text).toContain(`Codice fiscale: ${delegate.fiscalCode}`);
    expect(m.text).toContain(`Indirizzo e-mail: ${delegate.email}`);
    expect(m.text).toContain('Nome: Laura');
    expect(m.text).toContain('Cognome: Bianchi');
    expect(m.text).toContain('https://forms.gle/daPtSSu9vhrfiVsZ7');
    expect(m.html).toContain(delegate.fiscalCode);
    expect(m.html).toContain('<a href="https://selfcare.pagopa.it/onboarding/prod-io">');
  });

  test('delegation instructions, scenario B: only a new administrator', async () => {
    const m = await sendAndFetch(sample('delegation_instructions_b'));
    expect(m.to).toEqual([secretary]);
    expect(m.cc).toEqual([mayor]);
    expect(m.subject).toBe('App IO – Delega del ruolo di Amministratore – Comune di Trento (c_l378)');
    expect(m.text).toContain('«Aggiungi un nuovo Amministratore»');
    expect(m.text).toContain("«L'Ente selezionato ha già aderito»");
    expect(m.text).not.toContain('Inserisci me come Amministratore');
    expect(m.text).toContain('modulo di sola nomina');
    expect(m.text).toContain(delegate.fiscalCode);
  });

  test('reminder: the missing items, the days since the request, the next step', async () => {
    const m = await sendAndFetch(sample('reminder'));
    expect(m.to).toEqual([secretary]);
    expect(m.cc).toEqual([mayor]);
    expect(m.subject).toBe(
      'Secondo promemoria: App IO – Firma digitale del modulo di nomina – Comune di Trento (c_l378)',
    );
    expect(m.text).toContain('in data 18 giugno 2026');
    expect(m.text).toContain('A 21 giorni dalla richiesta');
    expect(m.text).toContain('- modulo di nomina firmato digitalmente dal Sindaco (.p7m)\n');
    expect(m.text).toContain('- modulo online di tracciamento\n');
    expect(m.text).toContain('Prossimo passo');
    expect(m.html).toMatch(/<li[^>]*>modulo online di tracciamento<\/li>/);
  });

  test('signed-form link expired: to the Comune and staff, the request must be repeated', async () => {
    const m = await sendAndFetch(sample('signed_form_link_expired'));
    expect(m.to).toEqual([secretary, staff]);
    expect(m.cc).toEqual([]);
    expect(m.subject).toContain('Link Selfcare scaduto');
    expect(m.text).toContain('è scaduto il 18 luglio 2026');
    expect(m.text).toContain('sono trascorsi 30 giorni');
    expect(m.text).toContain('deve essere ripetuta');
    expect(m.text).toContain('«Aggiungi un altro amministratore»');
    expect(m.text).toContain(delegate.fiscalCode);
    expect(m.text).toContain('- modulo di adesione e nomina firmato digitalmente dal Sindaco');
  });

  test('staff alert: to staff, the alert and what is missing', async () => {
    const m = await sendAndFetch(sample('staff_alert'));
    expect(m.to).toEqual([staff]);
    expect(m.subject).toBe(
      'Segnalazione: nessuna risposta dopo il secondo sollecito – Comune di Trento (c_l378)',
    );
    expect(m.text).toContain('Promemoria inviati: 2');
    expect(m.text).toContain('- delega del ruolo di Amministratore su Selfcare');
  });

  test('service rejected: service, PagoPA status and reason, round, corrections', async () => {
    const m = await sendAndFetch(sample('service_rejected'));
    expect(m.to).toEqual([staff]);
    expect(m.subject).toBe(
      'Servizio non approvato da PagoPA (revisione n. 2): «Prenotazione sale comunali» – Comune di Trento (c_l378)',
    );
    expect(m.text).toContain('«dati incompleti o incorretti»');
    expect(m.text).toContain('> Il nome del servizio è scritto interamente in maiuscolo.');
    expect(m.text).toContain('- riscrivere il nome del servizio con le sole iniziali maiuscole');
    expect(m.text).toContain('(revisione n. 3)');
  });

  test('manager escalation: days left, services, funding at risk in euro', async () => {
    const m = await sendAndFetch(sample('manager_escalation'));
    expect(m.to).toEqual([manager]);
    expect(m.cc).toEqual([staff]);
    expect(m.subject).toBe('Escalation App IO: 12 giorni alla scadenza – Comune di Trento (c_l378)');
    expect(m.text).toContain('Scadenza: 31 gennaio 2026 (mancano 12 giorni)');
    expect(m.text).toContain('Servizi attivi: 4 su 11');
    expect(m.text).toContain('Finanziamento a rischio: € 2.401,00');
    expect(m.html).toContain('€ 2.401,00');
    expect(m.text).toContain('- approvazione di 7 servizi da parte di PagoPA');
  });
});

describe('idempotency', () => {
  const base = sampleNotifications('idempotency');

  test('the id becomes the Message-ID; a second send is not delivered again', async () => {
    const notification = { ...base[0]!, id: 'comune:c_l378:delegation-a:once' } as Notification;
    const first = await mailer.send(notification);
    expect(first.status).toBe('sent');
    expect(first.messageId).toBe('<comune=3Ac_l378=3Adelegation-a=3Aonce@comunitrentini.it>');
    const count = await catcher.outbox.count();

    const second = await mailer.send(notification);
    expect(second).toEqual({ status: 'already_sent', messageId: first.messageId, sentAt: first.sentAt });
    expect(await catcher.outbox.count()).toBe(count);
  });

  test('the ledger survives a restart: a new mailer on the same folder does not resend', async () => {
    const notification = { ...base[1]!, id: 'comune:c_l378:delegation-b:restart' } as Notification;
    await mailer.send(notification);
    const count = await catcher.outbox.count();
    const restarted = new SmtpMailer(mailerOptions(catcher.port), {
      ledger: new FileSentLedger(ledgerDir),
      logger: silentLogger,
    });
    try {
      expect((await restarted.send(notification)).status).toBe('already_sent');
    } finally {
      restarted.close();
    }
    expect(await catcher.outbox.count()).toBe(count);
  });

  test('concurrent sends of the same id deliver once', async () => {
    const notification = { ...base[2]!, id: 'comune:c_l378:reminder:concurrent' } as Notification;
    const count = await catcher.outbox.count();
    const results = await Promise.all([mailer.send(notification), mailer.send(notification)]);
    expect(results.map((r) => r.status).sort()).toEqual(['already_sent', 'sent']);
    expect(await catcher.outbox.count()).toBe(count + 1);
  });
});
