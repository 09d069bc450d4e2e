// @ts-nocheck
// Servizio: its card, the problems found, the PagoPA review rounds, and the forms to correct it or record a review.

import { api } from '../api.js';
import { actorLabel, serviceStatusLabels, serviceStatusTone, timelineDetail, topicIds } from '../labels.js';
import {
  badge,
  breadcrumb,
  dateTime,
  externalLink,
  facts,
  field,
  h,
  pageTitle,
  select,
  stepForm,
  successBox,
  table,
  textarea,
  problemBox,
} from '../ui.js';

/** The card's fields as staff read them, in the order of PagoPA's back office. */
const CARD_FIELDS = [
  {
    name: 'service_name',
    label: 'Nome del servizio',
    required: true,
    maxlength: 100,
    hint: 'Un sostantivo, non un verbo: «Prenotazione sale comunali».',
  },
  {
    name: 'organization_name',
    label: 'Nome dell’ente',
    required: true,
    hint: 'Il nome completo: «Comune di Varese», non «Varese».',
  },
  {
    name: 'organization_fiscal_code',
    label: 'Codice fiscale dell’ente',
    required: true,
    pattern: '[0-9]{11}',
    inputmode: 'numeric',
  },
  {
    name: 'description',
    label: 'Descrizione',
    required: true,
    multiline: true,
    maxlength: 1000,
    hint: 'Da 20 a 1000 caratteri, markdown ammesso. Niente maiuscolo, solo iniziali e sigle.',
  },
  { name: 'topic_id', label: 'Argomento', required: true, topic: true },
  { name: 'service_scope', label: 'Ambito', required: true, scope: true },
  { name: 'privacy_url', label: 'Informativa privacy (URL)', required: true, type: 'url' },
  {
    name: 'authorized_cidrs',
    label: 'IP autorizzati (CIDR separati da ;)',
    required: true,
    hint: 'es. 203.0.113.10/32; 198.51.100.0/24',
  },
  { name: 'logo_ref', label: 'Riferimento al logo (sha256)', required: true, pattern: '[0-9a-f]{64}' },
  { name: 'phone', label: 'Telefono', type: 'tel' },
  { name: 'email', label: 'E-mail', type: 'email' },
  { name: 'pec', label: 'PEC', type: 'email' },
  { name: 'support_url', label: 'Assistenza (URL)', type: 'url' },
  { name: 'tos_url', label: 'Termini di servizio (URL)', type: 'url' },
  { name: 'web_url', label: 'Sito web (URL)', type: 'url' },
  { name: 'app_ios', label: 'App iOS (URL)', type: 'url' },
  { name: 'app_android', label: 'App Android (URL)', type: 'url' },
  { name: 'address', label: 'Indirizzo', maxlength: 100 },
];

function cardValue(card, f) {
  const value = card[f.name];
  if (value === undefined || value === null || value === '') return h('span', { class: 'muted' }, '—');
  if (f.topic) return topicIds[value] ?? String(value);
  if (f.scope) return value === 'local' ? 'Locale' : 'Nazionale';
  if (f.type === 'url') return externalLink(value, value);
  return String(value);
}

function cardInput(card, f, issues) {
  const own = issues.filter((i) => i.field === f.name || (f.name === 'phone' && i.field === 'contacts'));
  const hint = [f.hint, ...own.map((i) => `Problema: ${i.message}`)].filter(Boolean).join(' ');
  const common = {
    label: f.label,
    name: f.name,
    required: f.required,
    hint: hint || undefined,
    wide: f.multiline,
  };
  const invalid = own.length > 0 ? 'true' : undefined;
  if (f.topic)
    return field({
      ...common,
      control: select(
        f.name,
        topicIds.map((t, i) => [i, `${i} · ${t}`]),
        card.topic_id,
      ),
    });
  if (f.scope) {
    return field({
      ...common,
      control: select(
        f.name,
        [
          ['local', 'Locale'],
          ['national', 'Nazionale'],
        ],
        card.service_scope || 'local',
      ),
    });
  }
  if (f.multiline) {
    return field({
      ...common,
      control: textarea(f.name, card[f.name], {
        rows: 5,
        maxlength: f.maxlength,
        required: f.required,
        'aria-invalid': invalid,
      }),
    });
  }
  return field({
    ...common,
    type: f.type === 'url' ? 'text' : f.type || 'text',
    value: card[f.name] ?? '',
    maxlength: f.maxlength,
    pattern: f.pattern,
    inputmode: f.type === 'url' ? 'url' : f.inputmode,
    'aria-invalid': invalid,
  });
}

