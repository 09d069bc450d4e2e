/**
 * The journey of a Comune onto App IO, declared once: its stages (order, label, who each waits on), the service
 * statuses and their classes, and the staff and manager steps (who may take them, when, with which fields).
 *
 * Everyone reads this module and nobody copies it: the workflows' Update validators refuse a step with
 * `stepRefusal`, the API answers `availableSteps` with `availableSteps`, the inbox derives its tasks from the stages
 * and statuses, and the console receives the declarative part (`journeyModelForConsole`) as a generated module and
 * draws its buttons and forms from it. Pure and deterministic: safe inside workflows.
 */

// ---------------------------------------------------------------------------------------------------------------
// Who a stage, a status or a task waits on.

export const parties = ['comune', 'staff', 'manager', 'pagopa', 'nobody'] as const;
export type Party = (typeof parties)[number];
export const partyLabels: Record<Party, string> = {
  comune: 'Comune',
  staff: 'Personale del partner',
  manager: 'Responsabile',
  pagopa: 'PagoPA',
  nobody: 'Nessuno (automatico)',
};

// ---------------------------------------------------------------------------------------------------------------
// Stages of a Comune, in order.

export const stages = [
  'adhesion_check',
  'delegation_requested',
  'awaiting_signed_form',
  'io_access',
  'services',
  'completed',
  'withdrawn',
] as const;
export type Stage = (typeof stages)[number];

export interface StageDefinition {
  label: string;
  /** Who the stage waits on when nothing else is known (an automatic adhesion check waits on PagoPA). */
  waitsOn: Party;
  /** Open: the journey is running; closed stages accept no step. */
  open: boolean;
  /** What must happen for the stage to end, in Italian: the task the inbox shows. */
  task?: string;
}

export const stageModel: Record<Stage, StageDefinition> = {
  adhesion_check: {
    label: 'Verifica adesione',
    waitsOn: 'staff',
    open: true,
    task: 'Verificare su Selfcare l’adesione a App IO e registrarne l’esito',
  },
  delegation_requested: {
    label: 'Delega richiesta',
    waitsOn: 'comune',
    open: true,
    task: 'Il Segretario delega il partner come Amministratore su Selfcare; il personale lo registra',
  },
  awaiting_signed_form: {
    label: 'In attesa del modulo firmato',
    waitsOn: 'comune',
    open: true,
    task: 'Il Sindaco firma (CAdES) il modulo ricevuto via PEC; il personale carica il .p7m',
  },
  io_access: {
    label: 'Accesso a IO',
    waitsOn: 'staff',
    open: true,
    task: 'Quando Selfcare mostra l’adesione attiva, leggere nel back office IO del Comune la sua chiave di gestione e registrarla',
  },
  services: { label: 'Servizi in lavorazione', waitsOn: 'pagopa', open: true },
  completed: { label: 'Completato', waitsOn: 'nobody', open: false },
  withdrawn: { label: 'Ritirato', waitsOn: 'nobody', open: false },
};

export const stageLabels = Object.fromEntries(stages.map((s) => [s, stageModel[s].label])) as Record<
  Stage,
  string
>;
export const openStages: readonly Stage[] = stages.filter((s) => stageModel[s].open);

/** Whether the journey is over (completed or withdrawn): one answer for the workflow, the API and the console. */
export function isClosedStage(stage: Stage): boolean {
  return !stageModel[stage].open;
}

// ---------------------------------------------------------------------------------------------------------------
// Service statuses and their classes.

export const serviceStatuses = [
  'pending',
  'needs_correction',
  'awaiting_key',
  'creating',
  'configuring',
  'in_review',
  'rejected',
  'publishing',
  'active',
  'cancelled',
  'unpublished',
] as const;
export type ServiceStatus = (typeof serviceStatuses)[number];

export const serviceStatusClasses = ['queued', 'working', 'waiting', 'done'] as const;
export type ServiceStatusClass = (typeof serviceStatusClasses)[number];
export const serviceStatusClassLabels: Record<ServiceStatusClass, string> = {
  queued: 'In coda',
  working: 'In lavorazione automatica',
  waiting: 'In attesa di persone',
  done: 'Conclusi',
};

