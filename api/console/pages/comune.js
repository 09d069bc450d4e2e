// @ts-check
// Comune: where the journey stands and who it waits on, what is missing, its timeline and services, and the forms of
// the steps the API offers (`availableSteps`, from the journey model) to the signed-in role.

import { ApiError, api, download, session } from '../api.js';
import {
  actorLabel,
  journeyModel,
  partyLabels,
  scenarioLabels,
  serviceStatusLabels,
  serviceStatusTone,
  stageLabels,
  stageTone,
  timelineDetail,
  timelineStepLabel,
} from '../labels.js';
import { modelStepForm, stepsOfRole } from '../steps.js';
import {
  badge,
  breadcrumb,
  date,
  dateTime,
  euro,
  externalLink,
  facts,
  h,
  number,
  pageTitle,
  problemBox,
  relative,
  romeDay,
  successBox,
  table,
  time,
  freshnessNote,
} from '../ui.js';

/** @typedef {import('../labels.js').Stage} Stage */
/** @typedef {import('../labels.js').ServiceStatus} ServiceStatus */
/** @typedef {import('../api.js').Schemas['AvailableStep']} AvailableStep */
/** @typedef {import('../api.js').ApiResponse<'/comuni/{ipa}'>} ComuneAnswer */
/**
 * A service as the Comune lists it: the fields the OpenAPI schema leaves open.
 * @typedef {{
 *   slug: string,
 *   name: string,
 *   status: ServiceStatus,
 *   availableSteps: AvailableStep[],
 *   rejections?: { at: string, reason: string }[],
 *   issues?: { field: string, message: string }[],
 *   updatedAt?: string,
 * }} ServiceRow
 */
/**
 * The Comune's state: the answer, with the fields the page reads that the OpenAPI schema leaves open.
 * @typedef {ComuneAnswer & {
 *   stage: Stage,
 *   province: string,
 *   population: number,
 *   adhesionCheck: 'automatic' | 'manual',
 *   withdrawn?: { at: string, by: string, reason: string },
 *   delegation: { requestedAt?: string, completedAt?: string },
 *   signedForm: { linkExpiresAt?: string, record?: { signerName: string, recordedAt: string } },
 *   trackingForm?: { recordedAt: string },
 *   ioAccess?: {
 *     onboardingActiveAt?: string,
 *     manageKey?: { recordedAt: string, recordedBy: string, hasSecondary: boolean, group?: string },
 *     keyRefused?: { at: string, cause: string },
 *   },
 *   reminders: { total: number, nextAt?: string },
 *   servicesActive: number,
 *   servicesTotal: number,
 * }} ComuneState
 */

const REFRESH_AFTER_STEP_MS = [800, 2000, 4000, 8000];

/**
 * The Comune's services with the fields the page reads.
 * @param {ComuneState} state
 */
const servicesOf = (state) => /** @type {ServiceRow[]} */ (state.services);

/**
 * What the page adds to a step's help: the dates and counts that step is about (presentation only).
 * @param {ComuneState} state
 * @param {string} stepId
 */
function stepContext(state, stepId) {
  switch (stepId) {
    case 'recordDelegationDone':
      return state.delegation.requestedAt
        ? `Delega chiesta al Comune il ${dateTime(state.delegation.requestedAt)}.`
        : undefined;
    case 'recordSignedForm': {
      const expires = state.signedForm.linkExpiresAt;
      return expires
        ? `Il link inviato via PEC scade il ${dateTime(expires)} (${relative(expires)}).`
        : undefined;
    }
    case 'recordManageKey':
      return state.ioAccess?.keyRefused
        ? `PagoPA rifiuta la chiave registrata (${state.ioAccess.keyRefused.cause}): i servizi riprendono con la nuova.`
        : state.ioAccess?.manageKey
          ? `Chiave registrata il ${dateTime(state.ioAccess.manageKey.recordedAt)}: registrane una nuova solo se è stata rigenerata.`
          : undefined;
    case 'moveDeadline':
      return `Scadenza attuale: ${date(state.deadline)} (${relative(state.deadline)}).`;
    case 'remindNow':
      return `Solleciti inviati: ${state.reminders.total}${
        state.reminders.nextAt ? `; il prossimo è previsto il ${dateTime(state.reminders.nextAt)}` : ''
      }.`;
    default:
      return undefined;
  }
}

