// Calls to the back office API: bearer token from sessionStorage, Idempotency-Key on writes, Problem JSON errors.

const TOKEN_KEY = 'ioBackoffice.token';
const BASE = '/api/v1';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  },
  set token(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An error answered by the API (Problem JSON) or by the network. */
export class ApiError extends Error {
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
 */
export async function api(path, options = {}) {
  const { method = 'GET', body, form, query, token = session.token, signal, idempotencyKey } = options;
  const headers = { Accept: 'application/json, application/problem+json, text/csv' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['Idempotency-Key'] = idempotencyKey || newIdempotencyKey();
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
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, {
      title: 'Server non raggiungibile',
      detail: 'Controlla la connessione e riprova.',
    });
  }
  const type = response.headers.get('content-type') || '';
  if (!response.ok) {
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
  if (response.status === 204) return undefined;
  if (type.includes('json')) return response.json();
  return response.text();
}

/** Downloads an authenticated resource (the CSV export) as a file. */
export async function download(path, filename, query) {
  const text = await api(path, { query });
  const blob = new Blob([text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