export interface ServiceStatusDefinition {
  label: string;
  class: ServiceStatusClass;
  waitsOn: Party;
  /** The task a person has while the service is in this status. */
  task?: string;
}

export const serviceStatusModel: Record<ServiceStatus, ServiceStatusDefinition> = {
  // Not started yet: waits for its Comune to reach the services stage, then for a free slot.
  pending: { label: 'In coda', class: 'queued', waitsOn: 'nobody' },
  needs_correction: {
    label: 'Scheda da correggere',
    class: 'waiting',
    waitsOn: 'staff',
    task: 'Correggere la scheda del servizio e reinviarla',
  },
  // PagoPA refused the Comune's manage key (401/403): the service resumes when staff record a new one. The task is
  // the Comune's («Chiave di gestione da aggiornare»), one for all its paused services.
  awaiting_key: { label: 'In attesa della chiave di gestione', class: 'waiting', waitsOn: 'staff' },
  creating: { label: 'Creazione e configurazione su IO', class: 'working', waitsOn: 'nobody' },
  configuring: { label: 'Configurazione', class: 'working', waitsOn: 'nobody' },
  in_review: {
    label: 'In revisione PagoPA',
    class: 'waiting',
    waitsOn: 'pagopa',
    task: 'PagoPA esamina la richiesta di pubblicazione; l’esito si può registrare a mano',
  },
  rejected: {
    label: 'Dati incompleti o incorretti',
    class: 'waiting',
    waitsOn: 'staff',
    task: 'Correggere la scheda secondo il motivo del rifiuto PagoPA e reinviarla',
  },
  publishing: { label: 'Pubblicazione', class: 'working', waitsOn: 'nobody' },
  active: { label: 'Servizio attivo', class: 'done', waitsOn: 'nobody' },
  cancelled: { label: 'Annullato', class: 'done', waitsOn: 'nobody' },
  // After completion (0.6.0): the watch found the service no longer published in the app (unpublished, deleted or
  // back in review on IO). It no longer counts as secured until it is published again.
  unpublished: {
    label: 'Non più visibile in App IO',
    class: 'waiting',
    waitsOn: 'staff',
    task: 'Verificare su IO perché il servizio non è più visibile in App IO e ripubblicarlo',
  },
};

export const serviceStatusLabels = Object.fromEntries(
  serviceStatuses.map((s) => [s, serviceStatusModel[s].label]),
) as Record<ServiceStatus, string>;

/** Automatic, short-lived statuses: the Comune shows them as one "being prepared" phase. */
export function isWorkingStatus(status: ServiceStatus): boolean {
  return serviceStatusModel[status].class === 'working';
}

/** A started service in this status holds one of its Comune's parallel slots (queued or being worked on). */
export function holdsParallelSlot(status: ServiceStatus): boolean {
  const c = serviceStatusModel[status].class;
  return c === 'queued' || c === 'working';
}

// ---------------------------------------------------------------------------------------------------------------
// Staff and manager steps.

export const stepRoles = ['staff', 'manager', 'admin'] as const;
export type StepRole = (typeof stepRoles)[number];
const roleRank: Record<StepRole, number> = { staff: 1, manager: 2, admin: 3 };

export interface StepField {
  name: string;
  label: string;
  /** `secret`: typed, never shown back (a password field, no autocomplete); `text`: one line. */
  kind: 'choice' | 'textarea' | 'date' | 'file' | 'confirm' | 'card' | 'secret' | 'text';
  required?: boolean;
  /** For a choice: value and its Italian description; `boolean` turns 'true'/'false' into a JSON boolean. */
  options?: { value: string; label: string; detail?: string }[];
  valueType?: 'boolean';
  minLength?: number;
  maxLength?: number;
  accept?: string;
  hint?: string;
}

/** What a Comune step's guard reads: the Comune's state as the workflow keeps it and the API answers it. */
export interface ComuneStepView {
  stage: Stage;
  scenario?: 'A' | 'B';
  adhesionCheck: 'automatic' | 'manual';
  delegation: { requestedAt?: string; completedAt?: string };
  signedForm: { record?: unknown };
  trackingForm?: unknown;
  /** Absent on journeys that reached the services before the stage «Accesso a IO» existed (0.5.0). */
  ioAccess?: IoAccessView;
  /** The watch of the published services after completion (0.6.0). */
  watch?: { endedAt?: string };
}

