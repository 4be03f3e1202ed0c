// payhost demo checkout: plain ES modules, no build step, no third-party code
// except Stripe.js, which is loaded only when a Stripe gateway is chosen.
// This module wires the page: choosing channel, currency and gateway, and
// paying. The others: page.js (elements, state, messages), api.js (server
// calls), dummy-card.js and stripe-card.js (the card forms), challenge.js (the
// 3-D Secure step), result.js (the result step), resume.js and steps.js (the
// steps in the browser's history: Back, Forward, reload).
//
// Card data never leaves this page: the dummy gateway's card form is turned
// into a token in the browser, and Stripe's card field lives in Stripe's own
// frame. Only tokens are posted.
import { api, ApiError, uuid } from './api.js';
import { cancelUnderKey, initChallenge, needsAction, startChallenge } from './challenge.js';
import { clearCard, dummyToken, fillCard, formatCardNumber, formatCvc, formatExpiry, loadTokenizer } from './dummy-card.js';
import { parseAmount } from './money.js';
import { clearMessage, el, markInvalid, sentence, show, showMessage, state, updateTestCards } from './page.js';
import { loadPayment, showResult, UNDER_REVIEW } from './result.js';
import { enterCheckout, rememberPendingPay } from './resume.js';
import { initSelection, loadChannels, selectedChannel, selectedGateway } from './selection.js';
import { closeLeftBeforePay, initSteps, setSending } from './steps.js';
import { setupStripe, stripeToken } from './stripe-card.js';

const DUMMY_GATEWAY = 'payhost.dummy';
const STRIPE_GATEWAY = 'payhost.stripe';

// ---------------------------------------------------------------- the form

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
  if (kind === 'stripe') void setupStripe(gateway, updateForm);

  let ready = !state.busy;
  if (kind === 'dummy') ready &&= Boolean(state.tokenizer);
  else if (kind === 'stripe') ready &&= Boolean(state.stripe?.ready && state.stripe.gateway === gateway.id);
  else ready = false;
  el.pay.disabled = !ready;
  if (!state.busy) {
    // The amount as it will be charged, in the currency's decimals ("Pay 10.00 USD", "Pay 25 JPY").
    const { amount } = parseAmount(el.amount.value, el.currency.value);
    el.pay.textContent = amount && el.currency.value ? `Pay ${amount} ${el.currency.value}` : 'Pay';
  }
  updateTestCards();
}

// ---------------------------------------------------------------- card forms

/** The note under Pay on the token of the current attempt (empty: no note). */
function noteToken(text) {
  el.tokenNote.textContent = text;
  el.tokenNote.hidden = !text;
}

/** A test card fills the dummy card form: only while the form is on screen (page.js's updateTestCards disables them otherwise). */
function fillTestCard(number) {
  if (el.checkout.hidden || state.busy) return;
  const gateway = selectedGateway();
  if (gateway?.id !== DUMMY_GATEWAY) {
    const dummy = el.gateways.querySelector(`input[value="${DUMMY_GATEWAY}"]`);
    if (dummy) {
      dummy.checked = true;
      updateForm();
    }
  }
  fillCard(number, state.tokenizer);
  noteToken(''); // another card: the token shown is not the next attempt's
  el.pay.focus();
}

// ---------------------------------------------------------------- pay, failures, back to the form

/** Where focus goes once the page is no longer busy: a button cannot take it while disabled. */
let focusWhenIdle = null;

function setBusy(busy, label) {
  state.busy = busy;
  for (const button of [el.challengeComplete, el.challengeFail, el.challengeCancel]) button.disabled = busy;
  if (busy) {
    el.pay.disabled = true;
    if (label) el.pay.textContent = label;
    updateTestCards();
  } else {
    updateForm();
    focusWhenIdle?.focus();
    focusWhenIdle = null;
  }
}

const PAYMENT_UNRESOLVED =
  'Your earlier payment may have gone through: its answer never arrived. Press Pay with the same details as then ' +
  '(card, name on card, amount, currency and gateway) to get its answer: you will not be charged twice. ' +
  'Nothing was sent: other details would start a second payment.';