/**
 * Initial values of a step's fields.
 * @param {ComuneState} state
 * @param {string} stepId
 * @returns {Record<string, unknown>}
 */
function stepValues(state, stepId) {
  return stepId === 'moveDeadline' ? { deadline: romeDay(state.deadline) } : {};
}

/**
 * Downloads the funding dossier as a PDF: the bytes as they come (api() reads answers as text, which would spoil a
 * PDF), with the day in the file name like the CSV exports.
 * @param {string} ipa
 */
async function downloadDossierPdf(ipa) {
  const response = await fetch(`/api/v1/comuni/${encodeURIComponent(ipa)}/dossier.pdf`, {
    headers: {
      Accept: 'application/pdf, application/problem+json',
      Authorization: `Bearer ${session.token}`,
    },
  });
  if (!response.ok) {
    const problem = (response.headers.get('content-type') || '').includes('json')
      ? await response.json().catch(() => ({}))
      : {};
    if (response.status === 401) window.dispatchEvent(new CustomEvent('auth:expired', { detail: problem }));
    throw new ApiError(response.status, { title: `Errore ${response.status}`, ...problem });
  }
  const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome' }).format(new Date());
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `fascicolo-${ipa}-${day}.pdf`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A button that downloads a file, shows an error beside itself and cannot be pressed twice meanwhile.
 * @param {string} label
 * @param {() => Promise<void>} fetchFile
 */
function downloadButton(label, fetchFile) {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost',
      onclick: async (/** @type {MouseEvent} */ event) => {
        const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
        button.disabled = true;
        const previous = button.nextElementSibling;
        if (previous?.classList.contains('download-problem')) previous.remove();
        try {
          await fetchFile();
        } catch (err) {
          const box = problemBox(err, { compact: true });
          box.classList.add('download-problem');
          button.after(box);
        } finally {
          button.disabled = false;
        }
      },
    },
    label,
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function comunePage(ctx) {
  const [ipa] = ctx.params;
  const base = `/comuni/${encodeURIComponent(ipa)}`;
  const flash = h('div', { class: 'flash', 'aria-live': 'polite' });
  const content = h('div');
  const root = h('section', { class: 'comune' }, flash, content);
  let dirty = false;
  let shown = '';
  root.addEventListener('input', () => {
    dirty = true;
  });

  /** @returns {Promise<ComuneState>} */
  const load = () => api(base, { signal: ctx.signal });

  // The e-mails sent about this Comune (from the local outbox; absent when e-mails go out through a real SMTP).
  const mailsHeading = h('h2', { id: 'h-email' }, 'E-mail inviate');
  const mailsPanel = h('section', { class: 'panel', 'aria-labelledby': 'h-email' }, mailsHeading);
  const loadMails = async () => {
    if (!ctx.can('get', '/outbox')) {
      mailsPanel.hidden = true;
      return;
    }
    try {
      /** @type {import('../api.js').ApiResponse<'/outbox'>} */
      const page = await api('/outbox', { query: { comune: ipa, limit: 10 }, signal: ctx.signal });
      mailsPanel.replaceChildren(
        mailsHeading,
        page.items.length
          ? h(
              'ul',
              { class: 'link-list' },
              page.items.map((m) =>
                h(
                  'li',
                  null,
                  h('a', { href: `#/email/${encodeURIComponent(m.id)}` }, m.subject || '(senza oggetto)'),
                  h(
                    'span',
                    { class: 'muted block' },
                    [dateTime(m.receivedAt), m.kindLabel ? ` · ${m.kindLabel}` : ''].join(''),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'Nessuna e-mail inviata.'),
        ...(page.total > page.items.length
          ? [h('a', { href: `#/email?comune=${encodeURIComponent(ipa)}` }, `Tutte le ${page.total} e-mail`)]
          : []),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) mailsPanel.hidden = true;
      else mailsPanel.replaceChildren(mailsHeading, problemBox(err, { compact: true }));
    }
  };
  const fingerprint = (/** @type {ComuneState} */ s) =>
    JSON.stringify([
      s.stage,
      s.timeline.length,
      s.services.map((x) => x.status),
      s.deadline,
      s.availableSteps.map((a) => a.id),
    ]);
  const draw = (/** @type {ComuneState} */ state) => {
    shown = fingerprint(state);
    dirty = false;
    content.replaceChildren(...view(state).filter(Boolean));
    ctx.setTitle(state.name);
  };

  /**
   * After a step: show the new state now, then a few more times while the workflow moves on by itself.
   * @param {string} message
   */
  const afterStep = async (message) => {
    flash.replaceChildren(successBox(message));
    draw(await load());
    for (const wait of REFRESH_AFTER_STEP_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (ctx.signal.aborted) return;
      const state = await load();
      if (fingerprint(state) !== shown && !dirty) draw(state);
    }
  };
  /** @param {string} message */
  const onDone = (message) => {
    // A failure while refreshing is shown, never swallowed: the step itself was recorded.
    void afterStep(message).catch((err) => flash.append(problemBox(err, { compact: true })));
  };

  /**
   * The forms of the offered steps of one role of the model.
   * @param {ComuneState} state
   * @param {'staff' | 'manager'} role
   */
  const forms = (state, role) =>
    stepsOfRole(state.availableSteps, role)
      .map((available) =>
        modelStepForm({
          available,
          context: stepContext(state, available.id),
          values: stepValues(state, available.id),
          onDone: (message) => {
            flash.replaceChildren();
            onDone(message);
          },
        }),
      )
      .filter(Boolean);

  /** @param {ComuneState} state */
  function servicesWaiting(state) {
    const waiting = servicesOf(state).filter((s) => s.availableSteps.length > 0);
    if (waiting.length === 0) return null;
    return h(
      'div',
      { class: 'step-form' },
      h('h3', null, 'Servizi che aspettano il personale'),
      h(
        'ul',
        { class: 'link-list' },
        waiting.flatMap((s) =>
          s.availableSteps.map((a) =>
            h(
              'li',
              null,
              h('a', { href: `#${base}/servizi/${encodeURIComponent(s.slug)}` }, `${a.label}: ${s.name}`),
              ' ',
              badge(serviceStatusLabels[s.status] || s.status, serviceStatusTone[s.status]),
            ),
          ),
        ),
      ),
    );
  }

  /** @param {ComuneState} state */
  function staffSteps(state) {
    const list = [...forms(state, 'staff'), servicesWaiting(state)].filter(Boolean);
    if (list.length > 0) return list;
    const automatic =
      state.stage === 'adhesion_check' && state.adhesionCheck === 'automatic' && !state.scenario;
    return [
      h(
        'p',
        { class: 'muted' },
        automatic
          ? 'La verifica dell’adesione è automatica su Selfcare: il risultato arriverà da solo.'
          : 'Nessun passo da registrare in questa fase.',
      ),
    ];
  }

  /** @param {ComuneState} state */
  function waitsOnLabel(state) {
    return partyLabels[state.waitsOn] || state.waitsOn;
  }

  /** @param {ComuneState} state */
  function stepper(state) {
    // The journey's path: its open stages, then its happy end (a withdrawal is shown apart).
    const path = journeyModel.stages.filter((s) => s.open || s.id === 'completed');
    const index = path.findIndex((s) => s.id === state.stage);
    const current = path[index];
    return h(
      'ol',
      { class: 'stepper', 'aria-label': 'Fasi del percorso' },
      path.map((s, i) =>
        h(
          'li',
          {
            class: i < index || state.stage === 'completed' ? 'done' : i === index ? 'current' : 'todo',
            'aria-current': i === index ? 'step' : undefined,
          },
          h('span', { class: 'step-dot', 'aria-hidden': 'true' }, String(i + 1)),
          h('span', { class: 'step-label' }, s.label),
          i < index ? h('span', { class: 'visually-hidden' }, ' (fatta)') : null,
          i === index && current?.open
            ? h(
                'span',
                { class: 'step-waits', 'data-testid': 'waits-on' },
                'Chi deve agire: ',
                waitsOnLabel(state),
              )
            : null,
        ),
      ),
    );
  }

  /** @param {ComuneState} state */
  function servicesTable(state) {
    return table({
      caption: 'Servizi del Comune',
      captionHidden: true,
      columns: ['Servizio', 'Stato', 'Motivi del rifiuto e problemi', 'Aggiornato'],
      empty: 'Nessun servizio.',
      rows: servicesOf(state).map((s) => {
        const rejections = s.rejections ?? [];
        const last = rejections[rejections.length - 1];
        const issues = s.issues ?? [];
        return h(
          'tr',
          null,
          h('td', null, h('a', { href: `#${base}/servizi/${encodeURIComponent(s.slug)}` }, s.name)),
          h('td', null, badge(serviceStatusLabels[s.status] || s.status, serviceStatusTone[s.status])),
          h(
            'td',
            null,
            last
              ? h(
                  'p',
                  { class: 'reason' },
                  h(
                    'strong',
                    null,
                    rejections.length > 1 ? `Rifiuto n. ${rejections.length}: ` : 'Rifiuto PagoPA: ',
                  ),
                  last.reason,
                  ' ',
                  h('span', { class: 'muted' }, `(${dateTime(last.at)})`),
                )
              : null,
            issues.length
              ? h(
                  'ul',
                  { class: 'issues' },
                  issues.map((issue) => h('li', null, issue.message)),
                )
              : null,
            !last && !issues.length ? h('span', { class: 'muted' }, '—') : null,
          ),
          h('td', null, s.updatedAt ? time(s.updatedAt, true) : '—'),
        );
      }),
    });
  }

  /** @param {ComuneState} state */
  function timeline(state) {
    const entries = [...state.timeline].reverse();
    return h(
      'ol',
      { class: 'timeline', reversed: true },
      entries.map((e) =>
        h(
          'li',
          null,
          h('time', { datetime: e.at, class: 'timeline-at' }, dateTime(e.at)),
          h(
            'div',
            { class: 'timeline-body' },
            h('strong', null, timelineStepLabel(e.step)),
            h('span', { class: 'timeline-actor' }, actorLabel(e.actor)),
            e.detail ? h('p', { class: 'timeline-detail' }, timelineDetail(e.detail)) : null,
          ),
        ),
      ),
    );
  }

  /** @param {ComuneState} state */
  function view(state) {
    const staff = staffSteps(state);
    const managers = forms(state, 'manager');
    const f = state.funding;
    return [
      breadcrumb([
        ['Comuni', '#/comuni'],
        [state.name, null],
      ]),
      h(
        'div',
        { class: 'page-head' },
        h(
          'div',
          null,
          pageTitle(state.name),
          h(
            'p',
            { class: 'muted' },
            `Codice IPA ${state.ipaCode} · Provincia ${state.province} · ${number(state.population)} abitanti`,
          ),
          freshnessNote(state.freshness),
        ),
        h(
          'div',
          { class: 'head-actions' },
          // The workflow's technical view: for admins only, never a clerk's tool.
          ctx.me?.role === 'admin' ? externalLink(state.temporalUiUrl, 'Apri in Temporal') : null,
          // The funding dossier (PNRR 1.4.3): the evidence for the claim, printable or for a spreadsheet.
          ctx.can('get', '/comuni/{ipa}/dossier.pdf')
            ? downloadButton('Scarica il fascicolo (PDF)', () => downloadDossierPdf(state.ipaCode))
            : null,
          ctx.can('get', '/comuni/{ipa}/dossier')
            ? downloadButton('Scarica i dati del fascicolo (CSV)', () =>
                download(
                  `/comuni/${encodeURIComponent(state.ipaCode)}/dossier`,
                  `fascicolo-${state.ipaCode}.csv`,
                  {
                    format: 'csv',
                  },
                ),
              )
            : null,
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost',
              onclick: async () => {
                flash.replaceChildren();
                draw(await load());
              },
            },
            'Aggiorna',
          ),
        ),
      ),
      state.stage === 'withdrawn' && state.withdrawn
        ? h(
            'div',
            { class: 'alert alert-info' },
            `Ritirato il ${dateTime(state.withdrawn.at)} da ${actorLabel(state.withdrawn.by)}: ${state.withdrawn.reason}`,
          )
        : stepper(state),
      facts(
        [
          [
            'Fase',
            h(
              'span',
              { 'data-testid': 'stage' },
              badge(stageLabels[state.stage] || state.stage, stageTone[state.stage]),
            ),
          ],
          ['Scenario', state.scenario ? scenarioLabels[state.scenario] : 'Da verificare'],
          [
            'Scadenza',
            [
              time(state.deadline),
              h('span', { class: 'muted block' }, relative(state.deadline)),
              state.late ? badge('In ritardo', 'danger') : null,
            ],
          ],
          ['Servizi attivi', `${state.servicesActive} su ${state.servicesTotal}`],
          ['Fondi per servizio', euro(f.eurPerService)],
          ['Fondi ottenuti', h('span', { class: 'money-ok' }, euro(f.securedEur))],
          [
            'Fondi a rischio',
            h('span', { class: f.atRiskEur > 0 ? 'money-warn' : undefined }, euro(f.atRiskEur)),
          ],
          ['Fondi persi', h('span', { class: f.lostEur > 0 ? 'money-bad' : undefined }, euro(f.lostEur))],
        ],
        'facts facts-grid',
      ),
      h(
        'div',
        { class: 'columns' },
        h(
          'div',
          { class: 'col-main' },
          h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-passi' },
            h('h2', { id: 'h-passi' }, 'Passi da registrare'),
            staff,
          ),
          h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-servizi' },
            h(
              'h2',
              { id: 'h-servizi' },
              `Servizi (${state.servicesActive} attivi su ${state.servicesTotal})`,
            ),
            servicesTable(state),
          ),
        ),
        h(
          'div',
          { class: 'col-side' },
          h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-manca' },
            h('h2', { id: 'h-manca' }, 'Cosa manca'),
            state.missing.length
              ? h(
                  'ul',
                  { class: 'missing' },
                  state.missing.map((m) => h('li', null, m)),
                )
              : h(
                  'p',
                  { class: 'muted' },
                  state.stage === 'completed' ? 'Niente: percorso completato.' : 'Niente.',
                ),
            facts([
              state.delegation.requestedAt
                ? ['Delega richiesta', dateTime(state.delegation.requestedAt)]
                : null,
              state.delegation.completedAt
                ? ['Delega completata', dateTime(state.delegation.completedAt)]
                : null,
              state.signedForm.record
                ? [
                    'Modulo firmato',
                    `${state.signedForm.record.signerName}, ${dateTime(state.signedForm.record.recordedAt)}`,
                  ]
                : null,
              state.ioAccess?.onboardingActiveAt
                ? ['Adesione attiva su Selfcare', dateTime(state.ioAccess.onboardingActiveAt)]
                : null,
              state.ioAccess?.manageKey
                ? [
                    'Chiave di gestione IO',
                    `registrata da ${actorLabel(state.ioAccess.manageKey.recordedBy)}, ${dateTime(state.ioAccess.manageKey.recordedAt)}` +
                      (state.ioAccess.manageKey.hasSecondary ? ' · con chiave secondaria' : '') +
                      (state.ioAccess.manageKey.group
                        ? ` · gruppo Selfcare «${state.ioAccess.manageKey.group}»`
                        : ' · chiave dell’ente'),
                  ]
                : null,
              state.ioAccess?.keyRefused
                ? [
                    'Chiave di gestione da aggiornare',
                    `rifiutata da PagoPA il ${dateTime(state.ioAccess.keyRefused.at)}: ${state.ioAccess.keyRefused.cause}`,
                  ]
                : null,
              state.trackingForm ? ['Modulo di tracciamento', dateTime(state.trackingForm.recordedAt)] : null,
              state.reminders.total ? ['Solleciti inviati', String(state.reminders.total)] : null,
            ]),
          ),
          managers.length
            ? h(
                'section',
                { class: 'panel', 'aria-labelledby': 'h-responsabili' },
                h('h2', { id: 'h-responsabili' }, 'Decisioni dei responsabili'),
                managers,
              )
            : null,
          mailsPanel,
          h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-cronologia' },
            h('h2', { id: 'h-cronologia' }, 'Cronologia'),
            timeline(state),
          ),
        ),
      ),
    ];
  }

  draw(await load());
  void loadMails();
  return root;
}
