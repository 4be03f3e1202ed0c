// The result step: the payment's status and its transactions, as the server reports them.
import { api } from './api.js';
import { chargeStatusLabel, kindLabel } from './labels.js';
import { el, show, state } from './page.js';
import { enterStep } from './resume.js';

/** Whether a decimal amount string (never negative) is above zero: exact, unlike Number(). */
const positive = (amount) => /[1-9]/.test(String(amount));

export const UNDER_REVIEW =
  'Payment under review: the gateway did not say whether it went through, so the shop will check it and settle it. Do not pay again for this order.';

/** The summary line and its tone for a payment that went through (no decline). */
export function describe(payment, transactions = []) {
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
      // Voided (Cancel payment on 3-D Secure): closed with nothing charged or held.
      if (payment.chargeStatus === 'not-charged' && !payment.isActive && !positive(payment.authorizedAmount)) {
        return { tone: 'bad', text: 'Payment cancelled: nothing was charged.' };
      }
      if (transactions.some((t) => t.state === 'review')) return { tone: 'warn', text: UNDER_REVIEW };
      if (payment.toConfirm) return { tone: 'warn', text: 'Payment waiting for 3-D Secure confirmation.' };
      if (positive(payment.authorizedAmount)) {
        return { tone: 'ok', text: `Payment authorized: ${money(payment.authorizedAmount)}, to be captured by the shop.` };
      }
      return { tone: 'warn', text: `Payment status: ${chargeStatusLabel(payment.chargeStatus).toLowerCase()}.` };
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
    td.dataset.label = el.transactions.tHead.rows[0].cells[td.cellIndex]?.textContent ?? ''; // the narrow layout's labels
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    return td;
  };
  cell(kindLabel(transaction.kind)).dataset.kind = transaction.kind;
  if (transaction.actionRequired) cell(badge('action required', 'warn'));
  else if (transaction.state === 'pending') cell(badge('pending', 'warn'));
  else if (transaction.state === 'review') cell(badge('under review', 'warn'));
  else if (transaction.isSuccess) cell(badge('success', 'ok'));
  else cell(badge('failed', 'bad'));
  cell(`${transaction.amount} ${transaction.currency}`);
  const data = transaction.actionRequiredData;
  let message = '';
  if (transaction.error) message = transaction.error; // the gateway's sentence; its code stays in data-error-code
  else if (transaction.actionRequired) message = data?.type === 'three_d_secure' ? '3-D Secure challenge' : 'Customer action required';
  const messageCell = cell(message);
  if (transaction.errorCode) messageCell.dataset.errorCode = transaction.errorCode;
  const created = new Date(transaction.createdAt);
  cell(Number.isNaN(created.getTime()) ? transaction.createdAt : created.toLocaleTimeString());
}

/** The payment and its transactions, as the server has them now. */
export async function loadPayment(paymentId) {
  return api('GET', `payments/${encodeURIComponent(paymentId)}`);
}

/** Counts the results shown, so a late read does not redraw a newer one. */
let shown = 0;

function render(payment, transactions, summary, note) {
  const { tone, text } = summary ?? describe(payment, transactions);
  el.resultSummary.textContent = text;
  el.resultSummary.className = `summary ${tone}`;
  el.resultFacts.hidden = !payment;
  el.transactions.hidden = !payment;
  if (payment) {
    el.resultStatus.textContent = chargeStatusLabel(payment.chargeStatus);
    el.resultStatus.dataset.status = payment.chargeStatus;
    el.resultStatus.className = `badge ${tone}`;
    el.resultTotal.textContent = `${payment.total} ${payment.currency}`;
    el.resultCaptured.textContent = `${payment.capturedAmount} ${payment.currency}`;
    el.resultAuthorized.textContent = `${payment.authorizedAmount} ${payment.currency}`;
    el.resultGateway.textContent = state.gateways.find((g) => g.id === payment.gateway)?.name ?? payment.gateway;
    el.resultId.textContent = payment.id;
  }
  el.transactions.tBodies[0].replaceChildren();
  for (const transaction of transactions) transactionRow(transaction);
  setNote(note);
  return tone;
}

/**
 * The note under the result (#result-note, a status region: said politely when
 * it changes). Written only when it changes: the same words put in again would
 * be said again.
 */
function setNote(note) {
  const text = note ?? '';
  if (el.resultNote.textContent !== text) el.resultNote.textContent = text;
}

/**
 * Shows the result step at once from what the caller knows: the operation's
 * own answer (`payment` and its `transactions`), or only `paymentId` when the
 * payment could not be read. `summary` replaces the description (declines).
 * Unless `complete`, the payment's whole transaction list is then read, as an
 * enhancement only: the result stands if that read fails. Unless `record` is
 * false, the result becomes the step of the history entry (resume.js).
 */
export function showResult({ paymentId, payment = null, transactions = [], summary = null, complete = false, record = true }) {
  const current = ++shown;
  state.payment = payment;
  const note = payment ? null : `The payment's details could not be loaded (payment id ${paymentId}).`;
  const tone = render(payment, transactions, summary, note);
  el.tryAgain.hidden = tone !== 'bad';
  show('result');
  if (record) enterStep('result', paymentId); // Back returns to the form; a reload shows this result again
  el.resultTitle.focus();
  if (complete || !payment) return;
  el.result.setAttribute('aria-busy', 'true');
  loadPayment(paymentId)
    .then(
      (fresh) => {
        if (current !== shown || el.result.hidden) return;
        state.payment = fresh.payment;
        render(fresh.payment, fresh.transactions, summary, null);
      },
      () => {
        if (current !== shown || el.result.hidden) return;
        setNote("Only this step's transaction is shown: the payment's full list could not be loaded.");
      },
    )
    .finally(() => {
      if (current === shown) el.result.removeAttribute('aria-busy');
    });
}
