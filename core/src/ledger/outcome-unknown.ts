import type { Decimal } from 'decimal.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import { isTransactionKind } from '../contracts/transaction-kind.js';
import { minorUnits } from '../money/currency.js';
import { ANSWER_KINDS, type PaymentOperation } from './operations.js';
import type { Transaction } from './model.js';
import { normalizeResponse, readAmount, type NormalizedResponse, type ResponseLike } from './records.js';
import { maskEmbedded } from './redact.js';

/**
 * True when a failed response says the processor may have acted anyway: the
 * plugin timed out, or the plugin marked it (`rawResponse.outcome_unknown`,
 * e.g. its own request timed out, the connection dropped, or a 5xx after the
 * request was sent). Such a response must never be recorded as a final
 * failure: that would free the reserved amount and let a retry under a new
 * key charge twice. Nor is the call over: the processor may still act on the
 * request the plugin gave up on, so a status check's "no record" of it is
 * final only once it is old enough. A request that never left (connection
 * refused before any byte) is a plain failure, not marked.
 */
export function isOutcomeUnknown(response: GatewayResponse): boolean {
  return !response.isSuccess && response.rawResponse?.['outcome_unknown'] === true;
}

/** The longest text a held row takes from one gateway answer (a plugin's error may be a whole HTML page). */
export const MAX_HELD_TEXT = 2000;
/** The longest status check text kept beside the first reason. */
export const MAX_STATUS_CHECK_TEXT = 1000;
/** What separates a held row's first reason from the latest status check's answer (never inside that answer). */
const STATUS_CHECK = '; status check: ';

/**
 * A row about to be held for review (markReview) with `reason`, and what the call's own answer that could not
 * tell (outcome_unknown) knows: "<reason>. The gateway said: <error>. Gateway reference: <ref>.", the whole text
 * masked (a card number in the error or the reference is never stored) and at most MAX_HELD_TEXT, only the
 * error cut (a plugin's error may be a whole HTML page: the reference, which processor object to act on, stays),
 * and its raw response (redacted) on the row, for the person who resolves it (which processor object, what to do
 * there), less a top-level `statusCheck` key: that one is core's (withStatusCheck), never the plugin's.
 * The row's references stay as they are: they match events and claims, which only a recorded outcome may.
 */
export function heldWithAnswer(row: Transaction, reason: string, answer: GatewayResponse | null | undefined): { row: Transaction; reason: string } {
  if (!answer || !isOutcomeUnknown(answer)) return { row, reason };
  const r = normalizeResponse(answer, { kind: row.kind, amount: row.amount });
  const lead = maskEmbedded(reason);
  const told = answerText(answer, r, MAX_HELD_TEXT - lead.length - 2);
  const raw = r.rawResponse === null ? row.rawResponse : withoutStatusCheck(r.rawResponse);
  return { row: { ...row, rawResponse: raw }, reason: told === '' ? bounded(lead, MAX_HELD_TEXT) : bounded(`${lead}. ${told}`, MAX_HELD_TEXT) };
}

/** A plugin's raw response without its own top-level `statusCheck` (it would pass for core's: withStatusCheck). */
function withoutStatusCheck(raw: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(raw, 'statusCheck')) return raw;
  const { statusCheck: _dropped, ...rest } = raw;
  return rest;
}

/**
 * `held` (a row held for review and its reason) with what a status check that could not tell (outcome_unknown)
 * says put beside its first reason, never over it: "<first reason>; status check: <error, reference>" (the first
 * reason's final "." dropped once, on the first pass), the status check's part replaced (not added to) by each
 * later one, and its raw response kept as the raw response's `statusCheck` ({ said, rawResponse }), the first
 * raw response's fields kept (e.g. an incoherent answer's evidence). Unchanged for any other answer, or one that
 * says nothing.
 */
export function withStatusCheck(held: { row: Transaction; reason: string }, status: GatewayResponse | null | undefined): { row: Transaction; reason: string } {
  if (!status || !isOutcomeUnknown(status)) return held;
  const r = normalizeResponse(status, { kind: held.row.kind, amount: held.row.amount });
  const said = answerText(status, r, MAX_STATUS_CHECK_TEXT, (text) => text.replaceAll(STATUS_CHECK, ', status check: '));
  if (said === '' && r.rawResponse === null) return held;
  const raw = held.row.rawResponse ?? {};
  const before = raw['statusCheck'];
  const earlier = typeof before === 'object' && before !== null && typeof (before as { said?: unknown }).said === 'string' ? (before as { said: string }).said : null;
  // The previous status check's text, when it is what ends the reason, goes: replaced, not piled up pass after pass.
  // Its first reason lost its final "." on the first pass: no other is dropped (a pass each would eat "...").
  const replaced = earlier !== null && held.reason.endsWith(`${STATUS_CHECK}${earlier}`);
  const first = replaced ? held.reason.slice(0, held.reason.length - STATUS_CHECK.length - earlier.length) : sentence(held.reason);
  return {
    row: { ...held.row, rawResponse: { ...raw, statusCheck: { said, rawResponse: r.rawResponse } } },
    reason: said === '' ? (replaced ? first : held.reason) : `${first}${STATUS_CHECK}${said}`,
  };
}

/** `reason` without the one "." that ends it as a sentence (core's own); an ellipsis ("...") is kept. */
function sentence(reason: string): string {
  return reason.endsWith('.') && !reason.endsWith('..') ? reason.slice(0, -1) : reason;
}

