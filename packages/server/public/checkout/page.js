// The checkout page's elements, its state, and the messages and steps shown on it.

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

export const el = {
  message: $('message'),
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
  busy: false,
  /** A Pay or 3-D Secure answer is on its way: Back and Forward wait for it. */
  sending: false,
  gatewayRequest: 0,
};

export function showMessage(text, kind = 'error') {
  el.message.textContent = text;
  el.message.className = kind === 'info' ? 'message info' : 'message';
  el.message.hidden = false;
}

export function clearMessage() {
  el.message.hidden = true;
  el.message.textContent = '';
}

export function markInvalid(input, invalid) {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Shows one step of the page: 'checkout', 'challenge' or 'result'. */
export function show(step) {
  el.checkout.hidden = step !== 'checkout';
  el.challenge.hidden = step !== 'challenge';
  el.result.hidden = step !== 'result';
}
