// @ts-check
// Accesso: paste a token, see who you are, sign out.

import { roleLabels } from '../labels.js';
import { field, h, infoBox, pageTitle, problemBox } from '../ui.js';

/** @param {import('../app.js').PageContext} ctx */
export default async function loginPage(ctx) {
  const expired = ctx.query.get('scaduta') === '1';
  const after = ctx.query.get('dopo');
  const next = after && after.startsWith('#/') && !after.startsWith('#/accesso') ? after : '#/attivita';

  const me = ctx.me
    ? h(
        'div',
        { class: 'card' },
        h(
          'p',
          null,
          'Hai effettuato l’accesso come ',
          h('strong', { 'data-testid': 'me-name' }, ctx.me.name),
          '.',
        ),
        h(
          'p',
          null,
          'Ruolo: ',
          h('strong', { 'data-testid': 'me-role' }, roleLabels[ctx.me.role] || ctx.me.role),
        ),
        h(
          'div',
          { class: 'form-actions' },
          h('a', { class: 'btn btn-primary', href: next }, 'Vai alle attività'),
          h('button', { type: 'button', class: 'btn btn-ghost', onclick: ctx.logout }, 'Esci'),
        ),
      )
    : null;

  const feedback = h('div', { 'aria-live': 'polite' });
  const input = field({
    label: 'Token di accesso',
    name: 'token',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    hint: 'Il token personale che ti ha dato l’amministratore. Vale per la sessione del browser: le altre schede entrano da sole; si cancella quando chiudi il browser o premi «Esci».',
  });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Accedi');
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'login-title' },
    h(
      'h2',
      { id: 'login-title' },
      ctx.me ? 'Accedi con un altro token in questa scheda' : 'Entra con il tuo token',
    ),
    input,
    feedback,
    h('div', { class: 'form-actions' }, button),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = /** @type {FormDataEntryValue} */ (new FormData(form).get('token')).toString().trim();
    if (!token) return;
    button.disabled = true;
    feedback.replaceChildren();
    try {
      await ctx.signIn(token);
      ctx.navigate(next);
    } catch (error) {
      const failure = /** @type {import('../api.js').Failure} */ (error);
      feedback.replaceChildren(
        failure.status === 401
          ? problemBox({
              status: 401,
              problem: { title: 'Token non valido', detail: failure.problem?.detail },
            })
          : problemBox(error),
      );
      // The error gets the focus, so a screen reader reads it and the keyboard is where the fix is.
      const shown = /** @type {HTMLElement | null} */ (feedback.firstElementChild);
      shown?.setAttribute('tabindex', '-1');
      shown?.focus();
    } finally {
      button.disabled = false;
    }
  });

  return h(
    'section',
    { class: 'narrow' },
    pageTitle('Accesso'),
    h(
      'p',
      { class: 'lead' },
      'Il back office accompagna i Comuni su App IO (PNRR, misura 1.4.3): adesione, delega, modulo firmato, servizi e revisione PagoPA.',
    ),
    expired ? infoBox('La sessione è scaduta o il token è stato revocato: accedi di nuovo.') : null,
    me,
    form,
  );
}