/** The stage «Accesso a IO» as the guards read it. */
export interface IoAccessView {
  /** Selfcare's `prod-io` onboarding checked by the journey (a Selfcare key is configured) or recorded by staff. */
  check: 'automatic' | 'manual';
  onboardingActiveAt?: string;
  /** Who recorded the onboarding active ('sistema' when the journey read it on Selfcare). */
  onboardingRecordedBy?: string;
  manageKey?: { ref: string; recordedAt: string };
  /** PagoPA refused the recorded key mid-journey: the services wait for a new one. */
  keyRefused?: { at: string; cause: string };
}

/** The journey has the Comune's own manage key, and PagoPA has not refused it since. */
export function manageKeyUsable(state: Pick<ComuneStepView, 'ioAccess'>): boolean {
  return state.ioAccess?.manageKey !== undefined && state.ioAccess.keyRefused === undefined;
}

/** What a service step's guard reads. */
export interface ServiceStepView {
  status: ServiceStatus;
  /**
   * A rejection recorded by hand waits for its correction and may still be undone (0.6.0): set by the service while
   * nothing has been built on it (no corrected card yet). Absent on rejections read from PagoPA and before 0.6.0.
   */
  rejectionUndoable?: { at: string; by: string };
  /** The review's outcome is read from IO (polled), so it may be read now (contracts/service.ts). */
  reviewReadOnIo?: true;
}

interface StepCommon {
  id: string;
  /** The least role that may take it. */
  role: Exclude<StepRole, 'admin'>;
  /** The button and the form's title. */
  label: string;
  /** The step as an action, in refusals: «Registrare la delega» non è possibile ora … */
  action: string;
  help: string;
  submitLabel: string;
  success: string;
  fields: StepField[];
  /** The API call, as the OpenAPI document names it. */
  api: { method: 'post' | 'put'; path: string; multipart?: boolean };
  tone?: 'danger';
  /** Asked before sending: the step cannot be taken back by its author. */
  confirm?: string;
}

export interface ComuneStep extends StepCommon {
  scope: 'comune';
  allowedIn: readonly Stage[];
  guard?: (state: ComuneStepView) => string | undefined;
}

export interface ServiceStep extends StepCommon {
  scope: 'service';
  allowedIn: readonly ServiceStatus[];
  /** The refusal when the status does not allow it; `{status}` is the current status's label. */
  notAllowed: string;
  guard?: (state: ServiceStepView) => string | undefined;
}

/** The delegation is recorded for the current request (a link that expired asks for it again). */
export function delegationRecorded(state: ComuneStepView): boolean {
  const { requestedAt, completedAt } = state.delegation;
  return completedAt !== undefined && (requestedAt === undefined || completedAt >= requestedAt);
}

const note: StepField = { name: 'note', label: 'Nota (facoltativa)', kind: 'textarea', maxLength: 500 };
const reason = (label: string): StepField => ({
  name: 'reason',
  label,
  kind: 'textarea',
  required: true,
  minLength: 3,
  maxLength: 500,
});

