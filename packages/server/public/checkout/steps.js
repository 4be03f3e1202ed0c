// Back, Forward and reload. Each step of the page (the form, 3-D Secure, the
// result) is an entry in the browser's history (resume.js); arriving on one
// draws its step again, the payment read again from the server. Going back to
// the form after a payment took money shows that payment, not a form ready to
// pay the same order a second time.
import { ApiError } from './api.js';
import { clearMessage, el, sentence, show, showMessage, shownMessage, state } from './page.js';
import { loadPayment, showResult } from './result.js';
import { currentEntry, knownEntry, pendingPayOf, settleEntry } from './resume.js';

/** The page's functions (app.js's, challenge.js's): { startChallenge, cancelUnderKey, showForm, setBusy, updateForm }. */
let app;
/** Counts the draws: a late read does not draw over the entry the shopper moved on to. */
let drawing = 0;
/** The entry number the page returns to after a Back or Forward while a payment was being sent. */
let holding = null;

const BEING_SENT = 'Your payment is being sent: wait for its answer before leaving this step.';

const ALREADY_PAID =
  'You went back, but this order already has the payment shown here: going back does not undo it. To make another payment, choose New payment.';

const LEFT_CANCELLED = 'You left 3-D Secure, so your last payment was cancelled, and nothing was charged. Press Pay to try again.';

const CONFIRMED_MEANWHILE =
  'Your last payment was no longer waiting for 3-D Secure, so it was not cancelled: this order already has the payment shown here. To make another payment, choose New payment.';

/** A payment left on 3-D Secure that may still be open, and what Pay does about it. */
const leftOpen = (err) =>
  `Your last payment was left on 3-D Secure and could not be cancelled: ${sentence(err.message || 'Something went wrong.')} ` +
  'It may still be open, so Pay cancels it first and only then makes a new payment: the order will not be charged twice.';

/** The summary of a payment left on 3-D Secure whose cancel the server refused for good. */
const STILL_OPEN_SUMMARY = 'Your last payment is still open, waiting for 3-D Secure: nothing has been charged on it.';

/**
 * What the page says once the server refused for good (a 4xx) to cancel a payment left on 3-D Secure that
 * still waits: retrying would only be refused again, so the page lets it go rather than block Pay forever.
 * It can still be charged, but only by completing its challenge, which this page no longer shows.
 */
const stillOpen = (err) =>
  `Your last payment was left on 3-D Secure and could not be cancelled: ${sentence(err.message || 'Something went wrong.')} ` +
  'It is still open, and nothing has been charged on it. It can be charged only if its 3-D Secure challenge is ' +
  'completed, which this page no longer shows (another tab still showing it could). To pay for this order, choose New payment.';

const RELOADED_WHILE_PAYING =
  'The page was left or reloaded while your payment was being sent, so it may have gone through. Enter the same card and press Pay again: you will not be charged twice.';

/**
 * Whether the payment took (or may still take) the shopper's money: paying the
 * same order again would be a second payment. A transaction held for review
 * (the gateway never said what it did) or pending may yet be a charge.
 */
export function tookMoney({ payment, transactions }) {
  if (transactions.some((t) => t.state === 'review' || t.state === 'pending')) return true;
  return !['not-charged', 'refused', 'cancelled'].includes(payment.chargeStatus) || /[1-9]/.test(String(payment.authorizedAmount));
}

/** The form after Back or a reload: focus on what the page says about it, else on its heading. */
function focusForm() {
  (shownMessage() ?? el.checkoutTitle).focus();
}

/** The form with a Pay in flight whose outcome is unknown: the same key for the same details. */
function drawPendingPay(pending, how) {
  if (state.pendingPay?.key !== pending.key) {
    // A reload: the order comes back (the card is entered again, never kept).
    for (const [select, value] of [[el.channel, pending.order.channel], [el.currency, pending.order.currency]]) {
      select.value = value;
      select.dispatchEvent(new Event('change'));
    }
    el.amount.value = pending.order.amount;
    state.pendingPay = { fingerprint: pending.fingerprint, key: pending.key, gateway: pending.order.gateway };
  }
  show('checkout');
  app.updateForm();
  showMessage(
    how === 'load'
      ? RELOADED_WHILE_PAYING
      : 'Your last payment may have gone through: press Pay again with the same details, you will not be charged twice.',
    'info',
  );
  if (how !== 'load') focusForm();
}

