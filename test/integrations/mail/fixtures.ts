import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../common/logger';
import type { Notification } from '../../../integrations/mail/notification';

export const silentLogger = createLogger('mail-test', 'silent');

export const comune = { name: 'Comune di Trento', ipaCode: 'c_l378' };
export const partnerName = 'Consorzio dei Comuni Trentini';
export const contacts = { email: 'innovazione@comunitrentini.it', phone: '0461 1920717' };

/** Valid personal fiscal codes (check letter included). */
export const delegate = {
  firstName: 'Laura',
  lastName: 'Bianchi',
  fiscalCode: 'BNCLRA85T41L378T',
  email: 'laura.bianchi@tndigit.it',
};

export const secretary = 'segreteria@comune.trento.it';
export const mayor = 'sindaco@comune.trento.it';
export const staff = 'staff@comunitrentini.it';
export const manager = 'direzione@comunitrentini.it';

const base = { comune, partnerName, contacts };

/** One notification of each kind; `suffix` makes the ids unique per test. */
export function sampleNotifications(suffix: string): Notification[] {
  return [
    {
      id: `comune:c_l378:delegation-a:${suffix}`,
      kind: 'delegation_instructions_a',
      to: [secretary],
      cc: [mayor],
      data: { ...base, delegate, trackingFormUrl: 'https://forms.gle/daPtSSu9vhrfiVsZ7' },
    },
    {
      id: `comune:c_l378:delegation-b:${suffix}`,
      kind: 'delegation_instructions_b',
      to: [secretary],
      cc: [mayor],
      data: { ...base, delegate },
    },
    {
      id: `comune:c_l378:reminder-2:${suffix}`,
      kind: 'reminder',
      to: [secretary],
      cc: [mayor],
      data: {
        ...base,
        stage: 'firma digitale del modulo di nomina',
        requestedAt: '2026-06-18',
        daysSinceRequest: 21,
        reminderNumber: 2,
        missing: [
          'modulo di nomina firmato digitalmente dal Sindaco (.p7m)',
          'modulo online di tracciamento',
        ],
        nextStep: 'Ricevuto il modulo firmato, procederemo con la configurazione dei servizi.',
      },
    },
    {
      id: `comune:c_l378:link-expired:${suffix}`,
      kind: 'signed_form_link_expired',
      to: [secretary, staff],
      data: { ...base, scenario: 'A', delegate, requestedAt: '2026-06-18', expiredAt: '2026-07-18' },
    },
    {
      id: `comune:c_l378:staff-alert:${suffix}`,
      kind: 'staff_alert',
      to: [staff],
      data: {
        ...base,
        alert: 'nessuna risposta dopo il secondo sollecito',
        missing: ['delega del ruolo di Amministratore su Selfcare'],
        remindersSent: 2,
      },
    },
    {
      id: `service:c_l378:prenotazione-sale-comunali:rejected-2:${suffix}`,
      kind: 'service_rejected',
      to: [staff],
      data: {
        ...base,
        serviceName: 'Prenotazione sale comunali',
        reason: 'Il nome del servizio è scritto interamente in maiuscolo.',
        round: 2,
        missing: ['riscrivere il nome del servizio con le sole iniziali maiuscole'],
      },
    },
    {
      id: `comune:c_l378:watch:3:${suffix}`,
      kind: 'service_unpublished',
      to: [staff, manager],
      data: {
        ...base,
        changes: [
          { serviceName: 'Mensa scolastica', what: 'tolto dalla pubblicazione su IO', visible: false },
          { serviceName: 'Tassa sui rifiuti (TARI)', what: 'di nuovo visibile in App IO', visible: true },
        ],
        servicesActive: 10,
        servicesTotal: 11,
        fundingSecuredEur: 10990,
        eurPerService: 1099,
      },
    },
    {
      id: `comune:c_l378:escalation:${suffix}`,
      kind: 'manager_escalation',
      to: [manager],
      cc: [staff],
      data: {
        ...base,
        deadline: '2026-01-31',
        daysToDeadline: 12,
        missing: ['approvazione di 7 servizi da parte di PagoPA'],
        servicesActive: 4,
        servicesTotal: 11,
        fundingAtRiskEur: 2401,
      },
    },
    {
      id: `comune:c_l378:completed:${suffix}`,
      kind: 'journey_completed',
      to: [secretary],
      cc: [staff],
      data: {
        ...base,
        completedAt: '2026-01-20T10:00:00.000Z',
        services: ['Pagamento TARI', 'Mensa scolastica', 'Prenotazione sale comunali'],
        deadline: '2026-01-31',
      },
    },
  ];
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