export const comuneSteps = {
  recordAdhesion: {
    id: 'recordAdhesion',
    scope: 'comune',
    role: 'staff',
    label: 'Esito della verifica di adesione',
    action: 'Registrare l’adesione',
    help: 'Cerca il Comune su Selfcare (prodotto «App IO», prod-io) e registra se ha già aderito. Da qui parte la richiesta di delega.',
    submitLabel: 'Registra l’esito',
    success: 'Esito della verifica registrato.',
    fields: [
      {
        name: 'adherent',
        label: 'Il Comune ha già aderito ad App IO?',
        kind: 'choice',
        required: true,
        valueType: 'boolean',
        options: [
          {
            value: 'false',
            label: 'No, non ha aderito',
            detail: 'scenario A: adesione completa con il Sindaco',
          },
          { value: 'true', label: 'Sì, ha già aderito', detail: 'scenario B: solo il nuovo Amministratore' },
        ],
      },
      note,
    ],
    api: { method: 'post', path: '/comuni/{ipa}/adhesion' },
    allowedIn: ['adhesion_check'],
    guard: (s) => {
      if (s.scenario) return `L’adesione è già registrata (scenario ${s.scenario}).`;
      if (s.adhesionCheck === 'automatic')
        return 'La verifica è in corso automaticamente su Selfcare: attendere il risultato.';
      return undefined;
    },
  },
  recordDelegationDone: {
    id: 'recordDelegationDone',
    scope: 'comune',
    role: 'staff',
    label: 'Delega completata su Selfcare',
    action: 'Registrare la delega',
    help: 'Registrala quando il delegato del partner risulta Amministratore del Comune su Selfcare.',
    submitLabel: 'Registra la delega',
    success: 'Delega registrata.',
    confirm: 'Confermi che il delegato del partner risulta Amministratore del Comune su Selfcare?',
    fields: [note],
    api: { method: 'post', path: '/comuni/{ipa}/delegation' },
    allowedIn: ['delegation_requested'],
    guard: (s) => (delegationRecorded(s) ? 'La delega è già registrata.' : undefined),
  },
  recordSignedForm: {
    id: 'recordSignedForm',
    scope: 'comune',
    role: 'staff',
    label: 'Modulo firmato dal Sindaco',
    action: 'Registrare il modulo firmato',
    help: 'Carica il file .p7m (firma CAdES del Sindaco) così come è stato scaricato da Selfcare, senza rinominarlo: la firma viene verificata prima di registrarlo.',
    submitLabel: 'Carica e verifica',
    success: 'Modulo firmato verificato e registrato.',
    fields: [
      {
        name: 'file',
        label: 'File firmato (.p7m)',
        kind: 'file',
        required: true,
        accept: '.p7m,application/pkcs7-mime',
        hint: 'Massimo 10 MB.',
      },
      note,
    ],
    api: { method: 'post', path: '/comuni/{ipa}/signed-form', multipart: true },
    allowedIn: ['awaiting_signed_form'],
    guard: (s) => (s.signedForm.record ? 'Il modulo firmato è già registrato.' : undefined),
  },
  recordOnboarding: {
    id: 'recordOnboarding',
    scope: 'comune',
    role: 'staff',
    label: 'Esito dell’adesione su Selfcare',
    action: 'Registrare l’esito dell’adesione su Selfcare',
    help: 'Dopo il modulo firmato, Selfcare attiva l’adesione del Comune ad App IO (prod-io). Registra quello che Selfcare mostra. Se l’adesione è rifiutata o scaduta, il Comune torna alla richiesta di delega.',
    submitLabel: 'Registra l’esito',
    success: 'Esito dell’adesione registrato.',
    confirm:
      'Confermi l’esito letto su Selfcare? Un’adesione rifiutata o scaduta riporta il Comune alla richiesta di delega.',
    fields: [
      {
        name: 'outcome',
        label: 'Stato dell’adesione ad App IO su Selfcare',
        kind: 'choice',
        required: true,
        options: [
          {
            value: 'active',
            label: 'Attiva',
            detail: 'si può leggere la chiave di gestione nel back office IO',
          },
          { value: 'rejected', label: 'Rifiutata', detail: 'il Comune torna alla richiesta di delega' },
          {
            value: 'expired',
            label: 'Scaduta o annullata',
            detail: 'il Comune torna alla richiesta di delega',
          },
        ],
      },
      note,
    ],
    api: { method: 'post', path: '/comuni/{ipa}/onboarding' },
    allowedIn: ['io_access'],
    guard: (s) =>
      s.ioAccess?.onboardingActiveAt ? 'L’adesione su Selfcare è già registrata come attiva.' : undefined,
  },
  recordManageKey: {
    id: 'recordManageKey',
    scope: 'comune',
    role: 'staff',
    label: 'Chiave di gestione IO del Comune',
    action: 'Registrare la chiave di gestione',
    help: 'Nel back office IO del Comune («Chiavi API di gestione») copia la chiave primaria e, se vuoi, la secondaria; gli indirizzi del partner devono essere autorizzati sulla chiave. La chiave viene verificata subito con PagoPA, conservata cifrata e non si può più leggere.',
    submitLabel: 'Verifica e registra',
    success: 'Chiave di gestione verificata e registrata.',
    fields: [
      {
        name: 'primaryKey',
        label: 'Chiave primaria',
        kind: 'secret',
        required: true,
        maxLength: 256,
        hint: 'Incolla la chiave così com’è: non viene mai mostrata di nuovo.',
      },
      { name: 'secondaryKey', label: 'Chiave secondaria (facoltativa)', kind: 'secret', maxLength: 256 },
      {
        name: 'group',
        label: 'Gruppo Selfcare (se la chiave è di un gruppo)',
        kind: 'text',
        maxLength: 100,
        hint: 'Lascia vuoto se è la chiave dell’ente.',
      },
    ],
    api: { method: 'post', path: '/comuni/{ipa}/manage-key' },
    allowedIn: ['io_access', 'services'],
  },
  recordTrackingForm: {
    id: 'recordTrackingForm',
    scope: 'comune',
    role: 'staff',
    label: 'Modulo di tracciamento',
    action: 'Registrare il modulo di tracciamento',
    help: 'Registra che il Comune ha compilato il modulo di tracciamento del partner.',
    submitLabel: 'Registra il modulo di tracciamento',
    success: 'Modulo di tracciamento registrato.',
    fields: [note],
    api: { method: 'post', path: '/comuni/{ipa}/tracking-form' },
    allowedIn: ['delegation_requested', 'awaiting_signed_form', 'io_access', 'services'],
    guard: (s) => (s.trackingForm ? 'Il modulo di tracciamento è già registrato.' : undefined),
  },
  remindNow: {
    id: 'remindNow',
    scope: 'comune',
    role: 'manager',
    label: 'Sollecita il Comune',
    action: 'Inviare un sollecito',
    help: 'Invia subito un promemoria al Comune.',
    submitLabel: 'Invia un sollecito ora',
    success: 'Sollecito richiesto.',
    fields: [],
    api: { method: 'post', path: '/comuni/{ipa}/reminders' },
    allowedIn: ['delegation_requested', 'awaiting_signed_form'],
    guard: (s) =>
      s.stage === 'delegation_requested' && delegationRecorded(s)
        ? 'La delega è già registrata: nessun sollecito da inviare.'
        : undefined,
  },
  moveDeadline: {
    id: 'moveDeadline',
    scope: 'comune',
    role: 'manager',
    label: 'Sposta la scadenza',
    action: 'Spostare la scadenza',
    help: 'I promemoria e le escalation seguono la nuova data.',
    submitLabel: 'Sposta la scadenza',
    success: 'Scadenza spostata.',
    fields: [{ name: 'deadline', label: 'Nuova scadenza', kind: 'date', required: true }, reason('Motivo')],
    api: { method: 'post', path: '/comuni/{ipa}/deadline' },
    allowedIn: openStages,
  },
  undoStep: {
    id: 'undoStep',
    scope: 'comune',
    role: 'manager',
    label: 'Annulla un passo registrato per errore',
    action: 'Annullare un passo',
    help: 'Annulla un passo registrato per errore finché nulla vi è stato costruito sopra: la delega (prima del modulo firmato), l’adesione attiva su Selfcare (prima della chiave di gestione), il modulo di tracciamento. Il passo resta nella cronologia, con il motivo; non viene inviata nessuna e-mail.',
    submitLabel: 'Annulla il passo',
    success: 'Passo annullato.',
    confirm: 'Confermi di annullare il passo? Il Comune torna a quanto c’era prima di registrarlo.',
    fields: [
      {
        name: 'step',
        label: 'Passo da annullare',
        kind: 'choice',
        required: true,
        options: [
          {
            value: 'recordDelegationDone',
            label: 'Delega completata su Selfcare',
            detail: 'il Comune torna alla richiesta di delega, senza nuove istruzioni',
          },
          {
            value: 'recordOnboarding',
            label: 'Adesione attiva su Selfcare',
            detail: 'si attende di nuovo l’esito dell’adesione',
          },
          { value: 'recordTrackingForm', label: 'Modulo di tracciamento', detail: 'torna da registrare' },
        ],
      },
      reason('Motivo'),
    ],
    api: { method: 'post', path: '/comuni/{ipa}/undo' },
    allowedIn: ['delegation_requested', 'awaiting_signed_form', 'io_access', 'services'],
    guard: (s) =>
      undoableSteps(s).length === 0 ? 'Nessun passo registrato che si possa ancora annullare.' : undefined,
  },
  stopWatch: {
    id: 'stopWatch',
    scope: 'comune',
    role: 'manager',
    label: 'Interrompi il controllo dei servizi pubblicati',
    action: 'Interrompere il controllo dei servizi pubblicati',
    help: 'Dopo il completamento il percorso controlla ogni giorno che i servizi restino pubblicati in App IO. Interrompendolo il percorso si chiude: un servizio tolto da App IO non sarà più segnalato.',
    submitLabel: 'Interrompi il controllo',
    success: 'Controllo interrotto: il percorso si chiude.',
    confirm: 'Confermi di interrompere il controllo? Non si può riprendere.',
    fields: [reason('Motivo')],
    api: { method: 'post', path: '/comuni/{ipa}/watch/stop' },
    allowedIn: ['completed'],
    guard: (s) =>
      s.watch && !s.watch.endedAt
        ? undefined
        : 'Il controllo dei servizi pubblicati non è in corso per questo Comune.',
  },
  withdraw: {
    id: 'withdraw',
    scope: 'comune',
    role: 'manager',
    label: 'Ritira il Comune',
    action: 'Ritirare il Comune',
    help: 'Il percorso si chiude e i servizi in lavorazione vengono annullati. Non si può annullare.',
    submitLabel: 'Ritira il Comune',
    success: 'Comune ritirato.',
    tone: 'danger',
    fields: [
      reason('Motivo del ritiro'),
      { name: 'confirm', label: 'Confermo il ritiro del Comune', kind: 'confirm', required: true },
    ],
    api: { method: 'post', path: '/comuni/{ipa}/withdraw' },
    allowedIn: openStages,
  },
} as const satisfies Record<string, ComuneStep>;