/** A payment that took money, shown in place of the form: paying from the form would pay the order twice. */
function showTaken({ payment, transactions }, text) {
  showResult({ paymentId: payment.id, payment, transactions, complete: true, record: false });
  showMessage(text, 'info');
}

/**
 * Closes the payment left on 3-D Secure (state.leftPayment) as Fail authentication does (challenge.js's
 * cancelUnderKey: a lost answer is retried under the same key). Resolves to it as it stands, `{ payment,
 * transactions }`: cancelled now, or no longer waiting (a Complete whose answer was lost confirmed it,
 * another tab closed it), or still waiting with `refused` set when the server refused the cancel for good
 * (a 4xx: operation_not_allowed, gateway_declined); null when none is left open. Throws while the
 * outcome is unknown (a lost answer, a 5xx, no network, the payment unreadable): it may still be open.
 */
async function closeLeftPayment() {
  const left = state.leftPayment;
  if (!left) return null;
  let now;
  try {
    const { payment, transaction } = await app.cancelUnderKey(left);
    now = { payment, transactions: [transaction] };
  } catch (err) {
    if (!err.definite) throw err; // the next Pay sends the cancel again, under the same key
    // Refused: asking again would be refused again. The payment decides what the page says.
    now = await loadPayment(left.id);
    if (now.payment.toConfirm) now = { ...now, refused: err };
  }
  if (state.leftPayment === left) state.leftPayment = null;
  return now;
}

/**
 * The payment left on 3-D Secure that could not be cancelled, shown as it stands in place of the form
 * (its entry still remembers it: a reload tries the cancel again). New payment starts a new order view.
 */
function showStillOpen({ payment, transactions, refused }) {
  const summary = { tone: 'warn', text: STILL_OPEN_SUMMARY };
  showResult({ paymentId: payment.id, payment, transactions, summary, complete: true, record: false });
  showMessage(stillOpen(refused));
}

/**
 * Before a Pay: a payment left open on 3-D Secure is closed first, as a new payment while it can still be
 * confirmed could charge the order twice. true: Pay goes on; false: that payment is shown instead, as it
 * took money or could not be cancelled (New payment is then the way on). Throws while it may still be open.
 */
export async function closeLeftBeforePay() {
  let now;
  try {
    now = await closeLeftPayment();
  } catch (err) {
    throw new ApiError('earlier_payment_open', leftOpen(err));
  }
  if (now?.refused) {
    showStillOpen(now);
    return false;
  }
  if (!now || !tookMoney(now)) return true;
  showTaken(now, CONFIRMED_MEANWHILE);
  return false;
}

/**
 * The form after its payment's 3-D Secure step was left (Back from the challenge, or the form's entry
 * loaded again): the payment is closed, as Fail authentication closes it. Left open it could still be
 * confirmed and charged (Forward to its challenge, another tab) after the shopper paid again, so the
 * page says nothing was charged only once it is closed. Sent as Pay is: Back and Forward wait for it.
 */
async function drawFormAfterLeaving(payment, draw) {
  app.showForm('none');
  state.leftPayment = payment;
  showMessage('Cancelling your last payment: 3-D Secure was not completed…', 'info');
  setSending(true);
  let now;
  try {
    now = await closeLeftPayment();
  } catch (err) {
    if (draw === drawing) showMessage(leftOpen(err)); // the next Pay closes it first
  } finally {
    setSending(false);
  }
  if (draw !== drawing) return;
  if (now?.refused) return showStillOpen(now);
  if (now && tookMoney(now)) return showTaken(now, CONFIRMED_MEANWHILE);
  if (now) showMessage(LEFT_CANCELLED, 'info');
  focusForm();
}

