// Back, Forward and reload. Each step of the page (the form, 3-D Secure, the
// result) is an entry in the browser's history (resume.js); arriving on one
// draws its step again, the payment read again from the server. Going back to
// the form after a payment took money shows that payment, not a form ready to
// pay the same order a second time.
import { clearMessage, el, show, showMessage, shownMessage, state } from './page.js';
import { loadPayment, showResult } from './result.js';
import { currentEntry, knownEntry, pendingPayOf, settleEntry } from './resume.js';

/** The page's functions (app.js's, challenge.js's startChallenge): { startChallenge, showForm, setBusy, updateForm }. */
let app;
/** Counts the draws: a late read does not draw over the entry the shopper moved on to. */
let drawing = 0;
/** The entry number the page returns to after a Back or Forward while a payment was being sent. */
let holding = null;

const BEING_SENT = 'Your payment is being sent: wait for its answer before leaving this step.';

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

/** The form the shopper came back to, after the payment made from it. */
function drawFormAfter({ payment, transactions }) {
  const paymentId = payment.id;
  if (tookMoney({ payment, transactions })) {
    showResult({ paymentId, payment, transactions, complete: true, record: false });
    showMessage(
      'You went back, but this order already has the payment shown here: going back does not undo it. To make another payment, choose New payment.',
      'info',
    );
    return;
  }
  if (payment.toConfirm) {
    // 3-D Secure left unanswered: nothing taken. Pay again is a new payment (and Forward no longer offers the old challenge).
    app.showForm('none');
    showMessage('Your last payment was not confirmed (3-D Secure was not completed), and nothing was charged. Press Pay to try again.', 'info');
  } else if (!payment.isActive) {
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
    if (entry.step === 'checkout') drawFormAfter(loaded);
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
