// The checkout page's elements, its state, and the messages and steps shown on it.

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

export const el = {
  message: $('message'),
  notice: $('notice'),
  checkout: $('checkout'),
  checkoutTitle: $('checkout-title'),
  loading: $('loading'),
  channelsRetry: $('channels-retry'),
  form: $('checkout-form'),
  channel: $('channel'),
  currency: $('currency'),
  amount: $('amount'),
  amountHint: $('amount-hint'),
  gateways: $('gateways'),
  gatewaysEmpty: $('gateways-empty'),
  gatewaysRetry: $('gateways-retry'),
  dummyCard: $('dummy-card'),
  dummyUnavailable: $('dummy-unavailable'),
  dummyFields: $('dummy-fields'),
  cardNumber: $('card-number'),
  cardExpiry: $('card-expiry'),
  cardCvc: $('card-cvc'),
  cardName: $('card-name'),
  stripeCard: $('stripe-card'),
  stripeStatus: $('stripe-status'),
  unsupported: $('unsupported'),
  pay: $('pay'),
  tokenNote: $('token-note'),
  challenge: $('challenge'),
  challengeAmount: $('challenge-amount'),
  challengeId: $('challenge-id'),
  challengeComplete: $('challenge-complete'),
  challengeFail: $('challenge-fail'),
  challengeCancel: $('challenge-cancel'),
  result: $('result'),
  resultTitle: $('result-title'),
  resultSummary: $('result-summary'),
  resultFacts: $('result-facts'),
  resultNote: $('result-note'),
  resultStatus: $('result-status'),
  resultTotal: $('result-total'),
  resultCaptured: $('result-captured'),
  resultAuthorized: $('result-authorized'),
  resultGateway: $('result-gateway'),
  resultId: $('result-id'),
  transactions: /** @type {HTMLTableElement} */ ($('transactions')),
  tryAgain: $('try-again'),
  newPayment: $('new-payment'),
  cardFills: /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('button.card-fill')]),
  cardsHint: $('cards-hint'),
};

export const state = {
  /** @type {Array<{slug: string, name: string, currencies: string[], defaultGateways?: Record<string, string>}>} */
  channels: [],
  /** @type {Array<{id: string, name: string, currencies: string[], config: Array<{field: string, value: string}>}>} */
  gateways: [],
  /** The dummy tokenizer module: undefined while loading, null when unavailable. */
  tokenizer: undefined,
  /** Stripe.js objects for the chosen Stripe gateway. */
  stripe: null,
  /** The payment being confirmed (3-D Secure). */
  payment: null,
  /** An attempt whose answer never arrived: retried with the same Idempotency-Key. */
  pendingPay: null,
  pendingConfirm: null,
  /** A Cancel payment whose answer never arrived: retried with the same Idempotency-Key. */
  pendingCancel: null,
  /** A payment whose 3-D Secure step was left (Back) and that may still be open: the next Pay closes it first. */
  leftPayment: null,
  busy: false,
  /** A Pay or 3-D Secure answer is on its way: Back and Forward wait for it. */
  sending: false,
  gatewayRequest: 0,
};

/** The inputs the error on screen is about: it goes once none of them is marked invalid (markInvalid). */
let errorFields = [];

/**
 * Shows one message at a time: an error that needs the shopper's attention in
 * #message (role="alert"), information and progress (`kind` 'info') in #notice
 * (role="status", polite). #notice stays in the page, empty, so that screen
 * readers announce what is put in it. `fields`: the inputs an error is about.
 */
export function showMessage(text, kind = 'error', fields = []) {
  clearMessage();
  if (kind === 'info') {
    el.notice.textContent = text;
  } else {
    el.message.textContent = text;
    el.message.hidden = false;
    errorFields = fields;
  }
}

/** `text` ending as a sentence does, so that another can follow it. */
export const sentence = (text) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

export function clearMessage() {
  el.message.hidden = true;
  el.message.textContent = '';
  el.notice.textContent = '';
  errorFields = [];
}

/** The message on screen (#message or #notice), or null. */
export function shownMessage() {
  if (!el.message.hidden) return el.message;
  return el.notice.textContent ? el.notice : null;
}

/** Marks `input` as invalid or not; `text` is said under it (#<id>-error, which the input is described by). */
export function markInvalid(input, invalid, text = '') {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  const error = document.getElementById(`${input.id}-error`);
  if (error) {
    error.textContent = invalid ? text : '';
    error.hidden = !invalid || !text;
  }
  // The error at the top goes with the last of its fields' marks: it would only repeat what was fixed.
  // It is not rewritten for the fields left (an alert said again at each fix would interrupt the typing).
  if (!invalid && errorFields.includes(input) && errorFields.every((field) => field.getAttribute('aria-invalid') !== 'true')) {
    clearMessage();
  }
}

/**
 * The test cards fill the dummy card form: usable only while that form is on
 * screen and nothing is being sent. On 3-D Secure or a result they would fill
 * a hidden form (New payment or Try another card starts a new one).
 */
export function updateTestCards() {
  let reason = '';
  if (!el.checkout.hidden && state.busy) reason = 'Wait for the answer before choosing another card.';
  else if (!el.challenge.hidden) reason = 'Finish the 3-D Secure step first: the test cards fill the payment form.';
  else if (!el.result.hidden) reason = 'To pay with a test card, choose New payment first: the test cards fill the payment form.';
  else if (state.tokenizer === null) reason = 'Test cards need the dummy card form, which this server does not have.';
  else if (!el.gateways.querySelector('input[value="payhost.dummy"]')) reason = 'The dummy gateway is not offered for this channel and currency.';
  for (const button of el.cardFills) button.disabled = reason !== '';
  el.cardsHint.textContent = reason || 'Choose a card to fill the form.';
}

/** Shows one step of the page: 'checkout', 'challenge' or 'result'. */
export function show(step) {
  el.checkout.hidden = step !== 'checkout';
  el.challenge.hidden = step !== 'challenge';
  el.result.hidden = step !== 'result';
  updateTestCards();
}
