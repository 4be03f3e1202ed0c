// The 3-D Secure step: drawing the challenge (or running Stripe's own), and
// its three answers: Complete authentication (POST .../confirm), Fail
// authentication and Cancel payment (both POST .../cancel: the payment is
// closed). A confirm or cancel whose outcome is unknown is retried under its key.
// Busy state, focus and the shared failure handling stay in app.js, which
// passes them to initChallenge: this module imports nothing from app.js.
import { api, uuid } from './api.js';
import { clearMessage, el, sentence, show, showMessage, state } from './page.js';
import { describe, loadPayment, showResult } from './result.js';
import { enterStep } from './resume.js';
import { setSending } from './steps.js';

/** The result of Fail authentication, once the payment is closed (only then is it true). */
const AUTHENTICATION_FAILED = 'Authentication failed: the payment was cancelled, and nothing was charged.';

/** app.js's functions: { handleFailure, setBusy, focusWhenIdle }. */
let app;

/** Whether a payment's answer asks for 3-D Secure (or another action) before it can be confirmed. */
export function needsAction(payment, transaction) {
  return transaction.actionRequired === true || transaction.kind === 'action_to_confirm' || payment.toConfirm === true;
}

export async function startChallenge(payment, transaction) {
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
  enterStep('challenge', payment.id); // Back returns to the form; a reload comes back to this step
  app.focusWhenIdle(el.challengeComplete); // still disabled here: focused by setBusy(false)
}

/**
 * POST .../<action> for the payment under an idempotency key kept in state[pending] until the outcome is
 * known: as for Pay, a request whose outcome is unknown is retried under the same key.
 */
async function postUnderKey(payment, action, pending) {
  const key = state[pending]?.paymentId === payment.id ? state[pending].key : uuid();
  state[pending] = { paymentId: payment.id, key };
  let outcome;
  try {
    outcome = await api('POST', `payments/${encodeURIComponent(payment.id)}/${action}`, { body: {}, key });
  } catch (err) {
    if (err.definite) state[pending] = null;
    throw err;
  }
  state[pending] = null;
  return outcome;
}

/**
 * Closes a payment waiting for 3-D Secure: POST .../cancel (the ledger's void) under the key kept in
 * state.pendingCancel, reused while the outcome is unknown. Fail authentication, Cancel payment and
 * leaving the step by Back (steps.js) all close it this way.
 */
export function cancelUnderKey(payment) {
  return postUnderKey(payment, 'cancel', 'pendingCancel');
}

/** Runs a button's work with the page busy and the step sending, whatever happens; `onError` shows a failure. */
async function whileSending(work, onError) {
  clearMessage();
  app.setBusy(true);
  setSending(true);
  try {
    await work();
  } catch (err) {
    await onError(err);
  } finally {
    setSending(false);
    app.setBusy(false);
  }
}

async function confirm() {
  const payment = state.payment;
  if (!payment) return;
  const outcome = await postUnderKey(payment, 'confirm', 'pendingConfirm');
  if (needsAction(outcome.payment, outcome.transaction)) await startChallenge(outcome.payment, outcome.transaction);
  else showResult({ paymentId: outcome.payment.id, payment: outcome.payment, transactions: [outcome.transaction] });
}

async function completeChallenge() {
  if (state.busy) return;
  await whileSending(confirm, (err) => app.handleFailure(err, 'confirm'));
}

/**
 * Fail authentication: the shopper's bank said no, so the payment is closed on
 * the server (POST .../cancel, the void Cancel payment sends): left open, it
 * could still be confirmed, and charged, after the shopper paid again with
 * another card. Only once it is closed does the page say nothing was charged.
 */
async function failChallenge() {
  if (state.busy || !state.payment) return;
  await whileSending(async () => {
    const outcome = await cancelUnderKey(state.payment);
    showResult({ paymentId: outcome.payment.id, payment: outcome.payment, transactions: [outcome.transaction], summary: { tone: 'bad', text: AUTHENTICATION_FAILED } });
  }, (err) => refusedToClose(err, 'fail'));
}

/**
 * Cancel payment: the server voids the payment waiting for 3-D Secure
 * (POST .../cancel), and the result shows it closed. As for confirm, a cancel
 * whose outcome is unknown is retried under its key.
 */
async function cancelPayment() {
  const outcome = await cancelUnderKey(state.payment);
  showResult({ paymentId: outcome.payment.id, payment: outcome.payment, transactions: [outcome.transaction] });
}

async function cancelChallenge() {
  if (state.busy || !state.payment) return;
  await whileSending(cancelPayment, (err) => refusedToClose(err, 'cancel'));
}

/** A cancel (Cancel payment, or Fail authentication: `action` 'fail') that did not go through. */
async function refusedToClose(err, action) {
  if (err.code === 'operation_not_allowed') {
    // No longer waiting (a Complete whose answer was lost confirmed it, or another tab cancelled it): show what it is.
    await showNotCancelled(err, action);
  } else if (err.code === 'gateway_declined') {
    // The gateway refused to void it: the payment still waits, on this step.
    showMessage(`The payment could not be cancelled: ${sentence(err.message)}`);
    app.focusWhenIdle(el.message);
  } else {
    await app.handleFailure(err, action);
  }
}

/** The payment as it stands, after the server refused to cancel it; the refusal itself when it cannot be read. */
async function showNotCancelled(err, action) {
  const loaded = await loadPayment(state.payment.id).catch(() => null);
  if (!loaded || loaded.payment.toConfirm) return app.handleFailure(err, action);
  const { payment, transactions } = loaded;
  const now = describe(payment, transactions);
  // Cancelled already (another tab): the result says so; anything else was not cancelled.
  const cancelled = payment.chargeStatus === 'not-charged' && !payment.isActive;
  const text = cancelled ? now.text : `This payment is no longer waiting for authentication, so it was not cancelled. ${now.text}`;
  showResult({ paymentId: payment.id, payment, transactions, summary: { ...now, text }, complete: true });
}

/** Wires the step's three buttons; `functions`: app.js's { handleFailure, setBusy, focusWhenIdle }. */
export function initChallenge(functions) {
  app = functions;
  // The handlers catch their own failures and show them; void: nothing awaits an event listener.
  el.challengeComplete.addEventListener('click', () => void completeChallenge());
  el.challengeFail.addEventListener('click', () => void failChallenge());
  el.challengeCancel.addEventListener('click', () => void cancelChallenge());
}