async function pay(event) {
  event.preventDefault();
  if (state.busy) return;
  clearMessage();
  const channel = selectedChannel();
  const gateway = selectedGateway();
  const { amount, problem } = parseAmount(el.amount.value, el.currency.value);
  markInvalid(el.amount, Boolean(problem));
  if (problem) {
    showMessage(problem, 'error', [el.amount]);
    el.amount.focus();
    return;
  }
  el.amount.value = amount; // as it is charged: "10" USD is posted, and shown, as "10.00"
  if (!channel || !gateway) {
    showMessage('Choose a channel, a currency and a gateway.');
    return;
  }
  noteToken(''); // until this attempt posts a token
  let token;
  setBusy(true, 'Processing…');
  setSending(true);
  try {
    let nameOnCard;
    if (gateway.id === DUMMY_GATEWAY) {
      ({ token, nameOnCard } = dummyToken(state.tokenizer)); // refuses a card number in the name, before anything is posted
    } else {
      token = pendingStripeToken(gateway) ?? (await stripeToken());
    }
    const body = { channel: channel.slug, gateway: gateway.id, amount, currency: el.currency.value, token, nameOnCard };
    const fingerprint = JSON.stringify(body);
    // While an attempt's outcome is unknown only the same form is sent, under the same key, so the
    // server answers that attempt again instead of charging a second time. Another card or amount
    // would be a new key, hence a second payment of the order the first may have paid already.
    if (state.pendingPay && state.pendingPay.fingerprint !== fingerprint) throw new ApiError('payment_unresolved', PAYMENT_UNRESOLVED);
    // A payment left open on 3-D Secure (its cancel on Back unanswered) is closed first: while it can
    // still be confirmed, a new one could charge the order twice. When it took money it is shown instead.
    if (!(await closeLeftBeforePay())) return;
    noteToken(`Token sent to the server: ${token}`);
    const key = state.pendingPay?.key ?? uuid();
    state.pendingPay = { fingerprint, key, gateway: gateway.id, token, card: state.stripe?.card, cardEdits: state.stripe?.edits };
    // Kept across a reload too: a shopper who reloads while Pay is on its way pays again under this key.
    rememberPendingPay({ fingerprint, key, order: { channel: channel.slug, currency: body.currency, amount, gateway: gateway.id } });
    const { payment, transaction } = await api('POST', 'payments', { body, key });
    // The result comes from this answer: a later read that fails must not send the customer back to Pay.
    if (needsAction(payment, transaction)) await startChallenge(payment, transaction);
    else showResult({ paymentId: payment.id, payment, transactions: [transaction] });
    state.pendingPay = null; // the page moved on: the next Pay is a new payment
  } catch (err) {
    // Only the server's own refusal ends the attempt; after a lost, unreadable or
    // 5xx answer (perhaps after a charge) the same form retries under the same key.
    if (err.definite) {
      state.pendingPay = null;
      rememberPendingPay(null);
      if (token) noteToken(`Token sent to the server, which refused it: ${token}`);
    }
    await handleFailure(err);
  } finally {
    setSending(false);
    setBusy(false);
  }
}

/**
 * The PaymentMethod of an attempt whose outcome is unknown, while the Stripe card
 * is unchanged: a new one would change the body, hence the key.
 */
function pendingStripeToken(gateway) {
  const pending = state.pendingPay;
  const stripe = state.stripe;
  if (!pending || pending.gateway !== gateway.id || !stripe?.card) return null;
  return pending.card === stripe.card && pending.cardEdits === stripe.edits ? pending.token : null;
}

/** What pressing the button again does after an answer was lost, per action (Pay's is said on the form). */
const RETRY_SAFE = {
  confirm: ' The payment may have gone through: pressing Complete authentication again is safe, it will not be charged twice.',
  cancel: ' The payment may have been cancelled: pressing Cancel payment again is safe.',
  fail: ' The payment may have been cancelled: pressing Fail authentication again is safe.',
};

/**
 * A decline shows the payment and its transactions; other errors stay on the
 * current step. `action`: 'pay', 'confirm' or 'cancel', the request that failed.
 */
