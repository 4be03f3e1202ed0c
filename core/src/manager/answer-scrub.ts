import { answerHoldsSecret, scrubAnswer, scrubSecrets } from './secret-scrub.js';

// Scrubbing a plugin's money answer: its free text only. Its identifiers are sent back to the processor
// (a capture sends the authorization's transactionId/pspReference as its token) and matched by the
// ledger and the webhook inbox, so a rewritten one could leave authorized money that can never be
// captured: a short secret (a 6-digit PIN) may well occur inside a processor's numeric id.

/**
 * A GatewayResponse's processor ids: kept as the plugin gave them. Nothing else is: its kind, amount,
 * currency and errorCode are scrubbed like its free text, since a wrong one is quoted into log lines
 * and error messages (an unknown kind, a currency mismatch, an amount that reads as none).
 */
const RESPONSE_IDENTIFIERS: ReadonlySet<string> = new Set(['transactionId', 'pspReference', 'customerId']);

/** A GatewayEvent's ids (its `response` is a GatewayResponse, read as one; its type and occurredAt are scrubbed). */
const EVENT_IDENTIFIERS: ReadonlySet<string> = new Set(['eventId', 'paymentId', 'pspReference', 'gatewayIdempotencyKey']);

const NO_IDENTIFIERS: ReadonlySet<string> = new Set();

/** Told the path of an identifier that holds a secret value (kept as it is): for a warning naming the field, never the value. */
export type IdentifierHoldsSecret = (field: string) => void;

/**
 * A GatewayResponse with the plugin's secrets scrubbed out of every field
 * but its ids (error, rawResponse, actionRequiredData, cardInfo, kind, amount,
 * currency, errorCode, any other field), its ids kept. The same value when nothing is scrubbed. Throws what a getter throws.
 */
export function scrubResponse(answer: unknown, secrets: readonly string[], kept: IdentifierHoldsSecret, path = ''): unknown {
  return scrubExcept(answer, RESPONSE_IDENTIFIERS, secrets, kept, path, () => undefined);
}

/** A webhook answer: status, body and headers scrubbed whole; each event's ids kept, its response read as above. */
export function scrubWebhookAnswer(answer: unknown, secrets: readonly string[], kept: IdentifierHoldsSecret): unknown {
  return scrubExcept(answer, NO_IDENTIFIERS, secrets, kept, '', (key, item) => {
    if (key !== 'events' || !Array.isArray(item)) return undefined;
    let changed = false;
    const events = item.map((event: unknown, index) => {
      const out = scrubExcept(event, EVENT_IDENTIFIERS, secrets, kept, `events[${index}].`, (field, value) => (field === 'response' ? { value: scrubResponse(value, secrets, kept, `events[${index}].response.`) } : undefined));
      if (out !== event) changed = true;
      return out;
    });
    return { value: changed ? events : item };
  });
}

/**
 * `value`'s own fields scrubbed, but for `identifiers` holding text (kept; one
 * holding a secret is reported) and what `special` reads itself. Not a plain record
 * (an array, a string): scrubbed whole, for the answer's check to refuse.
 */
function scrubExcept(
  value: unknown,
  identifiers: ReadonlySet<string>,
  secrets: readonly string[],
  kept: IdentifierHoldsSecret,
  path: string,
  special: (key: string, item: unknown) => { value: unknown } | undefined,
): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return scrubAnswer(value, secrets);
  // The usual answer holds no secret: handed over as it is, nothing copied.
  if (!answerHoldsSecret(value, secrets)) return value;
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) {
    // Only a text is an id: one that is not (an object, a number) is scrubbed like the rest.
    if (identifiers.has(key) && typeof item === 'string') {
      if (scrubSecrets(item, secrets) !== item) kept(path + key);
      copy[key] = item;
      continue;
    }
    copy[scrubSecrets(key, secrets)] = (special(key, item) ?? { value: scrubAnswer(item, secrets) }).value;
  }
  return copy;
}