export default async function servicePage(ctx) {
  const [ipa, slug] = ctx.params;
  const base = `/comuni/${encodeURIComponent(ipa)}/services/${encodeURIComponent(slug)}`;
  const flash = h('div', { class: 'flash', 'aria-live': 'polite' });
  const content = h('div');
  const root = h('section', null, flash, content);

  const load = () =>
    Promise.all([
      api(base, { signal: ctx.signal }),
      api(`/comuni/${encodeURIComponent(ipa)}`, { signal: ctx.signal }).catch(() => undefined),
    ]);
  const draw = ([service, comune]) => {
    content.replaceChildren(...view(service, comune).filter(Boolean));
    ctx.setTitle(service.name);
  };
  const afterStep = async (message) => {
    flash.replaceChildren(successBox(message));
    for (const wait of [0, 1000, 3000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (ctx.signal.aborted) return;
      draw(await load());
    }
  };

  function cardForm(service) {
    return stepForm({
      id: 'form-scheda',
      headingLevel: 'h2',
      title: service.status === 'rejected' ? 'Correggi la scheda e reinviala a PagoPA' : 'Correggi la scheda',
      description:
        'I campi sono precompilati con la scheda attuale. Al salvataggio la scheda viene ricontrollata con le regole PagoPA; se è corretta il servizio riparte.',
      body: h(
        'div',
        { class: 'form-grid' },
        CARD_FIELDS.map((f) => cardInput(service.card, f, service.issues || [])),
      ),
      submitLabel: 'Invia la scheda corretta',
      onSubmit: async (form, key) => {
        const card = {};
        for (const f of CARD_FIELDS) {
          const raw = String(form.get(f.name) ?? '').trim();
          if (f.topic) card[f.name] = Number(raw);
          else if (raw !== '') card[f.name] = raw;
        }
        flash.replaceChildren();
        await api(`${base}/card`, { method: 'PUT', body: { card }, idempotencyKey: key });
        void afterStep('Scheda corretta inviata: il servizio riparte.').catch((err) =>
          flash.append(problemBox(err, { compact: true })),
        );
      },
    });
  }

  function reviewForm() {
    return stepForm({
      id: 'form-revisione',
      headingLevel: 'h2',
      title: 'Esito della revisione PagoPA',
      description: 'Registra a mano l’esito letto sul back office IO, se non arriva da solo.',
      body: [
        h(
          'fieldset',
          { class: 'choices' },
          h('legend', null, 'Esito'),
          h(
            'label',
            { class: 'choice' },
            h('input', { type: 'radio', name: 'outcome', value: 'approved', required: true }),
            h('span', null, h('strong', null, 'Approvato'), ' — il servizio viene pubblicato'),
          ),
          h(
            'label',
            { class: 'choice' },
            h('input', { type: 'radio', name: 'outcome', value: 'rejected', required: true }),
            h('span', null, h('strong', null, 'Rifiutato'), ' — «dati incompleti o incorretti»'),
          ),
        ),
        field({
          label: 'Motivo (obbligatorio se rifiutato)',
          name: 'reason',
          control: textarea('reason', '', { maxlength: 1000, rows: 3 }),
        }),
      ],
      submitLabel: 'Registra l’esito',
      onSubmit: async (form, key) => {
        const reason = String(form.get('reason') || '').trim();
        const body = { outcome: form.get('outcome'), ...(reason ? { reason } : {}) };
        flash.replaceChildren();
        await api(`${base}/review-outcome`, { method: 'POST', body, idempotencyKey: key });
        void afterStep('Esito della revisione registrato.').catch((err) =>
          flash.append(problemBox(err, { compact: true })),
        );
      },
    });
  }

  function view(service, comune) {
    const comuneName = comune?.name || ipa;
    const editable = service.status === 'needs_correction' || service.status === 'rejected';
    const rounds = service.rounds || [];
    return [
      breadcrumb([
        ['Comuni', '#/comuni'],
        [comuneName, `#/comuni/${encodeURIComponent(ipa)}`],
        [service.name, null],
      ]),
      h(
        'div',
        { class: 'page-head' },
        h(
          'div',
          null,
          pageTitle(service.name),
          h(
            'p',
            null,
            badge(serviceStatusLabels[service.status] || service.status, serviceStatusTone[service.status]),
          ),
        ),
        h('div', { class: 'head-actions' }, externalLink(service.temporalUiUrl, 'Apri in Temporal')),
      ),
      facts(
        [
          ['Comune', h('a', { href: `#/comuni/${encodeURIComponent(ipa)}` }, comuneName)],
          ['Identificativo', slug],
          ['Servizio su IO', service.ioServiceId || 'Non ancora creato'],
          ['Logo caricato', service.logoUploaded ? 'Sì' : 'No'],
          ['Portale configurato', service.portalConfigured ? 'Sì' : 'No'],
          ['Messaggio di prova', service.testMessageSent ? 'Inviato' : 'Non ancora'],
        ],
        'facts facts-grid',
      ),
      service.issues?.length
        ? h(
            'div',
            { class: 'alert alert-warning', role: 'note' },
            h('p', { class: 'alert-title' }, 'La scheda non rispetta le regole PagoPA'),
            h(
              'ul',
              null,
              service.issues.map((i) => h('li', null, i.message)),
            ),
          )
        : null,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'h-revisioni' },
        h('h2', { id: 'h-revisioni' }, 'Revisioni PagoPA'),
        table({
          caption: 'Giri di revisione',
          captionHidden: true,
          columns: ['Giro', 'Inviato', 'Esito', 'Deciso', 'Da', 'Motivo'],
          empty: 'Non ancora inviato in revisione.',
          rows: rounds.map((r) =>
            h(
              'tr',
              null,
              h('td', null, String(r.round)),
              h('td', null, dateTime(r.submittedAt)),
              h(
                'td',
                null,
                r.outcome === 'approved'
                  ? badge('Approvato', 'success')
                  : r.outcome === 'rejected'
                    ? badge('Rifiutato', 'danger')
                    : badge('In attesa', 'info'),
              ),
              h('td', null, r.decidedAt ? dateTime(r.decidedAt) : '—'),
              h('td', null, r.decidedBy ? actorLabel(r.decidedBy) : '—'),
              h('td', null, r.reason || '—'),
            ),
          ),
        }),
      ),
      service.status === 'in_review' ? h('section', { class: 'panel' }, reviewForm()) : null,
      editable
        ? h('section', { class: 'panel' }, cardForm(service))
        : h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-scheda' },
            h('h2', { id: 'h-scheda' }, 'Scheda del servizio'),
            facts(
              CARD_FIELDS.map((f) => [f.label, cardValue(service.card || {}, f)]),
              'facts facts-card',
            ),
          ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'h-cron-servizio' },
        h('h2', { id: 'h-cron-servizio' }, 'Cronologia del servizio'),
        (service.timeline || []).length
          ? h(
              'ol',
              { class: 'timeline' },
              [...service.timeline]
                .reverse()
                .map((e) =>
                  h(
                    'li',
                    null,
                    h('time', { datetime: e.at, class: 'timeline-at' }, dateTime(e.at)),
                    h(
                      'div',
                      { class: 'timeline-body' },
                      h('strong', null, e.step),
                      h('span', { class: 'timeline-actor' }, actorLabel(e.actor)),
                      e.detail ? h('p', { class: 'timeline-detail' }, timelineDetail(e.detail)) : null,
                    ),
                  ),
                ),
            )
          : h('p', { class: 'muted' }, 'Nessun evento.'),
      ),
    ];
  }

  draw(await load());
  return root;
}
