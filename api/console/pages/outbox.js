// @ts-check
// E-mail: what the back office sent (caught by the local SMTP catcher), newest first.

import { api } from '../api.js';
import { breadcrumb, dateTime, facts, field, h, pageTitle, table } from '../ui.js';

const PAGE = 50;

/** @typedef {import('../api.js').Schemas['OutboxMessage']} OutboxMessage */

/**
 * @param {import('../app.js').PageContext} ctx
 * @param {string} id
 */
async function message(ctx, id) {
  /** @type {OutboxMessage} */
  const m = await api(`/outbox/${encodeURIComponent(id)}`, { signal: ctx.signal });
  ctx.setTitle(m.subject);
  return h(
    'section',
    null,
    breadcrumb([
      ['E-mail', '#/email'],
      [m.subject, null],
    ]),
    pageTitle(m.subject),
    facts(
      [
        ['Ricevuta', dateTime(m.receivedAt)],
        ['Da', m.from || '—'],
        ['A', (m.to || []).join(', ') || '—'],
        m.cc?.length ? ['Cc', m.cc.join(', ')] : null,
        m.comuneIpa
          ? [
              'Comune',
              h('a', { href: `#/comuni/${encodeURIComponent(m.comuneIpa)}` }, m.comuneName || m.comuneIpa),
            ]
          : null,
        m.kindLabel ? ['Tipo', m.kindLabel] : null,
      ],
      'facts facts-grid',
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-testo' },
      h('h2', { id: 'h-testo' }, 'Testo'),
      h('pre', { class: 'mail-text' }, m.text || '(vuoto)'),
    ),
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function outboxPage(ctx) {
  const [id] = ctx.params;
  if (id) return message(ctx, id);
  const to = ctx.query.get('to') || '';
  const comune = ctx.query.get('comune') || '';
  const comuneName = ctx.query.get('nome') || '';
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  /** @type {Omit<import('../api.js').ApiResponse<'/outbox'>, 'items'> & { items: OutboxMessage[] }} */
  const data = await api('/outbox', {
    query: { to, comune, comuneName, limit: PAGE, offset: (page - 1) * PAGE },
    signal: ctx.signal,
  });

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filtra le e-mail' },
    field({ label: 'Destinatario', name: 'to', type: 'search', value: to, placeholder: 'indirizzo e-mail' }),
    field({ label: 'Comune', name: 'nome', type: 'search', value: comuneName, placeholder: 'es. Pinè' }),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filtra'),
    ),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(filters);
    ctx.setQuery({ to: String(form.get('to')).trim(), nome: String(form.get('nome')).trim(), comune: '' });
  });
  const pages = Math.max(1, Math.ceil(data.total / PAGE));
  return h(
    'section',
    null,
    pageTitle('E-mail inviate'),
    h(
      'p',
      { class: 'lead' },
      'Le e-mail che il back office ha inviato ai Comuni e al personale, le più recenti per prime.',
    ),
    filters,
    h('p', { class: 'count', role: 'status' }, data.total === 1 ? '1 e-mail' : `${data.total} e-mail`),
    table({
      caption: 'E-mail inviate',
      captionHidden: true,
      columns: ['Ricevuta', 'Oggetto', 'Destinatari', 'Comune'],
      empty: 'Nessuna e-mail.',
      rows: data.items.map((m) =>
        h(
          'tr',
          null,
          h('td', null, dateTime(m.receivedAt)),
          h(
            'td',
            null,
            h('a', { href: `#/email/${encodeURIComponent(m.id)}` }, m.subject || '(senza oggetto)'),
          ),
          h('td', null, (m.to || []).join(', ')),
          h(
            'td',
            null,
            m.comuneIpa
              ? h('a', { href: `#/comuni/${encodeURIComponent(m.comuneIpa)}` }, m.comuneName || m.comuneIpa)
              : '—',
          ),
        ),
      ),
    }),
    pages > 1
      ? h(
          'nav',
          { class: 'pager', 'aria-label': 'Pagine delle e-mail' },
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost',
              disabled: page <= 1,
              onclick: () => ctx.setQuery({ to, comune, nome: comuneName, page: page - 1 }),
            },
            '← Più recenti',
          ),
          h('span', null, `Pagina ${page} di ${pages}`),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost',
              disabled: page >= pages,
              onclick: () => ctx.setQuery({ to, comune, nome: comuneName, page: page + 1 }),
            },
            'Meno recenti →',
          ),
        )
      : null,
  );
}
