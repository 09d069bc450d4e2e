// @ts-check
// The console's shell: session, permissions read from the OpenAPI document, hash routing and navigation.

import { api, session } from './api.js';
import { roleLabels } from './labels.js';
import { h, loading, problemBox } from './ui.js';
import loginPage from './pages/login.js';
import inboxPage from './pages/inbox.js';
import comuniPage from './pages/comuni.js';
import comunePage from './pages/comune.js';
import servicePage from './pages/service.js';
import dashboardPage from './pages/dashboard.js';
import importPage from './pages/import.js';
import outboxPage from './pages/outbox.js';
import accessPage from './pages/access.js';

/** @typedef {import('./api.js').ApiResponse<'/me'>} Me */
/**
 * What a page gets: where to render, its route's parameters and query, who is signed in and what they may call.
 * @typedef {object} PageContext
 * @property {HTMLElement} main
 * @property {string[]} params The route's captured parts (`/comuni/{ipa}` → `[ipa]`).
 * @property {URLSearchParams} query
 * @property {Me | undefined} me
 * @property {(method: string, path: string) => boolean} can Whether the role may call the endpoint.
 * @property {(method: string, path: string) => boolean} has Whether the API has the endpoint.
 * @property {(hash: string) => void} navigate
 * @property {AbortSignal} signal Aborted when the person navigates away.
 * @property {(token: string) => Promise<Me>} signIn
 * @property {() => void} logout
 * @property {(title: string) => void} setTitle
 * @property {(values: Record<string, unknown>) => void} setQuery Empty values are left out.
 */
/**
 * @typedef {object} Route
 * @property {RegExp} path
 * @property {(ctx: PageContext) => Promise<Node | Node[]>} page
 * @property {string} title
 * @property {boolean} [public]
 * @property {string} [nav] The navigation item shown as current.
 */

/** @type {Readonly<Record<string, number>>} */
const rank = { staff: 1, manager: 2, admin: 3 };

/** @type {Route[]} */
const routes = [
  { path: /^\/accesso$/, page: loginPage, title: 'Accesso', public: true },
  { path: /^\/attivita$/, page: inboxPage, title: 'Attività', nav: 'attivita' },
  { path: /^\/comuni$/, page: comuniPage, title: 'Comuni', nav: 'comuni' },
  { path: /^\/comuni\/([a-z0-9_]{2,20})$/, page: comunePage, title: 'Comune', nav: 'comuni' },
  {
    path: /^\/comuni\/([a-z0-9_]{2,20})\/servizi\/([a-z0-9-]{2,60})$/,
    page: servicePage,
    title: 'Servizio',
    nav: 'comuni',
  },
  { path: /^\/cruscotto$/, page: dashboardPage, title: 'Cruscotto', nav: 'cruscotto' },
  { path: /^\/importa(?:\/([A-Za-z0-9_:-]{1,100}))?$/, page: importPage, title: 'Importa', nav: 'importa' },
  { path: /^\/email(?:\/([A-Za-z0-9_-]{1,80}))?$/, page: outboxPage, title: 'E-mail', nav: 'email' },
  { path: /^\/accesso-utenti$/, page: accessPage, title: 'Accesso utenti', nav: 'accesso-utenti' },
];

/** @type {{ id: string, href: string, text: string, needs: [string, string], showWhenMissing?: boolean }[]} */
const navItems = [
  { id: 'attivita', href: '#/attivita', text: 'Attività', needs: ['get', '/inbox'] },
  { id: 'comuni', href: '#/comuni', text: 'Comuni', needs: ['get', '/comuni'] },
  { id: 'cruscotto', href: '#/cruscotto', text: 'Cruscotto', needs: ['get', '/portfolio/summary'] },
  { id: 'importa', href: '#/importa', text: 'Importa', needs: ['post', '/imports'], showWhenMissing: true },
  { id: 'email', href: '#/email', text: 'E-mail', needs: ['get', '/outbox'] },
  { id: 'accesso-utenti', href: '#/accesso-utenti', text: 'Accesso', needs: ['get', '/admin/tokens'] },
];

