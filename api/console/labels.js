// Italian labels of the domain, mirrored from contracts/comune.ts (stageLabels), contracts/service.ts
// (serviceStatusLabels) and domain/service-card.ts (topicIds). The browser test compares them with the contracts.

export const stages = [
  'adhesion_check',
  'delegation_requested',
  'awaiting_signed_form',
  'services',
  'completed',
  'withdrawn',
];

export const stageLabels = {
  adhesion_check: 'Verifica adesione',
  delegation_requested: 'Delega richiesta',
  awaiting_signed_form: 'In attesa del modulo firmato',
  services: 'Servizi in lavorazione',
  completed: 'Completato',
  withdrawn: 'Ritirato',
};

export const serviceStatuses = [
  'pending',
  'needs_correction',
  'creating',
  'configuring',
  'in_review',
  'rejected',
  'publishing',
  'active',
  'cancelled',
];

export const serviceStatusLabels = {
  pending: 'In coda',
  needs_correction: 'Scheda da correggere',
  creating: 'Creazione su IO',
  configuring: 'Configurazione',
  in_review: 'In revisione PagoPA',
  rejected: 'Dati incompleti o incorretti',
  publishing: 'Pubblicazione',
  active: 'Servizio attivo',
  cancelled: 'Annullato',
};

/** Badge colour of each service status. */
export const serviceStatusTone = {
  pending: 'neutral',
  needs_correction: 'warning',
  creating: 'info',
  configuring: 'info',
  in_review: 'info',
  rejected: 'danger',
  publishing: 'info',
  active: 'success',
  cancelled: 'neutral',
};

export const stageTone = {
  adhesion_check: 'info',
  delegation_requested: 'info',
  awaiting_signed_form: 'info',
  services: 'info',
  completed: 'success',
  withdrawn: 'neutral',
};

export const topicIds = [
  'Altro',
  'Ambiente e animali',
  'Attività produttive e commercio',
  'Benessere sociale',
  'Casa e utenze',
  'Cultura tempo libero e sport',
  'Educazione e formazione',
  'Giustizia e legge',
  'Lavori edilizi catasto e urbanistica',
  'Mobilità e trasporti',
  'Redditi patrimoni e fisco',
  'Servizi anagrafici e civici',
  'Servizi elettorali',
  'Sicurezza e Protezione Civile',
  'Suolo spazi e beni pubblici',
  'Viaggi e turismo',
  'Vita lavorativa',
  'Salute',
];

export const roleLabels = { staff: 'Personale', manager: 'Responsabile', admin: 'Amministratore' };

export const whoLabels = { staff: 'Personale del partner', comune: 'Comune', manager: 'Responsabile' };

export const scenarioLabels = {
  A: 'A · adesione completa',
  B: 'B · nuovo amministratore',
};

/** Turns the workflow's technical words in a timeline step ("Fase: services") into labels. */
export function timelineStepLabel(step) {
  const match = /^Fase: ([a-z_]+)$/.exec(step);
  if (match && stageLabels[match[1]]) return `Fase: ${stageLabels[match[1]]}`;
  return step;
}

/** "manager:Paolo Neri" → "Paolo Neri (Responsabile)"; "sistema" → "Sistema". */
export function actorLabel(actor) {
  const match = /^(staff|manager|admin):(.+)$/.exec(actor || '');
  if (match) return `${match[2]} (${roleLabels[match[1]]})`;
  if (actor === 'sistema') return 'Sistema';
  return actor || '—';
}

const instantFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Rome' });
/** ISO instants inside a timeline detail ("2027-07-21T21:59:59.000Z → …") written as Italian dates. */
export function timelineDetail(detail) {
  return String(detail).replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : instantFormat.format(d);
  });
}