/** The form the shopper came back to, after the payment made from it. */
async function drawFormAfter({ payment, transactions }, draw) {
  if (tookMoney({ payment, transactions })) return showTaken({ payment, transactions }, ALREADY_PAID);
  // 3-D Secure left unanswered: closed now, so that Forward or another tab cannot still charge it.
  if (payment.toConfirm) return drawFormAfterLeaving(payment, draw);
  if (!payment.isActive) {
    // Cancel payment on 3-D Secure: closed, nothing taken; the card stays for a new payment.
    app.showForm('none');
    showMessage('Your last payment was cancelled, and nothing was charged. Press Pay to pay again.', 'info');
  } else {
    app.showForm('card');
    const reason = transactions.findLast((t) => t.error)?.error;
    showMessage(`Your last payment was not charged${reason ? `: ${reason}` : '.'} Enter another card to try again.`, 'info');
  }
  focusForm();
}

/** 3-D Secure or the result, as the payment stands now. */
async function drawPaymentStep(entry, { payment, transactions }) {
  const action = transactions.findLast((t) => t.actionRequired);
  if (payment.toConfirm && action?.actionRequiredData?.type === 'three_d_secure') {
    // Still waiting: its step is the challenge, whose answers close it or confirm it (a result entry
    // of a page from before Fail authentication closed the payment too).
    await app.startChallenge(payment, action);
  } else {
    showResult({ paymentId: payment.id, payment, transactions, complete: true });
  }
}

/** Draws the step of `entry`; `how` is 'load' (the page was loaded or reloaded) or 'move' (Back or Forward). */
async function drawEntry(entry, how) {
  const draw = ++drawing;
  if (how === 'move') clearMessage();
  const pending = entry.step === 'checkout' ? pendingPayOf(entry) : null;
  if (pending) return drawPendingPay(pending, how);
  if (!entry.paymentId) {
    if (how === 'load') return;
    app.showForm('none');
    return focusForm();
  }
  app.setBusy(true);
  try {
    const loaded = await loadPayment(entry.paymentId);
    if (draw !== drawing) return;
    if (entry.step === 'checkout') await drawFormAfter(loaded, draw);
    else await drawPaymentStep(entry, loaded);
  } catch (err) {
    if (draw !== drawing) return;
    // Its state unknown, the payment is shown by its id: never a form that could pay the order again.
    const summary = { tone: 'warn', text: 'Your payment could not be loaded.' };
    showResult({ paymentId: entry.paymentId, summary, complete: true, record: false });
    showMessage(`Your payment (id ${entry.paymentId}) could not be loaded again: ${err.message} Reload the page to try again.`);
  } finally {
    if (draw === drawing) app.setBusy(false);
  }
}

/**
 * Back or Forward. While a payment is being sent the page stays on its step
 * (history.go() returns there): drawing another step could hide its answer, or
 * offer to pay again before it is known.
 */
function onPopState() {
  const entry = currentEntry();
  if (holding !== null) {
    if (entry.n === holding) holding = null;
    settleEntry();
    return;
  }
  const left = knownEntry();
  if (state.sending && entry.n !== left.n) {
    holding = left.n;
    history.go(left.n - entry.n);
    showMessage(BEING_SENT, 'info');
    return;
  }
  settleEntry();
  void drawEntry(entry, 'move');
}

/**
 * Leaving the page (Back from its first entry, closing it, a link) while a payment
 * is being sent asks first: the browser's own prompt, as it is only then that
 * beforeunload is listened to. A shopper who leaves anyway can come back
 * (Forward, or reload): the entry keeps the attempt's key (resume.js).
 */
function confirmLeaving(event) {
  event.preventDefault();
  event.returnValue = ''; // older browsers show the prompt only with returnValue set
}

/** Pay or a 3-D Secure answer starts (`true`) or ends being sent. */
export function setSending(sending) {
  state.sending = sending;
  if (sending) {
    window.addEventListener('beforeunload', confirmLeaving);
  } else {
    window.removeEventListener('beforeunload', confirmLeaving);
    if (el.notice.textContent === BEING_SENT) clearMessage(); // the answer is in: the wait is over
  }
}

/** Wires Back and Forward, then draws the entry the page was loaded on. */
export async function initSteps(functions) {
  app = functions;
  window.addEventListener('popstate', onPopState);
  await drawEntry(currentEntry(), 'load');
}