/**
 * "The gateway said: <error>. Gateway reference: <ref>." of an outcome_unknown answer, or '' when it says neither
 * (or `max` leaves no room), masked and at most `max` long: only the error is cut, to the room the rest leaves (the
 * reference is cut only past half of `max`). `edit` (e.g. a separator replaced) applies to both before the cut.
 */
function answerText(answer: GatewayResponse, r: NormalizedResponse, max: number, edit: (text: string) => string = (text) => text): string {
  if (max <= 0) return '';
  const ref = r.transactionId ?? r.pspReference;
  // r.error: the whole plugin error masked (normalizeResponse: before any cut, so none splits a card number),
  // storable text (a NUL or a lone surrogate replaced). Bounded first, so what follows reads little of it.
  let error = typeof answer.error === 'string' && answer.error !== '' && r.error !== null ? edit(bounded(r.error, max)) : null;
  while (error !== null && error !== '' && (error.endsWith('.') || error.endsWith(' ') || error.endsWith('\n'))) error = error.slice(0, -1);
  const reference = ref === null ? null : `Gateway reference: ${bounded(edit(maskEmbedded(ref)), Math.max(1, Math.floor(max / 2)))}.`;
  const said = error === null ? null : `The gateway said: ${bounded(error, Math.max(1, max - 'The gateway said: .'.length - (reference === null ? 0 : reference.length + 1)))}.`;
  return bounded([said, reference].filter((t) => t !== null).join(' '), max);
}

/** `text` cut to at most `max` UTF-16 units with an ellipsis, never between the halves of a surrogate pair. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Why a successful answer cannot be the outcome of `operation` on a payment
 * in `currency`: no transaction kind or no readable amount (nothing to count),
 * a kind that does not answer the operation (a refund answered with a capture), a refund in progress without the gateway transaction id
 * its settling event will name, more than was asked for, an amount finer
 * than the currency's minor unit, or another currency. Null when it can be. A plugin bug,
 * not a processor's verdict: the ledger does not count it.
 */
export function incoherentAnswer(operation: PaymentOperation, currency: string, response: GatewayResponse, requested: Decimal): string | null {
  if (response.isSuccess !== true) return null;
  // A success is counted with its own kind and amount: without them the ledger would have to guess what moved.
  if (!isTransactionKind(response.kind)) {
    return `The gateway plugin answered a ${operation} with a success of unknown kind ${describe(response.kind)}`;
  }
  if (!ANSWER_KINDS[operation].has(response.kind)) {
    return `The gateway plugin answered a ${operation} with a successful ${response.kind} transaction`;
  }
  // What settles an ongoing refund is the processor's event for the same gateway transaction.
  if (response.kind === 'refund_ongoing' && (typeof response.transactionId !== 'string' || response.transactionId === '')) {
    return 'The gateway plugin reported a refund in progress without its transaction id: it could never be settled';
  }
  return incoherentAmount(operation, currency, response, requested);
}

/**
 * Why the amount of a success cannot be counted for `operation` on a payment in `currency`, where
 * the ledger counts at most `limit`: none readable, more than `limit`, finer than the currency's
 * minor unit, or another currency. Null when it can be. For a plugin's answer (incoherentAnswer) and
 * for a processor event (`source: 'event'`: the inbox refuses the unreadable, the too fine and
 * another currency before it asks, so only "more than `limit`" is left; webhook-inbox.ts).
 */
export function incoherentAmount(operation: PaymentOperation, currency: string, response: Pick<ResponseLike, 'amount' | 'currency'>, limit: Decimal, source: 'answer' | 'event' = 'answer'): string | null {
  const who = source === 'answer' ? 'The gateway plugin answered' : 'A processor event reports';
  // The ledger reserved and checked `limit`: counting more would capture past the authorization or refund past the capture.
  const amount = readAmount(response.amount);
  if (amount === null) {
    return `${who} a ${operation} with the amount ${describe(response.amount)}, not a non-negative decimal`;
  }
  if (amount.gt(limit)) {
    return source === 'answer'
      ? `The gateway plugin answered a ${operation} of ${limit.toFixed()} with ${amount.toFixed()}`
      : `A processor event reports ${amount.toFixed()} ${currency} for a ${operation} the ledger can count ${limit.toFixed()} for: held for review, nothing counted; record what the processor did`;
  }
  // No processor moves a fraction of a cent: such an amount is a conversion bug (minor units through a float).
  if (amount.decimalPlaces() > minorUnits(currency)) {
    return `${who} ${amount.toFixed()} ${currency}, with more decimal places than ${currency} has (${minorUnits(currency)})`;
  }
  const answered = response.currency;
  if (typeof answered === 'string' && answered !== '' && answered.toUpperCase() !== currency) {
    return `${source === 'answer' ? who : `${who} an amount`} in ${answered} for a payment in ${currency}`;
  }
  return null;
}

/** A plugin's value as a log line can show it: short, and never a whole object (it may hold anything). */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return `of type ${typeof value}`;
}

/**
 * An incoherent answer as the ledger takes it: the processor may have acted,
 * but not as the answer says. A failure of unknown outcome, so the gateway is
 * asked again (getTransactionStatus) and the transaction otherwise held for
 * review with its amount reserved; the answer is kept for the person who looks.
 */
export function asOutcomeUnknown(response: GatewayResponse, reason: string): GatewayResponse {
  return {
    ...response,
    isSuccess: false,
    actionRequired: false,
    errorCode: 'processing_error',
    error: reason,
    rawResponse: { incoherentAnswer: { reason, response: response.rawResponse ?? null }, outcome_unknown: true },
  };
}
