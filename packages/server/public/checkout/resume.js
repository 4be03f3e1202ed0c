// What survives a reload or a return through Back/Forward: the page keeps, in
// its own history entry (history.state, never the URL or storage), the id of
// the payment on screen and the Idempotency-Key of a Pay whose outcome is
// unknown. Never card data: the key's fingerprint holds only the token (brand,
// last 4 digits, expiry) and the order.

function current() {
  const saved = history.state;
  return saved && typeof saved === 'object' ? saved : {};
}

function save(changes) {
  const next = { ...current(), ...changes };
  for (const [name, value] of Object.entries(next)) if (value === null || value === undefined) delete next[name];
  history.replaceState(Object.keys(next).length > 0 ? next : null, '');
}

/** The payment on screen (3-D Secure step or result), or none. */
export function rememberPayment(paymentId) {
  save({ paymentId, pendingPay: null });
}

export function forgetPayment() {
  save({ paymentId: null });
}

export function rememberedPayment() {
  const { paymentId } = current();
  return typeof paymentId === 'string' ? paymentId : null;
}

/**
 * A Pay attempt sent, whose outcome is not known yet: `{ fingerprint, key, order }`
 * (`order`: channel, currency, amount, gateway), or null once it is settled.
 */
export function rememberPendingPay(pending) {
  save({ pendingPay: pending ? { fingerprint: pending.fingerprint, key: pending.key, order: pending.order } : null });
}

export function rememberedPendingPay() {
  const { pendingPay } = current();
  return pendingPay && typeof pendingPay.key === 'string' && typeof pendingPay.fingerprint === 'string' && pendingPay.order ? pendingPay : null;
}
