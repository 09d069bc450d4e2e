// @ts-nocheck
// Comune: where the journey stands, what is missing, its timeline and services, and the forms for the next step.

import { api } from '../api.js';
import {
  actorLabel,
  scenarioLabels,
  serviceStatusLabels,
  serviceStatusTone,
  stageLabels,
  stageTone,
  stages,
  timelineDetail,
  timelineStepLabel,
} from '../labels.js';
import {
  badge,
  breadcrumb,
  dateTime,
  euro,
  externalLink,
  facts,
  field,
  h,
  number,
  pageTitle,
  problemBox,
  relative,
  romeDay,
  stepForm,
  successBox,
  table,
  textarea,
  time,
} from '../ui.js';

const OPEN = ['adhesion_check', 'delegation_requested', 'awaiting_signed_form', 'services'];
const REFRESH_AFTER_STEP_MS = [800, 2000, 4000, 8000];

const noteField = (label = 'Nota (facoltativa)') =>
  field({ label, name: 'note', control: textarea('note', '', { maxlength: 500, rows: 2 }) });

const noteOf = (form) => {
  const note = String(form.get('note') || '').trim();
  return note ? { note } : {};
};

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

  const load = () => api(base, { signal: ctx.signal });
  const fingerprint = (s) =>
    JSON.stringify([s.stage, s.timeline.length, s.services.map((x) => x.status), s.deadline]);
  const draw = (state) => {
    shown = fingerprint(state);
    dirty = false;
    content.replaceChildren(...view(state).filter(Boolean));
    ctx.setTitle(state.name);
  };

  /** After a step: show the new state now, then a few more times while the workflow moves on by itself. */
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
  const run = (message, call) => async (form, key) => {
    flash.replaceChildren();
    await call(form, key);
    // A failure while refreshing is shown, never swallowed: the step itself was recorded.
    void afterStep(message).catch((err) => flash.append(problemBox(err, { compact: true })));
  };

  const post = (path, body, key) => api(`${base}${path}`, { method: 'POST', body, idempotencyKey: key });

  function staffSteps(state) {
    const forms = [];
    const stage = state.stage;
    if (stage === 'adhesion_check' && !state.scenario) {
      if (state.adhesionCheck === 'manual') {
        forms.push(
          stepForm({
            id: 'form-adesione',
            title: 'Esito della verifica di adesione',
            description:
              'Cerca il Comune su Selfcare (prodotto «App IO», prod-io) e registra se ha già aderito. Da qui parte la richiesta di delega.',
            body: [
              h(
                'fieldset',
                { class: 'choices' },
                h('legend', null, 'Il Comune ha già aderito ad App IO?'),
                h(
                  'label',
                  { class: 'choice' },
                  h('input', { type: 'radio', name: 'adherent', value: 'false', required: true }),
                  h(
                    'span',
                    null,
                    h('strong', null, 'No, non ha aderito'),
                    ' — scenario A: adesione completa con il Sindaco',
                  ),
                ),
                h(
                  'label',
                  { class: 'choice' },
                  h('input', { type: 'radio', name: 'adherent', value: 'true', required: true }),
                  h(
                    'span',
                    null,
                    h('strong', null, 'Sì, ha già aderito'),
                    ' — scenario B: solo il nuovo Amministratore',
                  ),
                ),
              ),
              noteField(),
            ],
            submitLabel: 'Registra l’esito',
            onSubmit: run('Esito della verifica registrato.', (form, key) =>
              post('/adhesion', { adherent: form.get('adherent') === 'true', ...noteOf(form) }, key),
            ),
          }),
        );
      } else {
        forms.push(
          h(
            'p',
            { class: 'muted' },
            'La verifica dell’adesione è automatica su Selfcare: il risultato arriverà da solo.',
          ),
        );
      }
    }
    if (stage === 'delegation_requested' && !state.delegation?.completedAt) {
      forms.push(
        stepForm({
          id: 'form-delega',
          title: 'Delega completata su Selfcare',
          description: state.delegation?.requestedAt
            ? `Delega chiesta al Comune il ${dateTime(state.delegation.requestedAt)}. Registrala quando il partner risulta Amministratore su Selfcare.`
            : 'Registrala quando il partner risulta Amministratore su Selfcare.',
          body: [noteField()],
          submitLabel: 'Registra la delega',
          onSubmit: run('Delega registrata.', (form, key) => post('/delegation', noteOf(form), key)),
        }),
      );
    }
    if (stage === 'awaiting_signed_form' && !state.signedForm?.record) {
      const expires = state.signedForm?.linkExpiresAt;
      forms.push(
        stepForm({
          id: 'form-modulo-firmato',
          title: 'Modulo firmato dal Sindaco',
          description: [
            'Carica il file .p7m (firma CAdES del Sindaco) così come è stato scaricato da Selfcare, senza rinominarlo: viene verificata la firma prima di registrarlo.',
            expires ? ` Il link inviato via PEC scade il ${dateTime(expires)} (${relative(expires)}).` : '',
          ].join(''),
          body: [
            field({
              label: 'File firmato (.p7m)',
              name: 'file',
              type: 'file',
              accept: '.p7m,application/pkcs7-mime',
              required: true,
              hint: 'Massimo 10 MB.',
            }),
            noteField(),
          ],
          submitLabel: 'Carica e verifica',
          onSubmit: run('Modulo firmato verificato e registrato.', (form, key) => {
            const body = new FormData();
            body.append('file', form.get('file'));
            const note = String(form.get('note') || '').trim();
            if (note) body.append('note', note);
            return api(`${base}/signed-form`, { method: 'POST', form: body, idempotencyKey: key });
          }),
        }),
      );
    }
    if (['delegation_requested', 'awaiting_signed_form', 'services'].includes(stage) && !state.trackingForm) {
      forms.push(
        stepForm({
          id: 'form-tracciamento',
          title: 'Modulo di tracciamento',
          description: 'Registra che il Comune ha compilato il modulo di tracciamento del partner.',
          body: [noteField()],
          submitLabel: 'Registra il modulo di tracciamento',
          onSubmit: run('Modulo di tracciamento registrato.', (form, key) =>
            post('/tracking-form', noteOf(form), key),
          ),
        }),
      );
    }
    const waiting = state.services.filter((s) =>
      ['needs_correction', 'rejected', 'in_review'].includes(s.status),
    );
    if (waiting.length > 0 && stage === 'services') {
      forms.push(
        h(
          'div',
          { class: 'step-form' },
          h('h3', null, 'Servizi che aspettano il personale'),
          h(
            'ul',
            { class: 'link-list' },
            waiting.map((s) =>
              h(
                'li',
                null,
                h(
                  'a',
                  { href: `#${base}/servizi/${encodeURIComponent(s.slug)}` },
                  s.status === 'in_review'
                    ? `Registra l’esito della revisione: ${s.name}`
                    : `Correggi la scheda: ${s.name}`,
                ),
                ' ',
                badge(serviceStatusLabels[s.status], serviceStatusTone[s.status]),
              ),
            ),
          ),
        ),
      );
    }
    return forms;
  }

  function managerSteps(state) {
    if (!OPEN.includes(state.stage)) return [];
    const forms = [];
    if (ctx.can('post', '/comuni/{ipa}/deadline')) {
      forms.push(
        stepForm({
          id: 'form-scadenza',
          title: 'Sposta la scadenza',
          description: `Scadenza attuale: ${dateTime(state.deadline)}. I promemoria e le escalation seguono la nuova data.`,
          body: [
            field({
              label: 'Nuova scadenza',
              name: 'deadline',
              type: 'date',
              required: true,
              value: romeDay(state.deadline),
            }),
            field({
              label: 'Motivo',
              name: 'reason',
              required: true,
              control: textarea('reason', '', { required: true, minlength: 3, maxlength: 500, rows: 2 }),
            }),
          ],
          submitLabel: 'Sposta la scadenza',
          onSubmit: run('Scadenza spostata.', (form, key) =>
            post(
              '/deadline',
              { deadline: form.get('deadline'), reason: String(form.get('reason')).trim() },
              key,
            ),
          ),
        }),
      );
    }
    const canRemind =
      (state.stage === 'delegation_requested' && !state.delegation?.completedAt) ||
      state.stage === 'awaiting_signed_form';
    if (canRemind && ctx.can('post', '/comuni/{ipa}/reminders')) {
      forms.push(
        stepForm({
          id: 'form-sollecito',
          title: 'Sollecita il Comune',
          description: `Invia subito un promemoria al Comune. Solleciti inviati: ${state.reminders?.total ?? 0}${
            state.reminders?.nextAt ? `; il prossimo è previsto il ${dateTime(state.reminders.nextAt)}` : ''
          }.`,
          body: [],
          submitLabel: 'Invia un sollecito ora',
          onSubmit: run('Sollecito richiesto.', (_form, key) => post('/reminders', {}, key)),
        }),
      );
    }
    if (ctx.can('post', '/comuni/{ipa}/withdraw')) {
      forms.push(
        stepForm({
          id: 'form-ritiro',
          tone: 'danger',
          title: 'Ritira il Comune',
          description:
            'Il percorso si chiude e i servizi in lavorazione vengono annullati. Non si può annullare.',
          body: [
            field({
              label: 'Motivo del ritiro',
              name: 'reason',
              required: true,
              control: textarea('reason', '', { required: true, minlength: 3, maxlength: 500, rows: 2 }),
            }),
            h(
              'label',
              { class: 'choice' },
              h('input', { type: 'checkbox', name: 'confirm', value: 'yes', required: true }),
              h('span', null, 'Confermo il ritiro del Comune'),
            ),
          ],
          submitLabel: 'Ritira il Comune',
          onSubmit: run('Comune ritirato.', (form, key) =>
            post('/withdraw', { reason: String(form.get('reason')).trim() }, key),
          ),
        }),
      );
    }
    return forms;
  }

  function stepper(state) {
    const path = stages.filter((s) => s !== 'withdrawn');
    const index = path.indexOf(state.stage);
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
          h('span', { class: 'step-label' }, stageLabels[s]),
          i < index ? h('span', { class: 'visually-hidden' }, ' (fatta)') : null,
        ),
      ),
    );
  }

  function servicesTable(state) {
    return table({
      caption: 'Servizi del Comune',
      captionHidden: true,
      columns: ['Servizio', 'Stato', 'Motivi del rifiuto e problemi', 'Aggiornato'],
      empty: 'Nessun servizio.',
      rows: state.services.map((s) => {
        const last = s.rejections?.[s.rejections.length - 1];
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
                    s.rejections.length > 1 ? `Rifiuto n. ${s.rejections.length}: ` : 'Rifiuto PagoPA: ',
                  ),
                  last.reason,
                  ' ',
                  h('span', { class: 'muted' }, `(${dateTime(last.at)})`),
                )
              : null,
            s.issues?.length
              ? h(
                  'ul',
                  { class: 'issues' },
                  s.issues.map((issue) => h('li', null, issue.message)),
                )
              : null,
            !last && !s.issues?.length ? h('span', { class: 'muted' }, '—') : null,
          ),
          h('td', null, s.updatedAt ? time(s.updatedAt, true) : '—'),
        );
      }),
    });
  }

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

  function view(state) {
    const staff = staffSteps(state);
    const managers = managerSteps(state);
    const f = state.funding || {};
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
        ),
        h(
          'div',
          { class: 'head-actions' },
          externalLink(state.temporalUiUrl, 'Apri in Temporal'),
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
            staff.length ? staff : h('p', { class: 'muted' }, 'Nessun passo da registrare in questa fase.'),
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
              state.delegation?.requestedAt
                ? ['Delega richiesta', dateTime(state.delegation.requestedAt)]
                : null,
              state.delegation?.completedAt
                ? ['Delega completata', dateTime(state.delegation.completedAt)]
                : null,
              state.signedForm?.record
                ? [
                    'Modulo firmato',
                    `${state.signedForm.record.signerName}, ${dateTime(state.signedForm.record.recordedAt)}`,
                  ]
                : null,
              state.trackingForm ? ['Modulo di tracciamento', dateTime(state.trackingForm.recordedAt)] : null,
              state.reminders?.total ? ['Solleciti inviati', String(state.reminders.total)] : null,
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
  return root;
}
