// payhost demo checkout: a plain ES module, no build step, no third-party code
// except Stripe.js, which is loaded only when a Stripe gateway is chosen.
//
// Card data never leaves this page: the dummy gateway's card form is turned
// into a token by tokenizeCard() (served from @payhost/plugin-dummy/browser),
// and Stripe's card field lives in Stripe's own frame. Only tokens are posted.

const DUMMY_GATEWAY = 'payhost.dummy';
const STRIPE_GATEWAY = 'payhost.stripe';
const STRIPE_JS = 'https://js.stripe.com/v3';
const AMOUNT = /^[0-9]{1,15}(\.[0-9]{1,4})?$/;

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

const el = {
  message: $('message'),
  checkout: $('checkout'),
  loading: $('loading'),
  form: $('checkout-form'),
  channel: $('channel'),
  currency: $('currency'),
  amount: $('amount'),
  gateways: $('gateways'),
  gatewaysEmpty: $('gateways-empty'),
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

const state = {
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
  gatewayRequest: 0,
};

class ApiError extends Error {
  constructor(code, message, status = 0, details = undefined) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** A v4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
function uuid() {
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
async function api(method, path, { body, key } = {}) {
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

// ---------------------------------------------------------------- messages

function showMessage(text, kind = 'error') {
  el.message.textContent = text;
  el.message.className = kind === 'info' ? 'message info' : 'message';
  el.message.hidden = false;
}

function clearMessage() {
  el.message.hidden = true;
  el.message.textContent = '';
}

function markInvalid(input, invalid) {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// ---------------------------------------------------------------- selection

function selectedChannel() {
  return state.channels.find((c) => c.slug === el.channel.value) ?? null;
}

function selectedGateway() {
  const checked = el.gateways.querySelector('input[name="gateway"]:checked');
  return checked ? (state.gateways.find((g) => g.id === checked.value) ?? null) : null;
}

function configValue(gateway, ...fields) {
  for (const field of fields) {
    const entry = gateway.config.find((c) => c.field === field && c.value);
    if (entry) return entry.value;
  }
  return null;
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function renderChannels() {
  el.channel.replaceChildren(...state.channels.map((c) => option(c.slug, c.name && c.name !== c.slug ? `${c.name} (${c.slug})` : c.slug)));
  onChannelChange();
}

function onChannelChange() {
  const channel = selectedChannel();
  el.currency.replaceChildren(...(channel?.currencies ?? []).map((code) => option(code, code)));
  clearMessage();
  void loadGateways();
}

async function loadGateways() {
  const channel = selectedChannel();
  const currency = el.currency.value;
  const request = ++state.gatewayRequest;
  state.gateways = [];
  el.gateways.replaceChildren();
  el.gatewaysEmpty.hidden = true;
  updateForm();
  if (!channel || !currency) return;
  try {
    const { gateways } = await api('GET', `channels/${encodeURIComponent(channel.slug)}/gateways?currency=${encodeURIComponent(currency)}`);
    if (request !== state.gatewayRequest) return; // the choice changed meanwhile
    state.gateways = gateways;
    renderGateways(channel.defaultGateways?.[currency]);
  } catch (err) {
    if (request === state.gatewayRequest) showMessage(`Could not load the gateways: ${err.message}`);
  }
}

function renderGateways(preferred) {
  const choice = state.gateways.find((g) => g.id === preferred) ?? state.gateways[0];
  el.gateways.replaceChildren(
    ...state.gateways.map((gateway) => {
      const label = document.createElement('label');
      label.className = 'gateway';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'gateway';
      input.value = gateway.id;
      input.checked = gateway === choice;
      input.addEventListener('change', () => {
        clearMessage();
        updateForm();
      });
      const name = document.createElement('span');
      name.textContent = gateway.name;
      const id = document.createElement('span');
      id.className = 'gateway-id';
      id.textContent = gateway.id;
      label.append(input, name, id);
      return label;
    }),
  );
  if (state.gateways.length === 0) {
    el.gatewaysEmpty.textContent = `No active gateway takes ${el.currency.value} in this channel.`;
    el.gatewaysEmpty.hidden = false;
  }
  updateForm();
}

/** Shows the card form of the chosen gateway and enables Pay when a payment can be made. */
function updateForm() {
  const gateway = selectedGateway();
  const kind = gateway?.id === DUMMY_GATEWAY ? 'dummy' : gateway?.id === STRIPE_GATEWAY ? 'stripe' : gateway ? 'other' : 'none';
  el.dummyCard.hidden = kind !== 'dummy';
  el.stripeCard.hidden = kind !== 'stripe';
  el.unsupported.hidden = kind !== 'other';
  if (kind === 'other') el.unsupported.textContent = `This demo page has no payment form for ${gateway.name} (${gateway.id}).`;
  if (kind === 'dummy') {
    el.dummyUnavailable.hidden = state.tokenizer !== null;
    el.dummyFields.hidden = state.tokenizer === null;
  }
  if (kind === 'stripe') void setupStripe(gateway);

  let ready = !state.busy;
  if (kind === 'dummy') ready &&= Boolean(state.tokenizer);
  else if (kind === 'stripe') ready &&= Boolean(state.stripe?.ready && state.stripe.gateway === gateway.id);
  else ready = false;
  el.pay.disabled = !ready;
  if (!state.busy) {
    const amount = el.amount.value.trim();
    el.pay.textContent = AMOUNT.test(amount) && el.currency.value ? `Pay ${amount} ${el.currency.value}` : 'Pay';
  }
}

// ---------------------------------------------------------------- dummy card form

async function loadTokenizer() {
  try {
    const module = await import('./vendor/dummy-tokens.js');
    if (typeof module.tokenizeCard !== 'function') throw new Error('tokenizeCard is missing');
    state.tokenizer = module;
  } catch {
    state.tokenizer = null;
  }
  updateForm();
}

function formatCardNumber() {
  const digits = el.cardNumber.value.replace(/\D/g, '').slice(0, 19);
  el.cardNumber.value = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function formatExpiry(event) {
  if (event.inputType?.startsWith('delete')) return;
  const digits = el.cardExpiry.value.replace(/\D/g, '').slice(0, 6);
  el.cardExpiry.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
}

/** Reads the card form and tokenizes it here, in the browser. */
function dummyToken() {
  const number = el.cardNumber.value.replace(/[\s-]/g, '');
  const expiry = el.cardExpiry.value.trim();
  const cvc = el.cardCvc.value.trim();
  const missing = [
    [el.cardNumber, number, 'the card number'],
    [el.cardExpiry, expiry, 'the expiry date'],
    [el.cardCvc, cvc, 'the CVC'],
  ].filter(([input, value]) => {
    markInvalid(input, value === '');
    return value === '';
  });
  if (missing.length > 0) {
    missing[0][0].focus();
    throw new ApiError('invalid_card', `Enter ${missing.map(([, , what]) => what).join(', ')}.`);
  }
  // "MM/YY" or "MM/YYYY"; anything else becomes a token the gateway refuses as an invalid expiry.
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry);
  return state.tokenizer.tokenizeCard(number, match ? match[1] : '', match ? match[2] : '', cvc);
}

function fillTestCard(number) {
  const gateway = selectedGateway();
  if (gateway?.id !== DUMMY_GATEWAY) {
    const dummy = el.gateways.querySelector(`input[value="${DUMMY_GATEWAY}"]`);
    if (dummy) {
      dummy.checked = true;
      updateForm();
    }
  }
  el.cardNumber.value = number;
  formatCardNumber();
  if (el.cardExpiry.value.trim() === '') el.cardExpiry.value = `12/${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;
  if (el.cardCvc.value.trim() === '') el.cardCvc.value = '123';
  for (const input of [el.cardNumber, el.cardExpiry, el.cardCvc]) markInvalid(input, false);
  if (!el.checkout.hidden) el.pay.focus();
}

// ---------------------------------------------------------------- Stripe

let stripeJs = null;

function loadStripeJs() {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  stripeJs ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = STRIPE_JS;
    script.async = true;
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js did not start')));
    script.onerror = () => {
      stripeJs = null;
      script.remove();
      reject(new Error('Stripe.js could not be loaded from js.stripe.com'));
    };
    document.head.append(script);
  });
  return stripeJs;
}

/** Mounts Stripe Elements' card field with the gateway's publishable key (its public config `api_key`). */
async function setupStripe(gateway) {
  if (state.stripe?.gateway === gateway.id) return;
  const publishableKey = configValue(gateway, 'api_key', 'publishable_key');
  if (!publishableKey) {
    el.stripeStatus.textContent = 'Stripe is not usable: the gateway has no publishable key configured.';
    return;
  }
  const account = configValue(gateway, 'stripe_account');
  state.stripe = { gateway: gateway.id, ready: false };
  el.stripeStatus.textContent = 'Loading Stripe…';
  try {
    const Stripe = await loadStripeJs();
    const stripe = Stripe(publishableKey, account ? { stripeAccount: account } : undefined);
    const card = stripe.elements().create('card', { hidePostalCode: true, style: { base: { fontSize: '16px', color: '#1d2330' } } });
    card.mount('#stripe-element');
    card.on('change', (event) => {
      el.stripeStatus.textContent = event.error ? event.error.message : "Card details are collected by Stripe.js in Stripe's own frame.";
    });
    state.stripe = { gateway: gateway.id, ready: true, stripe, card };
    el.stripeStatus.textContent = "Card details are collected by Stripe.js in Stripe's own frame.";
  } catch (err) {
    // Not retried on every redraw: choosing the gateway again after a reload of the page retries.
    state.stripe = { gateway: gateway.id, ready: false };
    el.stripeStatus.textContent = `Stripe is unavailable: ${err.message}`;
  }
  updateForm();
}

async function stripeToken() {
  const { stripe, card } = state.stripe;
  const { paymentMethod, error } = await stripe.createPaymentMethod({ type: 'card', card });
  if (error) throw new ApiError('card_error', error.message);
  return paymentMethod.id;
}

// ---------------------------------------------------------------- pay, 3-D Secure, result

function setBusy(busy, label) {
  state.busy = busy;
  for (const button of [el.challengeComplete, el.challengeFail]) button.disabled = busy;
  if (busy) {
    el.pay.disabled = true;
    if (label) el.pay.textContent = label;
  } else {
    updateForm();
  }
}

function needsAction(payment, transaction) {
  return transaction.actionRequired === true || transaction.kind === 'action_to_confirm' || payment.toConfirm === true;
}

async function pay(event) {
  event.preventDefault();
  if (state.busy) return;
  clearMessage();
  const channel = selectedChannel();
  const gateway = selectedGateway();
  const amount = el.amount.value.trim();
  markInvalid(el.amount, !AMOUNT.test(amount));
  if (!AMOUNT.test(amount)) {
    showMessage('Enter the amount as a decimal number, such as 25.00.');
    el.amount.focus();
    return;
  }
  if (!channel || !gateway) {
    showMessage('Choose a channel, a currency and a gateway.');
    return;
  }
  setBusy(true, 'Processing…');
  try {
    let token;
    let nameOnCard;
    if (gateway.id === DUMMY_GATEWAY) {
      token = dummyToken();
      nameOnCard = el.cardName.value.trim() || undefined;
    } else {
      token = await stripeToken();
    }
    el.tokenNote.textContent = `Token sent to the server: ${token}`;
    el.tokenNote.hidden = false;

    const body = { channel: channel.slug, gateway: gateway.id, amount, currency: el.currency.value, token, nameOnCard };
    const fingerprint = JSON.stringify(body);
    // Same request as one that got no answer: same key, so it is not charged twice.
    const key = state.pendingPay?.fingerprint === fingerprint ? state.pendingPay.key : uuid();
    state.pendingPay = { fingerprint, key };
    let outcome;
    try {
      outcome = await api('POST', 'payments', { body, key });
      state.pendingPay = null;
    } catch (err) {
      if (err.code !== 'network_error') state.pendingPay = null;
      throw err;
    }
    const { payment, transaction } = outcome;
    if (needsAction(payment, transaction)) await startChallenge(payment, transaction);
    else await showResult(payment.id);
  } catch (err) {
    await handleFailure(err);
  } finally {
    setBusy(false);
  }
}

/** A decline shows the payment and its transactions; other errors stay on the current step. */
async function handleFailure(err) {
  const paymentId = err.details?.paymentId;
  if (err.code === 'gateway_declined' && typeof paymentId === 'string') {
    await showResult(paymentId, { tone: 'bad', text: `Payment declined: ${err.message}` });
    return;
  }
  showMessage(err.message || 'Something went wrong.');
}

async function startChallenge(payment, transaction) {
  state.payment = payment;
  const data = transaction.actionRequiredData ?? {};
  if (data.type === 'stripe_payment_intent' && state.stripe?.stripe && typeof data.clientSecret === 'string') {
    // Stripe runs its own 3-D Secure frame; the server then reads the outcome when confirming.
    const { error } = await state.stripe.stripe.handleNextAction({ clientSecret: data.clientSecret });
    if (error) showMessage(error.message, 'info');
    await confirm();
    return;
  }
  el.challengeAmount.textContent = `${payment.total} ${payment.currency}`;
  el.challengeId.textContent = String(data.challengeId ?? transaction.pspReference ?? payment.id);
  show('challenge');
  el.challengeComplete.focus();
}

async function confirm() {
  const payment = state.payment;
  if (!payment) return;
  const key = state.pendingConfirm?.paymentId === payment.id ? state.pendingConfirm.key : uuid();
  state.pendingConfirm = { paymentId: payment.id, key };
  let outcome;
  try {
    outcome = await api('POST', `payments/${encodeURIComponent(payment.id)}/confirm`, { body: {}, key });
    state.pendingConfirm = null;
  } catch (err) {
    if (err.code !== 'network_error') state.pendingConfirm = null;
    throw err;
  }
  if (needsAction(outcome.payment, outcome.transaction)) await startChallenge(outcome.payment, outcome.transaction);
  else await showResult(outcome.payment.id);
}

async function completeChallenge() {
  if (state.busy) return;
  clearMessage();
  setBusy(true);
  try {
    await confirm();
  } catch (err) {
    await handleFailure(err);
  } finally {
    setBusy(false);
  }
}

async function failChallenge() {
  if (state.busy || !state.payment) return;
  clearMessage();
  setBusy(true);
  try {
    // The customer did not pass the challenge: nothing is confirmed, so nothing is charged.
    await showResult(state.payment.id, { tone: 'bad', text: 'Authentication failed: the payment was not confirmed and nothing was charged.' });
  } catch (err) {
    showMessage(err.message);
  } finally {
    setBusy(false);
  }
}

function show(step) {
  el.checkout.hidden = step !== 'checkout';
  el.challenge.hidden = step !== 'challenge';
  el.result.hidden = step !== 'result';
}

const positive = (amount) => Number(amount) > 0;

/** The summary line and its tone for a payment that went through (no decline). */
function describe(payment) {
  const money = (amount) => `${amount} ${payment.currency}`;
  switch (payment.chargeStatus) {
    case 'fully-charged':
      return { tone: 'ok', text: `Payment successful: ${money(payment.capturedAmount)} captured.` };
    case 'partially-charged':
      return { tone: 'ok', text: `Payment partially captured: ${money(payment.capturedAmount)} of ${money(payment.total)}.` };
    case 'pending':
      return { tone: 'warn', text: 'Payment pending: the gateway has not settled it yet.' };
    case 'refused':
    case 'cancelled':
      return { tone: 'bad', text: `Payment ${payment.chargeStatus}.` };
    default:
      if (payment.toConfirm) return { tone: 'warn', text: 'Payment waiting for 3-D Secure confirmation.' };
      if (positive(payment.authorizedAmount)) {
        return { tone: 'ok', text: `Payment authorized: ${money(payment.authorizedAmount)}, to be captured by the shop.` };
      }
      return { tone: 'warn', text: `Payment status: ${payment.chargeStatus}.` };
  }
}

function badge(text, tone) {
  const span = document.createElement('span');
  span.className = tone ? `badge ${tone}` : 'badge';
  span.textContent = text;
  return span;
}

function transactionRow(transaction) {
  const row = el.transactions.tBodies[0].insertRow();
  const cell = (content) => {
    const td = row.insertCell();
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    return td;
  };
  cell(transaction.kind);
  if (transaction.actionRequired) cell(badge('action required', 'warn'));
  else if (transaction.state === 'pending') cell(badge('pending', 'warn'));
  else if (transaction.isSuccess) cell(badge('success', 'ok'));
  else cell(badge('failed', 'bad'));
  cell(`${transaction.amount} ${transaction.currency}`);
  const data = transaction.actionRequiredData;
  let message = '';
  if (transaction.error) message = transaction.errorCode ? `${transaction.error} (${transaction.errorCode})` : transaction.error;
  else if (transaction.actionRequired) message = data?.type === 'three_d_secure' ? '3-D Secure challenge' : 'Customer action required';
  cell(message);
  const created = new Date(transaction.createdAt);
  cell(Number.isNaN(created.getTime()) ? transaction.createdAt : created.toLocaleTimeString());
}

/** Loads the payment and its transactions and shows them; `override` replaces the summary (declines). */
async function showResult(paymentId, override = null) {
  const { payment, transactions } = await api('GET', `payments/${encodeURIComponent(paymentId)}`);
  state.payment = payment;
  const { tone, text } = override ?? describe(payment);
  el.resultSummary.textContent = text;
  el.resultSummary.className = `summary ${tone}`;
  el.resultStatus.textContent = payment.chargeStatus;
  el.resultStatus.className = `badge ${override ? override.tone : tone}`;
  el.resultTotal.textContent = `${payment.total} ${payment.currency}`;
  el.resultCaptured.textContent = `${payment.capturedAmount} ${payment.currency}`;
  el.resultAuthorized.textContent = `${payment.authorizedAmount} ${payment.currency}`;
  el.resultGateway.textContent = payment.gateway;
  el.resultId.textContent = payment.id;
  el.transactions.tBodies[0].replaceChildren();
  for (const transaction of transactions) transactionRow(transaction);
  el.tryAgain.hidden = tone !== 'bad';
  show('result');
  el.resultTitle.focus();
}

function backToCheckout({ keepAmount }) {
  clearMessage();
  state.payment = null;
  state.pendingPay = null;
  state.pendingConfirm = null;
  el.tokenNote.hidden = true;
  el.cardNumber.value = '';
  el.cardCvc.value = '';
  if (!keepAmount) {
    el.cardExpiry.value = '';
    el.cardName.value = '';
    state.stripe?.card?.clear();
  }
  show('checkout');
  updateForm();
  (selectedGateway()?.id === DUMMY_GATEWAY && state.tokenizer ? el.cardNumber : el.amount).focus();
}

// ---------------------------------------------------------------- start

async function start() {
  el.resultTitle.tabIndex = -1;
  el.channel.addEventListener('change', onChannelChange);
  el.currency.addEventListener('change', () => {
    clearMessage();
    void loadGateways();
  });
  el.amount.addEventListener('input', () => {
    markInvalid(el.amount, false);
    updateForm();
  });
  el.cardNumber.addEventListener('input', () => {
    markInvalid(el.cardNumber, false);
    formatCardNumber();
  });
  el.cardExpiry.addEventListener('input', (event) => {
    markInvalid(el.cardExpiry, false);
    formatExpiry(event);
  });
  el.cardCvc.addEventListener('input', () => {
    markInvalid(el.cardCvc, false);
    el.cardCvc.value = el.cardCvc.value.replace(/\D/g, '').slice(0, 4);
  });
  el.form.addEventListener('submit', pay);
  el.challengeComplete.addEventListener('click', completeChallenge);
  el.challengeFail.addEventListener('click', failChallenge);
  el.newPayment.addEventListener('click', () => backToCheckout({ keepAmount: false }));
  el.tryAgain.addEventListener('click', () => backToCheckout({ keepAmount: true }));
  for (const button of document.querySelectorAll('button.card-fill')) {
    button.addEventListener('click', () => fillTestCard(button.dataset.card ?? ''));
  }

  void loadTokenizer();
  try {
    const { channels } = await api('GET', 'channels');
    state.channels = channels;
    el.loading.hidden = true;
    if (channels.length === 0) {
      showMessage('The server has no channels configured.');
      return;
    }
    renderChannels();
  } catch (err) {
    el.loading.hidden = true;
    showMessage(`Could not load the checkout: ${err.message}`);
  }
}

void start();