/** The steps a manager may undo, while nothing has been built on them yet. */
export const undoableStepIds = ['recordDelegationDone', 'recordOnboarding', 'recordTrackingForm'] as const;
export type UndoableStepId = (typeof undoableStepIds)[number];

/** Why this step cannot be undone now; undefined when it can. */
export function undoRefusal(id: UndoableStepId, state: ComuneStepView): string | undefined {
  switch (id) {
    case 'recordDelegationDone':
      return state.stage === 'awaiting_signed_form' && !state.signedForm.record && delegationRecorded(state)
        ? undefined
        : 'La delega si annulla solo mentre si attende il modulo firmato, prima che sia registrato.';
    case 'recordOnboarding':
      if (state.stage !== 'io_access' || !state.ioAccess?.onboardingActiveAt || state.ioAccess.manageKey)
        return 'L’adesione attiva si annulla solo nella fase «Accesso a IO», prima che sia registrata la chiave di gestione.';
      return state.ioAccess.onboardingRecordedBy === 'sistema'
        ? 'L’adesione attiva è stata letta su Selfcare, non registrata a mano: non c’è nulla da annullare.'
        : undefined;
    case 'recordTrackingForm':
      return state.trackingForm ? undefined : 'Il modulo di tracciamento non è registrato.';
  }
}

