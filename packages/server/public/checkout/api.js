// The checkout's calls to the server's public checkout API.

export class ApiError extends Error {
  constructor(code, message, status = 0, details = undefined) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** A v4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls the checkout API (relative to /checkout/). A request that never got an
 * answer is retried once: GETs are safe, and POSTs carry an Idempotency-Key.
 */
export async function api(method, path, { body, key } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(`api/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      break;
    } catch {
      if (attempt >= 1 || (method !== 'GET' && !key)) {
        throw new ApiError('network_error', 'The server could not be reached. Check your connection and try again.');
      }
      await sleep(500);
    }
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    // not JSON: handled below
  }
  if (!response.ok) {
    throw new ApiError(json?.code ?? 'http_error', json?.message ?? `The server answered ${response.status}.`, response.status, json?.details);
  }
  return json;
}
