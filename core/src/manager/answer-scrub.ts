import { Decimal } from 'decimal.js';
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

/** A payment source's ids: its id is the token a next payment sends, its gateway routes it. */
const SOURCE_IDENTIFIERS: ReadonlySet<string> = new Set(['id', 'gateway']);

/** A listPaymentSources answer: each source's id and gateway kept, the rest scrubbed. Not a list: scrubbed whole, for its check to refuse. */
export function scrubSources(answer: unknown, secrets: readonly string[], kept: IdentifierHoldsSecret): unknown {
  if (!Array.isArray(answer) || !answerHoldsSecret(answer, secrets)) return scrubAnswer(answer, secrets);
  return answer.map((source: unknown, index) => scrubExcept(source, SOURCE_IDENTIFIERS, secrets, kept, `[${index}].`, () => undefined));
}

/** The warning for an id holding a secret value (kept): names the field, never the value. */
export function secretInIdentifier(plugin: string, hook: string, field: string): string {
  return `Plugin "${plugin}" answered ${hook} with ${field} holding one of its secret configuration values; kept as it is (an id is never scrubbed: follow-up operations send it back)`;
}

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
 * holding a secret is reported) and what `special` reads itself. A secret inside
 * one of the kept ids is left where its free text quotes that id (a 3DS redirect
 * URL carrying the transaction id): the id is kept anyway, and rewritten there it
 * would break the customer's next step. Not a plain record (an array, a string):
 * scrubbed whole, for the answer's check to refuse.
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
  const entries = Object.entries(value);
  const keptIds: string[] = [];
  for (const [key, item] of entries) {
    // Only a text is an id: one that is not (an object, a number) is scrubbed like the rest.
    if (!identifiers.has(key) || typeof item !== 'string' || scrubSecrets(item, secrets) === item) continue;
    kept(path + key);
    // An id that is a secret itself protects nothing: its quotes are scrubbed.
    if (!secrets.includes(item)) keptIds.push(item);
  }
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const [key, item] of entries) {
    if (identifiers.has(key) && typeof item === 'string') {
      copy[key] = item;
      continue;
    }
    copy[scrubText(key, secrets, keptIds)] = (special(key, item) ?? { value: scrubKeeping(item, secrets, keptIds) }).value;
  }
  return copy;
}

/** As scrubAnswer's: deeper than this, a text holding a secret is cut. */
const MAX_SCRUB_DEPTH = 64;

/** `value` scrubbed as scrubAnswer does, but for the secrets inside an occurrence of one of `ids`. */
function scrubKeeping(value: unknown, secrets: readonly string[], ids: readonly string[]): unknown {
  if (ids.length === 0 || !answerHoldsSecret(value, secrets)) return scrubAnswer(value, secrets);
  return copyKeeping(value, secrets, ids, 0, new Map());
}

function copyKeeping(value: unknown, secrets: readonly string[], ids: readonly string[], depth: number, copies: Map<object, unknown>): unknown {
  if (typeof value === 'string') return scrubText(value, secrets, ids);
  if (typeof value !== 'object' || value === null || Decimal.isDecimal(value) || value instanceof Date) return value;
  // A Buffer (a body) is no place an id is quoted for use: scrubbed whole.
  if (Buffer.isBuffer(value)) return scrubAnswer(value, secrets);
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (depth >= MAX_SCRUB_DEPTH) return '[truncated]';
  // Registered before its fields are copied: a cycle back to it points at the copy.
  const copy: Record<string, unknown> = Array.isArray(value) ? ([] as unknown as Record<string, unknown>) : (Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>);
  copies.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[scrubText(key, secrets, ids)] = copyKeeping(item, secrets, ids, depth + 1, copies);
  return copy;
}

/**
 * `text` with each occurrence of a secret (or of its JSON-escaped form) replaced by [redacted],
 * but for one that lies wholly inside an occurrence of one of `ids`. Occurrences that overlap
 * are cut as one.
 */
function scrubText(text: string, secrets: readonly string[], ids: readonly string[]): string {
  const keep: Array<[number, number]> = [];
  for (const id of ids) for (let at = text.indexOf(id); at !== -1; at = text.indexOf(id, at + 1)) keep.push([at, at + id.length]);
  if (keep.length === 0) return scrubSecrets(text, secrets);
  const cut: Array<[number, number]> = [];
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    for (const needle of escaped === secret ? [secret] : [secret, escaped]) {
      for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
        const end = at + needle.length;
        if (!keep.some(([from, to]) => from <= at && end <= to)) cut.push([at, end]);
      }
    }
  }
  if (cut.length === 0) return text;
  cut.sort((a, b) => a[0] - b[0]);
  let out = '';
  let from = 0;
  for (const [at, end] of cut) {
    if (at >= from) out += `${text.slice(from, at)}${REDACTED}`;
    from = Math.max(from, end);
  }
  return out + text.slice(from);
}

const REDACTED = '[redacted]';
