// @ts-check
// Calls to the back office API: bearer token from sessionStorage, Idempotency-Key on writes, Problem JSON errors.

// The API's types, generated from its OpenAPI document (npm run gen:console-types). A page names what it reads:
//   /** @type {import('../api.js').ApiResponse<'/comuni'>} */ const data = await api('/comuni', …);
//   /** @typedef {import('../api.js').Schemas['ComuneListItem']} ComuneListItem */
/** @typedef {import('./api-types').paths} paths */
/** @typedef {import('./api-types').components['schemas']} Schemas */
/** @typedef {Schemas['ComuneListItem']} ComuneListItem */
/**
 * The JSON of a successful answer to `method` on `path`, the path written as in the OpenAPI document
 * (`/comuni/{ipa}`).
 * @template {keyof paths} P
 * @template {HttpMethod & keyof paths[P]} [M='get']
 * @typedef {SuccessJson<paths[P][M]>} ApiResponse
 */
/** @typedef {'get' | 'post' | 'put' | 'patch' | 'delete'} HttpMethod */
/**
 * @template Operation
 * @typedef {Operation extends { responses: infer R }
 *   ? { [S in keyof R]: S extends 200 | 201 | 202 ? JsonContent<R[S]> : never }[keyof R]
 *   : never} SuccessJson
 */
/**
 * @template Response
 * @typedef {Response extends { content: { 'application/json': infer J } } ? J : never} JsonContent
 */
/**
 * A Problem JSON (RFC 9457) as the API answers it; the console's own (network errors) carry fewer fields.
 * @typedef {Partial<paths['/comuni']['get']['responses'][400]['content']['application/problem+json']>} Problem
 */
/**
 * What a call to api() rejects with: an ApiError, or the AbortError of a cancelled call.
 * @typedef {{ name?: string, status?: number, problem?: Problem }} Failure
 */
/**
 * @typedef {object} ApiOptions
 * @property {string} [method] `GET` unless given.
 * @property {unknown} [body] Sent as JSON.
 * @property {FormData} [form] Sent as multipart.
 * @property {Record<string, string | number | boolean | null | undefined>} [query] Empty values are left out.
 * @property {string} [token] The session's unless given (`''`: none).
 * @property {AbortSignal} [signal]
 * @property {string} [idempotencyKey] For writes; a new one unless given.
 */

const TOKEN_KEY = 'ioBackoffice.token';
const BASE = '/api/v1';

/**
 * The sign-in lasts for the browser session: kept in each tab's sessionStorage (gone when the browser closes) and
 * handed to a new tab of the same browser by an open one over a BroadcastChannel, so Ctrl+click does not ask for
 * the token again. Signing out in one tab signs out every tab.
 */
const channel =
  typeof BroadcastChannel === 'function' ? new BroadcastChannel('ioBackoffice.session') : undefined;
channel?.addEventListener('message', (event) => {
  const message = /** @type {{ type?: string, token?: string }} */ (event.data ?? {});
  const own = sessionStorage.getItem(TOKEN_KEY);
  if (message.type === 'ask' && own) channel.postMessage({ type: 'token', token: own });
  // Signing out (or a token found revoked) in one tab signs out the tabs holding that same token, no other.
  if (message.type === 'clear' && own && message.token === own) sessionStorage.removeItem(TOKEN_KEY);
});

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  },
  set token(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  clear() {
    const own = sessionStorage.getItem(TOKEN_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    if (own) channel?.postMessage({ type: 'clear', token: own });
  },
  /**
   * A new tab without a token asks the browser's other tabs for theirs; resolves to the token, or '' when no
   * open tab answers within `waitMs`.
   * @param {number} [waitMs]
   * @returns {Promise<string>}
   */
  restore(waitMs = 400) {
    const own = sessionStorage.getItem(TOKEN_KEY);
    if (own || !channel) return Promise.resolve(own ?? '');
    const asking = channel;
    return new Promise((resolve) => {
      /** @param {MessageEvent} event */
      const onMessage = (event) => {
        const message = /** @type {{ type?: string, token?: string }} */ (event.data ?? {});
        if (message.type !== 'token' || !message.token) return;
        asking.removeEventListener('message', onMessage);
        clearTimeout(timer);
        sessionStorage.setItem(TOKEN_KEY, message.token);
        resolve(message.token);
      };
      const timer = setTimeout(() => {
        asking.removeEventListener('message', onMessage);
        resolve('');
      }, waitMs);
      asking.addEventListener('message', onMessage);
      asking.postMessage({ type: 'ask' });
    });
  },
};

/** An error answered by the API (Problem JSON) or by the network. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer).
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `Errore ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** A random key for `Idempotency-Key` (crypto.randomUUID needs a secure context: fall back to getRandomValues). */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @param {ApiOptions['query']} query */
function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * One API call. `body` is sent as JSON, `form` (FormData) as multipart. Writes carry `idempotencyKey` (or a new one).
 * Resolves to the parsed JSON (or text for CSV); rejects with ApiError. A 401 also fires `auth:expired`.
 * `T` is what the caller declares it reads (see ApiResponse), unchecked at run time.
 * @template [T=unknown]
 * @param {string} path Below /api/v1, e.g. `/comuni/c_l378`.
 * @param {ApiOptions} [options]
 * @returns {Promise<T>}
 */
export async function api(path, options = {}) {
  const { method = 'GET', body, form, query, token = session.token, signal, idempotencyKey } = options;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json, application/problem+json, text/csv' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['Idempotency-Key'] = idempotencyKey || newIdempotencyKey();
  /** @type {BodyInit | undefined} */
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`${BASE}${path}${queryString(query)}`, { method, headers, body: payload, signal });
  } catch (err) {
    if (err && /** @type {{ name?: unknown }} */ (err).name === 'AbortError') throw err;
    throw new ApiError(0, {
      title: 'Server non raggiungibile',
      detail: 'Controlla la connessione e riprova.',
    });
  }
  const type = response.headers.get('content-type') || '';
  if (!response.ok) {
    /** @type {Problem} */
    let problem = { title: `Errore ${response.status}` };
    if (type.includes('json')) {
      try {
        problem = await response.json();
      } catch {
        problem = { title: `Errore ${response.status}`, detail: 'Risposta non leggibile dal server.' };
      }
    }
    if (response.status === 401 && token === session.token) {
      window.dispatchEvent(new CustomEvent('auth:expired', { detail: problem }));
    }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return /** @type {T} */ (undefined);
  if (type.includes('json')) return response.json();
  return /** @type {Promise<T>} */ (/** @type {unknown} */ (response.text()));
}

/**
 * Downloads an authenticated resource (the CSV export) as a file.
 * @param {string} path
 * @param {string} filename
 * @param {ApiOptions['query']} [query]
 */
export async function download(path, filename, query) {
  /** @type {string} */
  const text = await api(path, { query });
  // Reading the answer as text drops its UTF-8 mark, which spreadsheet programs need to read accents («Pinè»): put
  // it back. The file name carries the day of the export.
  const blob = new Blob(['\ufeff', text.replace(/^\ufeff/, '')], { type: 'text/csv;charset=utf-8' });
  const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome' }).format(new Date());
  filename = filename.replace(/(\.[a-z]+)$/, `-${day}$1`);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