/**
 * @type {{
 *   me: Me | undefined,
 *   endpoints: Map<string, string>,
 *   controller: AbortController | undefined,
 *   firstRender: boolean,
 * }}
 */
const state = {
  me: undefined,
  /** `get /comuni/{ipa}` → least role, from `x-required-role` in /api/v1/openapi.json. */
  endpoints: new Map(),
  controller: undefined,
  firstRender: true,
};

async function loadEndpoints() {
  try {
    /** @type {{ paths?: Record<string, Record<string, { 'x-required-role'?: string }>> }} */
    const doc = await api('/openapi.json', { token: '' });
    for (const [path, operations] of Object.entries(doc.paths || {})) {
      for (const [method, operation] of Object.entries(operations)) {
        state.endpoints.set(`${method} ${path}`, operation['x-required-role'] || 'staff');
      }
    }
  } catch {
    // Without the document the console still works: every endpoint is tried and the API decides.
  }
}

/**
 * Whether the API has the endpoint at all (`/comuni/{ipa}` style paths).
 * @param {string} method
 * @param {string} path
 */
function has(method, path) {
  return state.endpoints.size === 0 || state.endpoints.has(`${method} ${path}`);
}

/**
 * Whether the signed-in person's role may call the endpoint.
 * @param {string} method
 * @param {string} path
 */
function can(method, path) {
  if (!state.me) return false;
  const required = state.endpoints.get(`${method} ${path}`);
  if (!required) return state.endpoints.size === 0;
  return required === 'public' || rank[state.me.role] >= rank[required];
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/attivita';
  const [path, search = ''] = raw.split('?');
  return { path, query: new URLSearchParams(search) };
}

/** @param {string} hash */
export function navigate(hash) {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

/** @param {string | undefined} active */
function renderHeader(active) {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  nav.replaceChildren();
  who.replaceChildren();
  if (!state.me) return;
  const links = navItems
    .filter((item) => can(...item.needs) || (item.showWhenMissing && !has(...item.needs)))
    .map((item) =>
      h(
        'li',
        null,
        h('a', { href: item.href, 'aria-current': item.id === active ? 'page' : undefined }, item.text),
      ),
    );
  nav.append(h('ul', null, links));
  who.append(
    h(
      'span',
      { class: 'who-name' },
      h('span', { class: 'visually-hidden' }, 'Accesso come '),
      state.me.name,
      h('span', { class: 'who-role' }, roleLabels[state.me.role] || state.me.role),
    ),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: logout }, 'Esci'),
  );
}

function logout() {
  session.clear();
  state.me = undefined;
  navigate('#/accesso');
}

/** @param {string} token */
async function signIn(token) {
  /** @type {Me} */
  const me = await api('/me', { token });
  session.token = token;
  state.me = me;
  return me;
}