/** The steps a manager may undo now. */
export function undoableSteps(state: ComuneStepView): UndoableStepId[] {
  return undoableStepIds.filter((id) => undoRefusal(id, state) === undefined);
}

export const serviceSteps = {
  correctCard: {
    id: 'correctCard',
    scope: 'service',
    role: 'staff',
    label: 'Correggi la scheda',
    action: 'Correggere la scheda',
    help: 'I campi sono precompilati con la scheda attuale. Al salvataggio la scheda viene ricontrollata con le regole PagoPA; se è corretta il servizio riparte.',
    submitLabel: 'Invia la scheda corretta',
    success: 'Scheda corretta inviata: il servizio riparte.',
    fields: [{ name: 'card', label: 'Scheda del servizio', kind: 'card', required: true }],
    api: { method: 'put', path: '/comuni/{ipa}/services/{slug}/card' },
    allowedIn: ['needs_correction', 'rejected'],
    notAllowed: 'La scheda si corregge quando è da correggere o rifiutata; ora il servizio è «{status}».',
  },
  checkReviewNow: {
    id: 'checkReviewNow',
    scope: 'service',
    role: 'staff',
    label: 'Leggi ora l’esito su IO',
    action: 'Leggere ora l’esito della revisione su IO',
    help: 'Il back office legge da solo l’esito su IO, a intervalli che si allungano fino a qualche ora. Se PagoPA ha già deciso, leggilo ora: un servizio approvato viene pubblicato subito, uno rifiutato passa alla correzione. L’esito letto resta quello di PagoPA.',
    submitLabel: 'Leggi l’esito su IO',
    success: 'Esito letto su IO: lo stato e la cronologia sono aggiornati.',
    fields: [],
    api: { method: 'post', path: '/comuni/{ipa}/services/{slug}/review-check' },
    allowedIn: ['in_review'],
    notAllowed: 'L’esito si legge su IO solo per un servizio in revisione; ora il servizio è «{status}».',
    guard: (s) =>
      s.reviewReadOnIo
        ? undefined
        : 'Per questo servizio l’esito della revisione non viene letto su IO: si registra a mano.',
  },
  recordReviewOutcome: {
    id: 'recordReviewOutcome',
    scope: 'service',
    role: 'staff',
    label: 'Esito della revisione PagoPA',
    action: 'Registrare l’esito della revisione',
    help: 'Registra a mano l’esito letto sul back office IO, se non arriva da solo.',
    submitLabel: 'Registra l’esito',
    success: 'Esito della revisione registrato.',
    confirm: 'Confermi l’esito della revisione? Un esito registrato avvia la pubblicazione o la correzione.',
    fields: [
      {
        name: 'outcome',
        label: 'Esito',
        kind: 'choice',
        required: true,
        options: [
          { value: 'approved', label: 'Approvato', detail: 'il servizio viene pubblicato' },
          { value: 'rejected', label: 'Rifiutato', detail: '«dati incompleti o incorretti»' },
        ],
      },
      {
        name: 'reason',
        label: 'Motivo (obbligatorio se rifiutato)',
        kind: 'textarea',
        minLength: 3,
        maxLength: 1000,
      },
    ],
    api: { method: 'post', path: '/comuni/{ipa}/services/{slug}/review-outcome' },
    allowedIn: ['in_review'],
    notAllowed: 'Un esito si registra solo per un servizio in revisione; ora è «{status}».',
  },
  undoReviewOutcome: {
    id: 'undoReviewOutcome',
    scope: 'service',
    role: 'manager',
    label: 'Annulla il rifiuto registrato per errore',
    action: 'Annullare il rifiuto',
    help: 'Il servizio torna in revisione nello stesso giro, senza un nuovo invio a PagoPA: si attende di nuovo l’esito. Si annulla solo un rifiuto registrato a mano, finché la scheda non è stata corretta. Il rifiuto resta nella cronologia, con il motivo; non viene inviata nessuna e-mail.',
    submitLabel: 'Annulla il rifiuto',
    success: 'Rifiuto annullato: il servizio è di nuovo in revisione.',
    confirm:
      'Confermi di annullare il rifiuto? Il servizio torna in revisione e si attende di nuovo l’esito.',
    fields: [reason('Motivo')],
    api: { method: 'post', path: '/comuni/{ipa}/services/{slug}/review-outcome/undo' },
    allowedIn: ['rejected'],
    notAllowed: 'Si annulla solo un rifiuto; ora il servizio è «{status}».',
    guard: (s) =>
      s.rejectionUndoable
        ? undefined
        : 'Si annulla solo un rifiuto registrato a mano, finché la scheda non è stata corretta; un rifiuto letto su IO viene da PagoPA.',
  },
} as const satisfies Record<string, ServiceStep>;

