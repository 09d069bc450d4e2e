// @ts-check
// Servizio: where it stands, its card (each problem beside its field), the PagoPA review rounds, and the forms of the
// steps the API offers (correct the card, record a review), drawn from the journey model. A service still in the
// queue has its page too: its planned card and what it waits for.

import { api } from '../api.js';
import {
  actorLabel,
  cardFields,
  partyLabels,
  serviceStatusLabels,
  serviceStatusTone,
  timelineDetail,
  topicIds,
} from '../labels.js';
import { modelStepForm } from '../steps.js';
import {
  badge,
  breadcrumb,
  dateTime,
  externalLink,
  facts,
  field,
  h,
  pageTitle,
  problemBox,
  select,
  successBox,
  table,
  textarea,
  uid,
  freshnessNote,
} from '../ui.js';

/** @typedef {import('../labels.js').ServiceStatus} ServiceStatus */
/** @typedef {import('../api.js').ApiResponse<'/comuni/{ipa}/services/{slug}'>} ServiceAnswer */
/** @typedef {import('../api.js').ApiResponse<'/comuni/{ipa}'>} ComuneAnswer */
/** @typedef {(typeof cardFields)[number]} CardField */
/** @typedef {{ field: string, message: string }} Issue */
/**
 * @typedef {{
 *   round: number,
 *   submittedAt: string,
 *   outcome?: 'approved' | 'rejected',
 *   decidedAt?: string,
 *   decidedBy?: string,
 *   reason?: string,
 * }} ReviewRound
 */
/**
 * The service's state: the answer, with the fields the page reads that the OpenAPI schema leaves open.
 * @typedef {ServiceAnswer & {
 *   status: ServiceStatus,
 *   ioServiceId?: string,
 *   logoUploaded: boolean,
 *   portalConfigured: boolean,
 *   testMessageSent: boolean,
 *   timeline: { at: string, step: string, actor: string, detail?: string }[],
 * }} ServiceState
 */

const scopeLabels = /** @type {Readonly<Record<string, string>>} */ ({
  local: 'Locale',
  national: 'Nazionale',
});

/**
 * The problems of the card that concern a field ('contacts', at least one contact, belongs to the phone: the first).
 * @param {readonly Issue[]} issues
 * @param {CardField} f
 */
const issuesOf = (issues, f) =>
  issues.filter((i) => i.field === f.name || (f.name === 'phone' && i.field === 'contacts'));

/** @param {readonly Issue[]} issues */
const orphanIssues = (issues) => issues.filter((i) => !cardFields.some((f) => issuesOf([i], f).length > 0));

/**
 * A card field's value as staff read it.
 * @param {Record<string, unknown>} card
 * @param {CardField} f
 */
function cardValue(card, f) {
  const value = card[f.name];
  if (value === undefined || value === null || value === '') return h('span', { class: 'muted' }, '—');
  const text = String(value);
  switch (f.kind) {
    case 'topic':
      return topicIds[Number(value)] ?? text;
    case 'scope':
      return scopeLabels[text] ?? text;
    case 'url':
      return externalLink(text, text);
    case 'logo':
      return 'Presente';
    default:
      return text;
  }
}

/**
 * The problems beside a field.
 * @param {readonly Issue[]} own
 * @param {string} [id]
 */
const issueNote = (own, id) =>
  own.length
    ? h(
        'p',
        { class: 'field-issue', id },
        own.map((i, n) => [n > 0 ? h('br') : null, h('strong', null, 'Da correggere: '), i.message]),
      )
    : null;

/**
 * One input of the card editor, with its hint and its problems.
 * @param {Record<string, unknown>} card
 * @param {CardField} f
 * @param {readonly Issue[]} issues
 */