async function render() {
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  const main = /** @type {HTMLElement} */ (document.getElementById('contenuto'));
  const { path, query } = parseHash();
  if (!path.startsWith('/')) return; // an in-page anchor
  const route = routes.find((r) => r.path.test(path));
  if (!route) {
    navigate('#/attivita');
    return;
  }
  if (!route.public && !state.me) {
    navigate(`#/accesso?dopo=${encodeURIComponent(`#${path}${query.toString() ? `?${query}` : ''}`)}`);
    return;
  }
  const params = /** @type {RegExpExecArray} */ (route.path.exec(path)).slice(1);
  renderHeader(route.nav);
  document.title = `${route.title} · Back office App IO`;
  main.replaceChildren(loading());
  main.setAttribute('aria-busy', 'true');
  /** @type {PageContext} */
  const ctx = {
    main,
    params,
    query,
    me: state.me,
    can,
    has,
    navigate,
    signal: controller.signal,
    signIn,
    logout,
    setTitle: (title) => {
      document.title = `${title} · Back office App IO`;
    },
    /** Replaces the page's query string (filters, paging) and renders again. */
    setQuery: (values) => {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(values))
        if (v !== undefined && v !== null && v !== '') next.set(k, String(v));
      const text = next.toString();
      navigate(`#${path}${text ? `?${text}` : ''}`);
    },
  };
  try {
    const content = await route.page(ctx);
    if (controller.signal.aborted) return;
    main.replaceChildren(...[content].flat().filter(Boolean));
  } catch (error) {
    if (controller.signal.aborted || /** @type {Error | undefined} */ (error)?.name === 'AbortError') return;
    main.replaceChildren(h('h1', { tabindex: '-1' }, route.title), problemBox(error));
  } finally {
    if (!controller.signal.aborted) main.removeAttribute('aria-busy');
  }
  restoreDrafts(location.hash, main);
  if (!state.firstRender) main.querySelector('h1')?.focus({ preventScroll: false });
  state.firstRender = false;
}

const DRAFTS_KEY = 'ioBackoffice.drafts';

/**
 * Keeps the page's forms as typed (by form id and field name; never files or passwords) for `hash`.
 * @param {string} hash
 */
function saveDrafts(hash) {
  /** @type {Record<string, [string, string, boolean][]>} */
  const forms = {};
  for (const form of document.querySelectorAll('#contenuto form[id]')) {
    const fields = [];
    for (const el of /** @type {HTMLFormElement} */ (form).elements) {
      const input = /** @type {HTMLInputElement} */ (el);
      if (!input.name || input.type === 'file' || input.type === 'password' || input.type === 'submit')
        continue;
      fields.push(/** @type {[string, string, boolean]} */ ([input.name, input.value, input.checked]));
    }
    if (fields.some(([, value, checked]) => value !== '' || checked)) forms[form.id] = fields;
  }
  if (Object.keys(forms).length > 0) sessionStorage.setItem(DRAFTS_KEY, JSON.stringify({ hash, forms }));
}

/**
 * Puts back the forms kept for this page, once.
 * @param {string} hash
 * @param {HTMLElement} main
 */
function restoreDrafts(hash, main) {
  const raw = sessionStorage.getItem(DRAFTS_KEY);
  if (!raw) return;
  /** @type {{ hash: string, forms: Record<string, [string, string, boolean][]> }} */
  const drafts = JSON.parse(raw);
  if (drafts.hash !== hash) return;
  sessionStorage.removeItem(DRAFTS_KEY);
  for (const [id, fields] of Object.entries(drafts.forms)) {
    const form = main.querySelector(`form#${CSS.escape(id)}`);
    if (!(form instanceof HTMLFormElement)) continue;
    for (const [name, value, checked] of fields) {
      for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
        const input = /** @type {HTMLInputElement} */ (el);
        if (input.type !== 'radio' && input.type !== 'checkbox') input.value = value;
        else if (input.value === value) input.checked = checked;
      }
    }
  }
}

async function start() {
  document.querySelector('.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    /** @type {HTMLElement} */ (document.getElementById('contenuto')).focus();
  });
  window.addEventListener('hashchange', () => void render());
  window.addEventListener('auth:expired', () => {
    if (!state.me) return;
    // What was being typed survives the new sign-in: the page comes back with its forms as they were.
    const back = location.hash;
    saveDrafts(back);
    session.clear();
    state.me = undefined;
    navigate(`#/accesso?scaduta=1&dopo=${encodeURIComponent(back)}`);
  });
  const endpoints = loadEndpoints();
  // A new tab of the same browser session gets the sign-in from an open tab (api.js), instead of asking again.
  const token = session.token || (await session.restore());
  if (token) {
    try {
      await signIn(token);
    } catch {
      session.clear();
    }
  }
  await endpoints;
  await render();
}

void start();