async function handleFailure(err, action = 'pay') {
  const paymentId = err.details?.paymentId;
  if (err.code === 'gateway_declined' && typeof paymentId === 'string') {
    // The answer says it all; the payment's details are shown when they can be read.
    const loaded = await loadPayment(paymentId).catch(() => null);
    showResult({ paymentId, ...loaded, summary: { tone: 'bad', text: `Payment declined: ${err.message}` }, complete: true });
    return;
  }
  if (err.code === 'outcome_unknown' && typeof paymentId === 'string') {
    // Held for review: asking again would only find it still being settled (409 payment_busy).
    state.pendingPay = null;
    const loaded = await loadPayment(paymentId).catch(() => null);
    showResult({ paymentId, ...loaded, summary: loaded ? null : { tone: 'warn', text: UNDER_REVIEW }, complete: true });
    return;
  }
  let text = sentence(err.code === 'payment_busy' ? 'Your earlier attempt is still being processed.' : err.message || 'Something went wrong.');
  if (err.outcomeUnknown) {
    text += el.challenge.hidden
      ? ' The payment may have gone through: retrying with the same details is safe, it will not be charged twice.'
      : (RETRY_SAFE[action] ?? RETRY_SAFE.confirm);
  }
  // The server's refusal of the amount (core's invalid_amount: too large for the currency) marks the field to fix.
  const amountRefused = action === 'pay' && (err.code === 'invalid_amount' || (err.code === 'invalid_input' && /^Amount\b/.test(err.message)));
  showMessage(text, 'error', err.fields ?? (amountRefused ? [el.amount] : []));
  if (amountRefused) markInvalid(el.amount, true);
  // The card check focused the field to fix, an amount refused goes to its field; any other error takes focus to the message.
  if (amountRefused) focusWhenIdle = el.amount;
  else if (err.code !== 'invalid_card') focusWhenIdle = el.message;
}

/**
 * Shows the form for a new attempt (no payment on screen, no Pay pending).
 * `clear`: 'all' the card fields, the expiry and the name; 'card' the number and
 * CVC; 'none' keeps them (Back to the form).
 */
function showForm(clear) {
  state.payment = null;
  state.pendingPay = null;
  noteToken('');
  if (clear !== 'none') clearCard({ all: clear === 'all' });
  if (clear === 'all') state.stripe?.card?.clear();
  show('checkout');
  updateForm();
}

function backToCheckout({ keepAmount }) {
  clearMessage();
  state.pendingConfirm = null;
  state.pendingCancel = null;
  state.leftPayment = null; // from a result: a payment left on 3-D Secure was closed before it, or is the one shown
  enterCheckout(); // Back returns to the payment just left
  showForm(keepAmount ? 'card' : 'all');
  (selectedGateway()?.id === DUMMY_GATEWAY && state.tokenizer ? el.cardNumber : el.amount).focus();
}

// ---------------------------------------------------------------- start

async function start() {
  el.resultTitle.tabIndex = -1;
  el.checkoutTitle.tabIndex = -1;
  initSelection(updateForm);
  el.amount.addEventListener('input', () => {
    markInvalid(el.amount, false);
    updateForm();
  });
  el.amount.addEventListener('change', () => {
    const { amount } = parseAmount(el.amount.value, el.currency.value);
    if (amount) el.amount.value = amount; // "10" reads "10.00" once the shopper leaves the field
  });
  el.cardNumber.addEventListener('input', () => {
    markInvalid(el.cardNumber, false);
    formatCardNumber(state.tokenizer);
  });
  el.cardExpiry.addEventListener('input', (event) => {
    markInvalid(el.cardExpiry, false);
    formatExpiry(event);
  });
  el.cardCvc.addEventListener('input', () => {
    markInvalid(el.cardCvc, false);
    formatCvc();
  });
  el.cardName.addEventListener('input', () => markInvalid(el.cardName, false));
  // A card being edited is no longer the one whose token the note shows.
  el.dummyFields.addEventListener('input', () => noteToken(''));
  // The handlers catch their own failures and show them; void: nothing awaits an event listener.
  el.form.addEventListener('submit', (event) => void pay(event));
  initChallenge({
    handleFailure,
    setBusy,
    focusWhenIdle: (element) => {
      focusWhenIdle = element;
    },
  });
  el.newPayment.addEventListener('click', () => backToCheckout({ keepAmount: false }));
  el.tryAgain.addEventListener('click', () => backToCheckout({ keepAmount: true }));
  for (const button of document.querySelectorAll('button.card-fill')) {
    button.addEventListener('click', () => fillTestCard(button.dataset.card ?? ''));
  }

  void loadTokenizer().then((tokenizer) => {
    state.tokenizer = tokenizer;
    updateForm();
  });
  await loadChannels();
  await initSteps({ startChallenge, cancelUnderKey, showForm, setBusy, updateForm });
}

void start();