export type ComuneStepId = keyof typeof comuneSteps;
export type ServiceStepId = keyof typeof serviceSteps;
export type StepId = ComuneStepId | ServiceStepId;

const allComuneSteps: readonly ComuneStep[] = Object.values(comuneSteps);
const allServiceSteps: readonly ServiceStep[] = Object.values(serviceSteps);

/** Why a Comune step is refused now, in a sentence a person understands; undefined when it is allowed. */
export function comuneStepRefusal(step: ComuneStep, state: ComuneStepView): string | undefined {
  if (!step.allowedIn.includes(state.stage)) {
    return (
      `«${step.action}» non è possibile ora: il Comune è nella fase «${stageLabels[state.stage]}»` +
      ` (ammessa in: ${step.allowedIn.map((s) => stageLabels[s]).join(', ')}).`
    );
  }
  return step.guard?.(state);
}

/** Why a service step is refused now; undefined when it is allowed. */
export function serviceStepRefusal(step: ServiceStep, state: ServiceStepView): string | undefined {
  if (!step.allowedIn.includes(state.status))
    return step.notAllowed.replace('{status}', serviceStatusLabels[state.status]);
  return step.guard?.(state);
}

function roleMay(role: StepRole, step: StepCommon): boolean {
  return roleRank[role] >= roleRank[step.role];
}