function cardInput(card, f, issues) {
  const own = issuesOf(issues, f);
  const value = card[f.name];
  const text = value === undefined || value === null ? '' : String(value);
  const invalid = own.length > 0 ? 'true' : undefined;
  const common = { label: f.label, name: f.name, required: f.required, hint: f.hint };
  /** @type {HTMLElement} */
  let el;
  switch (f.kind) {
    case 'topic':
      el = field({
        ...common,
        control: select(
          f.name,
          topicIds.map((t, i) => [i, t]),
          value,
          { 'aria-invalid': invalid },
        ),
      });
      break;
    case 'scope':
      el = field({
        ...common,
        control: select(f.name, Object.entries(scopeLabels), text || 'local', { 'aria-invalid': invalid }),
      });
      break;
    case 'textarea':
      el = field({
        ...common,
        wide: true,
        control: textarea(f.name, text, {
          rows: 5,
          maxlength: f.maxLength,
          required: f.required,
          'aria-invalid': invalid,
        }),
      });
      break;
    case 'logo':
      // The current logo stays unless a new PNG is chosen: it is uploaded first, then its reference sent.
      el = h(
        'div',
        { class: 'field-logo' },
        h('input', { type: 'hidden', name: f.name, value: text }),
        field({
          label: f.label,
          name: `${f.name}__file`,
          type: 'file',
          accept: 'image/png',
          required: f.required && !text,
          hint: text ? `Logo già presente: scegli un file solo per sostituirlo. ${f.hint ?? ''}` : f.hint,
          'aria-invalid': invalid,
        }),
      );
      break;
    default:
      el = field({
        ...common,
        type: f.kind === 'url' ? 'text' : f.kind,
        value: text,
        maxlength: f.maxLength,
        pattern: f.pattern,
        inputmode: f.kind === 'url' ? 'url' : f.pattern?.startsWith('[0-9]') ? 'numeric' : undefined,
        'aria-invalid': invalid,
      });
  }
  if (own.length > 0) {
    const input = /** @type {HTMLElement | null} */ (
      el.querySelector('input:not([type=hidden]), select, textarea')
    );
    const id = uid('issue');
    const target = el.classList.contains('field')
      ? el
      : /** @type {HTMLElement} */ (el.querySelector('.field'));
    target.classList.add('field-invalid');
    target.append(/** @type {HTMLElement} */ (issueNote(own, id)));
    if (input) {
      input.setAttribute(
        'aria-describedby',
        [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '),
      );
    }
  }
  return el;
}

/**
 * The card editor of the correction step: every field of the card, and how the card is read back from the form.
 * @param {Record<string, unknown>} card
 * @param {readonly Issue[]} issues
 * @returns {import('../steps.js').CustomField}
 */
function cardEditor(card, issues) {
  return {
    node: h(
      'div',
      { class: 'form-grid' },
      cardFields.map((f) => cardInput(card, f, issues)),
    ),
    value: async (data) => {
      /** @type {Record<string, unknown>} */
      const next = {};
      for (const f of cardFields) {
        if (f.kind === 'logo') {
          const file = data.get(`${f.name}__file`);
          if (file instanceof File && file.size > 0) {
            const upload = new FormData();
            upload.append('file', file);
            /** @type {import('../api.js').ApiResponse<'/logos', 'post'>} */
            const stored = await api('/logos', { method: 'POST', form: upload });
            next[f.name] = stored.logoRef;
            continue;
          }
        }
        const raw = String(data.get(f.name) ?? '').trim();
        if (f.kind === 'topic') next[f.name] = Number(raw);
        else if (raw !== '') next[f.name] = raw;
      }
      return next;
    },
  };
}

/**
 * The card as a list, each problem beside its field.
 * @param {Record<string, unknown>} card
 * @param {readonly Issue[]} issues
 */
function cardView(card, issues) {
  return facts(
    cardFields.map((f) => [f.label, [cardValue(card, f), issueNote(issuesOf(issues, f))]]),
    'facts facts-card',
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function servicePage(ctx) {
  const [ipa, slug] = ctx.params;
  const comunePath = `/comuni/${encodeURIComponent(ipa)}`;
  const base = `${comunePath}/services/${encodeURIComponent(slug)}`;
  const flash = h('div', { class: 'flash', 'aria-live': 'polite' });
  const content = h('div');
  const root = h('section', { class: 'service' }, flash, content);

  /** @returns {Promise<[ServiceState, ComuneAnswer | undefined]>} */
  const load = () =>
    Promise.all([
      /** @type {Promise<ServiceState>} */ (api(base, { signal: ctx.signal })),
      /** @type {Promise<ComuneAnswer | undefined>} */ (
        api(comunePath, { signal: ctx.signal }).catch(() => undefined)
      ),
    ]);
  const draw = (/** @type {[ServiceState, ComuneAnswer | undefined]} */ [service, comune]) => {
    content.replaceChildren(...view(service, comune).flat().filter(Boolean));
    ctx.setTitle(service.name);
  };
  /** @param {string} message */
  const afterStep = async (message) => {
    flash.replaceChildren(successBox(message));
    for (const wait of [0, 1000, 3000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (ctx.signal.aborted) return;
      draw(await load());
    }
  };
  /** @param {string} message */
  const onDone = (message) => {
    void afterStep(message).catch((err) => flash.append(problemBox(err, { compact: true })));
  };

  /** @param {ServiceState} service */
  function stepForms(service) {
    const rounds = /** @type {ReviewRound[]} */ (service.rounds);
    const rejected = [...rounds].reverse().find((r) => r.outcome === 'rejected');
    return service.availableSteps.map((available) => {
      const form = modelStepForm({
        available,
        headingLevel: 'h2',
        context:
          available.id === 'correctCard' && service.status === 'rejected' && rejected?.reason
            ? `Motivo del rifiuto PagoPA: «${rejected.reason}».`
            : undefined,
        custom: { card: cardEditor(service.card, service.issues) },
        onDone: (message) => {
          flash.replaceChildren();
          onDone(message);
        },
      });
      return form ? h('section', { class: 'panel' }, form) : null;
    });
  }

  /**
   * Where the service stands in its Comune's journey.
   * @param {ServiceState} service
   * @param {string} comuneName
   */
  function place(service, comuneName) {
    const p = service.place;
    return h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-dove', 'data-testid': 'place' },
      h('h2', { id: 'h-dove' }, 'Dove si trova'),
      h('p', { class: 'place-text' }, p.waitingFor),
      facts(
        [
          ['Fase del Comune', [h('a', { href: `#${comunePath}` }, comuneName), ': ', p.comuneStageLabel]],
          ['Chi deve agire', partyLabels[p.waitsOn] || p.waitsOn],
          p.queue ? ['Posto in coda', `${p.queue.position}º di ${p.queue.of} in coda`] : null,
        ],
        'facts facts-grid',
      ),
    );
  }

  /**
   * @param {ServiceState} service
   * @param {ComuneAnswer | undefined} comune
   */
  function view(service, comune) {
    const comuneName = comune?.name || ipa;
    const rounds = /** @type {ReviewRound[]} */ (service.rounds);
    const issues = service.issues;
    const editing = service.availableSteps.some((a) => a.id === 'correctCard');
    const orphans = orphanIssues(issues);
    return [
      breadcrumb([
        ['Comuni', '#/comuni'],
        [comuneName, `#${comunePath}`],
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
            h(
              'span',
              { 'data-testid': 'service-status' },
              badge(serviceStatusLabels[service.status] || service.status, serviceStatusTone[service.status]),
            ),
            ' ',
            h('a', { href: `#${comunePath}` }, comuneName),
          ),
          freshnessNote(service.freshness),
        ),
        ctx.me?.role === 'admin' && service.started
          ? h('div', { class: 'head-actions' }, externalLink(service.temporalUiUrl, 'Apri in Temporal'))
          : null,
      ),
      place(service, comuneName),
      service.started
        ? facts(
            [
              ['Servizio su IO', service.ioServiceId || 'Non ancora creato'],
              ['Logo caricato', service.logoUploaded ? 'Sì' : 'No'],
              ['Portale configurato', service.portalConfigured ? 'Sì' : 'No'],
              ['Messaggio di prova', service.testMessageSent ? 'Inviato' : 'Non ancora'],
            ],
            'facts facts-grid',
          )
        : null,
      issues.length
        ? h(
            'div',
            { class: 'alert alert-warning', role: 'note' },
            h(
              'p',
              { class: 'alert-title' },
              issues.length === 1
                ? 'La scheda non rispetta le regole PagoPA: un problema, indicato accanto al campo.'
                : `La scheda non rispetta le regole PagoPA: ${issues.length} problemi, indicati accanto ai campi.`,
            ),
            orphans.length
              ? h(
                  'ul',
                  null,
                  orphans.map((i) => h('li', null, i.message)),
                )
              : null,
          )
        : null,
      stepForms(service),
      editing
        ? null
        : h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-scheda' },
            h(
              'h2',
              { id: 'h-scheda' },
              service.started ? 'Scheda del servizio' : 'Scheda prevista del servizio',
            ),
            cardView(service.card, issues),
          ),
      service.started
        ? h(
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
          )
        : null,
      service.started
        ? h(
            'section',
            { class: 'panel', 'aria-labelledby': 'h-cron-servizio' },
            h('h2', { id: 'h-cron-servizio' }, 'Cronologia del servizio'),
            service.timeline.length
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
          )
        : null,
    ];
  }

  draw(await load());
  return root;
}
