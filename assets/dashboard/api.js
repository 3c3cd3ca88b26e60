// The API as the dashboard calls it: the key from this tab's session storage, sent as the
// X-Api-Key header (never in a URL), and errors in the API's one shape.

const STORAGE = 'wa-gateway.api-key';

export const key = {
  get: () => sessionStorage.getItem(STORAGE),
  set: (value) => sessionStorage.setItem(STORAGE, value),
  clear: () => sessionStorage.removeItem(STORAGE),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called when the server no longer accepts the key (revoked, or the tab signed out). */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }
export function unauthorized(message) { onUnauthorized(message); }

/** Builds the request: JSON bodies as JSON, FormData as multipart (the browser sets the type). */
function request(method, body, signal, extra = {}) {
  const headers = { 'X-Api-Key': key.get() || '', ...extra };
  const init = { method, headers, signal, cache: 'no-store' };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return init;
}

/** Calls the API; resolves with the parsed body, rejects with an ApiError. */
export async function call(method, path, body, { signal, raw = false, headers } = {}) {
  const response = await fetch(path, request(method, body, signal, headers));
  if (!response.ok) throw await failure(response);
  if (raw) return response;
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

async function failure(response) {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || 'Request failed';
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch { /* not JSON: keep the status line */ }
  if (response.status === 401) unauthorized(message);
  return new ApiError(response.status, code, message);
}

export const get = (path, opts) => call('GET', path, undefined, opts);
export const post = (path, body, opts) => call('POST', path, body, opts);
export const put = (path, body, opts) => call('PUT', path, body, opts);
export const del = (path, opts) => call('DELETE', path, undefined, opts);

export const enc = encodeURIComponent;