/** A step the caller may take now, as the API answers it. */
export interface AvailableStep {
  id: StepId;
  label: string;
  method: 'post' | 'put';
  path: string;
}

function available(step: StepCommon, path: string): AvailableStep {
  return { id: step.id as StepId, label: step.label, method: step.api.method, path };
}

/** The Comune steps the role may take now, with their concrete paths. */
export function availableComuneSteps(
  state: ComuneStepView & { ipaCode: string },
  role: StepRole,
): AvailableStep[] {
  return allComuneSteps
    .filter((step) => roleMay(role, step) && comuneStepRefusal(step, state) === undefined)
    .map((step) => available(step, step.api.path.replace('{ipa}', state.ipaCode)));
}

/** The service steps the role may take now. */
export function availableServiceSteps(
  service: ServiceStepView & { slug: string },
  ipaCode: string,
  role: StepRole,
): AvailableStep[] {
  return allServiceSteps
    .filter((step) => roleMay(role, step) && serviceStepRefusal(step, service) === undefined)
    .map((step) => available(step, step.api.path.replace('{ipa}', ipaCode).replace('{slug}', service.slug)));
}

/**
 * Who the Comune waits on now: the stage's party, refined by what the state says (an automatic adhesion check waits
 * on PagoPA's Selfcare; at the services stage, staff while a service waits on them, PagoPA while one is in review,
 * nobody while the rest is automatic).
 */
export function comuneWaitsOn(
  state: ComuneStepView & { services: readonly { status: ServiceStatus }[] },
): Party {
  if (state.stage === 'adhesion_check' && !state.scenario && state.adhesionCheck === 'automatic')
    return 'pagopa';
  if (state.stage === 'delegation_requested' && delegationRecorded(state)) return 'nobody';
  if (
    state.stage === 'io_access' &&
    !state.ioAccess?.onboardingActiveAt &&
    state.ioAccess?.check === 'automatic'
  )
    return 'pagopa';
  if (state.stage === 'services') {
    if (state.ioAccess?.keyRefused) return 'staff';
    const parties = state.services.map((s) => serviceStatusModel[s.status].waitsOn);
    if (parties.includes('staff')) return 'staff';
    if (parties.includes('pagopa')) return 'pagopa';
    return 'nobody';
  }
  return stageModel[state.stage].waitsOn;
}

/** The declarative part of the model, as the console receives it (no functions: JSON). */
export type ConsoleJourneyModel = ReturnType<typeof journeyModelForConsole>;
export function journeyModelForConsole() {
  const strip = ({ guard: _guard, ...rest }: ComuneStep) => rest;
  const stripService = ({ guard: _guard, ...rest }: ServiceStep) => rest;
  return {
    parties: partyLabels,
    stages: stages.map((id) => ({ id, ...stageModel[id] })),
    serviceStatuses: serviceStatuses.map((id) => ({ id, ...serviceStatusModel[id] })),
    serviceStatusClasses: serviceStatusClasses.map((id) => ({ id, label: serviceStatusClassLabels[id] })),
    comuneSteps: allComuneSteps.map(strip),
    serviceSteps: allServiceSteps.map(stripService),
  };
}
