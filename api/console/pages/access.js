// @ts-check
// Accesso utenti (admin): the back office's tokens, a new one shown once, revocation with confirmation.

import { api } from '../api.js';
import { actorLabel, roleLabels } from '../labels.js';
import { announce, badge, dateTime, field, h, infoBox, pageTitle, problemBox, select, table } from '../ui.js';

/** @typedef {import('../api.js').Schemas['TokenInfo']} TokenInfo */
/** @typedef {import('../api.js').ApiResponse<'/admin/tokens', 'post'>} CreatedToken */

/** @type {ReadonlyArray<readonly [string, string]>} */
const ROLES = [
  ['staff', 'Personale'],
  ['manager', 'Responsabile'],
  ['admin', 'Amministratore'],
];

/**
 * A token's state in words.
 * @param {TokenInfo} t
 */
function stateBadge(t) {
  if (t.revokedAt) return badge('Revocato', 'danger', `Revocato il ${dateTime(t.revokedAt)}`);
  if (t.expiresAt && Date.parse(t.expiresAt) <= Date.now()) return badge('Scaduto', 'warning');
  return badge('Attivo', 'success', t.expiresAt ? `Scade il ${dateTime(t.expiresAt)}` : undefined);
}

/**
 * The new token, shown this once, with a copy button.
 * @param {CreatedToken} created
 */
function shownOnce(created) {
  const copied = h('span', { class: 'token-copied', role: 'status', 'aria-live': 'polite' });
  const value = h('input', {
    class: 'token-value',
    type: 'text',
    readonly: true,
    value: created.token,
    'aria-label': `Token di ${created.info.name}`,
    'data-testid': 'new-token',
    spellcheck: 'false',
  });
  value.addEventListener('focus', () => value.select());
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary',
      onclick: async () => {
        value.select();
        try {
          await navigator.clipboard.writeText(created.token);
        } catch {
          document.execCommand('copy'); // pages served over plain HTTP have no clipboard API
        }
        copied.textContent = 'Copiato negli appunti.';
      },
    },
    'Copia il token',
  );
  return h(
    'section',
    { class: 'card token-once', 'aria-labelledby': 'h-token-nuovo', 'data-testid': 'token-once' },
    h('h2', { id: 'h-token-nuovo' }, `Token per ${created.info.name} (${roleLabels[created.info.role]})`),
    h(
      'div',
      { class: 'alert alert-warning', role: 'alert' },
      h('p', { class: 'alert-title' }, 'Copialo adesso: non verrà mostrato di nuovo.'),
      h(
        'p',
        { class: 'alert-detail' },
        'Il back office conserva solo un’impronta del token. Consegnalo alla persona per un canale riservato; se va perso, revocalo e creane un altro.',
      ),
    ),
    h('div', { class: 'token-row' }, value, copy, copied),
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function accessPage(ctx) {
  /** @type {{ items: TokenInfo[] }} */
  const data = await api('/admin/tokens', { signal: ctx.signal });
  const mayCreate = ctx.can('post', '/admin/tokens');
  const mayRevoke = ctx.can('delete', '/admin/tokens/{id}');
  const once = h('div', { 'aria-live': 'polite' });
  const listHolder = h('div');

  async function reload() {
    /** @type {{ items: TokenInfo[] }} */
    const fresh = await api('/admin/tokens');
    data.items = fresh.items;
    listHolder.replaceChildren(list());
  }

  /** @param {TokenInfo} t */
  function revokeCell(t) {
    if (t.revokedAt || !mayRevoke) return h('td', null, '—');
    const cell = h('td', { class: 'token-actions' });
    const ask = h(
      'button',
      { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `Revoca il token di ${t.name}` },
      'Revoca',
    );
    ask.addEventListener('click', () => {
      const confirm = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Sì, revoca');
      const cancel = h('button', { type: 'button', class: 'btn btn-small btn-ghost' }, 'Annulla');
      const box = h(
        'div',
        { class: 'token-confirm', role: 'group', 'aria-label': `Conferma la revoca del token di ${t.name}` },
        h('p', null, `Revocare il token di ${t.name}? Chi lo usa non potrà più entrare.`),
        confirm,
        cancel,
      );
      cancel.addEventListener('click', () => {
        cell.replaceChildren(ask);
        ask.focus();
      });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          await api(`/admin/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
          announce(`Token di ${t.name} revocato.`);
          await reload();
        } catch (error) {
          confirm.disabled = false;
          box.append(problemBox(error, { compact: true }));
        }
      });
      cell.replaceChildren(box);
      confirm.focus();
    });
    cell.append(ask);
    return cell;
  }

  function list() {
    const items = [...data.items].sort(
      (a, b) =>
        Number(Boolean(a.revokedAt)) - Number(Boolean(b.revokedAt)) || b.createdAt.localeCompare(a.createdAt),
    );
    return table({
      caption: 'Token',
      captionHidden: true,
      columns: ['Nome', 'Ruolo', 'Creato', 'Ultimo uso', 'Stato', 'Azioni'],
      empty: 'Nessun token.',
      rows: items.map((t) =>
        h(
          'tr',
          { 'data-token-id': t.id },
          h(
            'td',
            null,
            h('strong', null, t.name),
            h('div', { class: 'muted' }, `da ${actorLabel(t.createdBy)}`),
          ),
          h('td', null, roleLabels[t.role] || t.role),
          h('td', null, dateTime(t.createdAt)),
          h('td', null, t.lastUsedAt ? dateTime(t.lastUsedAt) : 'Mai'),
          h('td', null, stateBadge(t)),
          revokeCell(t),
        ),
      ),
    });
  }

  /** @returns {Node | null} */
  function createForm() {
    if (!mayCreate) return null;
    const feedback = h('div', { 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Crea il token');
    const form = h(
      'form',
      { class: 'card', 'aria-labelledby': 'h-token-crea' },
      h('h2', { id: 'h-token-crea' }, 'Nuovo token'),
      h(
        'div',
        { class: 'form-grid' },
        field({
          label: 'Nome della persona',
          name: 'name',
          required: true,
          minlength: 2,
          maxlength: 80,
          autocomplete: 'off',
          hint: 'Compare nella cronologia di ogni passo che registra.',
        }),
        field({
          label: 'Ruolo',
          control: select('role', ROLES, 'staff', { required: true }),
        }),
      ),
      feedback,
      h('div', { class: 'form-actions' }, submit),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = new FormData(form);
      submit.disabled = true;
      feedback.replaceChildren();
      try {
        /** @type {CreatedToken} */
        const created = await api('/admin/tokens', {
          method: 'POST',
          body: { name: String(values.get('name')).trim(), role: String(values.get('role')) },
        });
        form.reset();
        once.replaceChildren(shownOnce(created));
        announce(`Token creato per ${created.info.name}: copialo adesso, non verrà mostrato di nuovo.`);
        await reload();
        /** @type {HTMLInputElement | null} */ (once.querySelector('.token-value'))?.focus();
      } catch (error) {
        feedback.replaceChildren(problemBox(error));
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  listHolder.append(list());
  return h(
    'section',
    null,
    pageTitle('Accesso utenti'),
    infoBox(
      h(
        'p',
        { 'data-testid': 'first-admin' },
        'Il primo token amministratore è stampato una sola volta all’avvio del back office; altri si creano qui o con ',
        h('code', null, 'npm run token -- create'),
        '.',
      ),
    ),
    once,
    createForm(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-token-elenco' },
      h('h2', { id: 'h-token-elenco' }, 'Token'),
      listHolder,
    ),
  );
}
