// The checkout's calls to the server's public checkout API.

export class ApiError extends Error {
  constructor(code, message, status = 0, details = undefined) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /**
   * Whether the server itself refused the request (a 4xx with its JSON error
   * body), so a POST surely did nothing more. A missing, unreadable or 5xx
   * answer (a proxy's 504, 502 outcome_unknown) may follow a charge, and
   * payment_busy means the same key is still in flight.
   */
  get definite() {
    return this.status >= 400 && this.status < 500 && this.fromServer === true && this.code !== 'payment_busy';
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

/**
 * What an error status means to a shopper, for an answer without the server's
 * JSON error body: most often a proxy's own error page (HTML) in front of the server.
 */
export function statusInWords(status) {
  const code = `(HTTP ${status})`;
  if (status === 502) return `The server could not be reached: the proxy in front of it got no valid answer ${code}.`;
  if (status === 503) return `The server is unavailable at the moment ${code}.`;
  if (status === 504) return `The server took too long to answer: the proxy in front of it gave up waiting ${code}.`;
  if (status === 429) return `Too many requests: wait a moment before trying again ${code}.`;
  if (status >= 500) return `The server ran into an error ${code}.`;
  return `The request was refused ${code}.`;
}

/** Marks the failure of an idempotent POST whose outcome is unknown: it may have been carried out. */
function settle(err, key) {
  err.outcomeUnknown = Boolean(key) && !err.definite;
  return err;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long the page waits for an answer (headers and body). A POST may wait for the gateway up to the
 * server's hook time limit (30 s by default) and for the database; a read answers at once.
 */
export const TIMEOUT_MS = { read: 20_000, write: 90_000 };

/** fetch() with a time limit; a request cut off by it rejects with `timedOut` set. */
async function fetchWithin(url, init, ms) {
  const controller = new AbortController();
  // setTimeout, not AbortSignal.timeout(): it is the same in every browser, and a test clock can drive it.
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    // The body is read within the same limit: a server can hang after its headers.
    const text = await response.text();
    return { response, text };
  } catch (error) {
    if (controller.signal.aborted) error.timedOut = true;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls the checkout API (relative to /checkout/). A request that never got an
 * answer, or not within TIMEOUT_MS, is retried once: GETs are safe, and POSTs
 * carry an Idempotency-Key.
 */
export async function api(method, path, { body, key } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' };
  let response;
  let text;
  for (let attempt = 0; ; attempt++) {
    try {
      ({ response, text } = await fetchWithin(`api/${path}`, init, method === 'GET' ? TIMEOUT_MS.read : TIMEOUT_MS.write));
      break;
    } catch (error) {
      if (attempt >= 1 || (method !== 'GET' && !key)) {
        throw settle(
          error?.timedOut
            ? new ApiError('timeout', 'The server did not answer in time. Check your connection and try again.')
            : new ApiError('network_error', 'The server could not be reached. Check your connection and try again.'),
          key,
        );
      }
      await sleep(500);
    }
  }
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: handled below
  }
  if (!response.ok) {
    const fromServer = typeof json?.code === 'string';
    const message = fromServer && typeof json.message === 'string' ? json.message : statusInWords(response.status);
    const err = new ApiError(fromServer ? json.code : 'http_error', message, response.status, fromServer ? json.details : undefined);
    err.fromServer = fromServer;
    throw settle(err, key);
  }
  if (json === null || typeof json !== 'object') {
    // A 2xx whose body was lost: the request may well have been carried out.
    throw settle(new ApiError('unreadable_answer', `The server's answer (${response.status}) could not be read.`, response.status), key);
  }
  return json;
}
