// The page's steps as entries in the browser's history, so that Back and
// Forward move between them and a reload comes back to the step on screen.
// Each entry keeps its step in its own state (history.state, never the URL or
// storage):
//   { step: 'checkout', paymentId?, pendingPay?, n }  the form; paymentId is the
//       payment last made from it, pendingPay the Idempotency-Key of a Pay whose
//       outcome is unknown
//   { step: 'challenge' | 'result', paymentId, n }    3-D Secure, the result
// `n` numbers the entries, so the page can tell how far Back or Forward went.
// Never card data: the key's fingerprint holds only the token (brand, last 4
// digits, expiry) and the order.

/** The state of the entry the page is on; an entry of an older page ({ paymentId } only) reads as a payment step. */
export function currentEntry() {
  const saved = history.state && typeof history.state === 'object' ? history.state : {};
  const paymentId = typeof saved.paymentId === 'string' ? saved.paymentId : undefined;
  const step = ['checkout', 'challenge', 'result'].includes(saved.step) ? saved.step : paymentId ? 'challenge' : 'checkout';
  return { ...saved, step, paymentId, n: Number.isInteger(saved.n) ? saved.n : 0 };
}

function clean(entry) {
  const out = {};
  for (const [name, value] of Object.entries(entry)) if (value !== null && value !== undefined) out[name] = value;
  return out;
}

/** The entry the page last drew or wrote: on popstate, the one the shopper left. */
let known = currentEntry();

export function knownEntry() {
  return known;
}

/** Notes that the page now shows the current entry (after drawing it on popstate). */
export function settleEntry() {
  known = currentEntry();
}

function write(how, entry) {
  history[how](clean(entry), '');
  known = currentEntry();
}

function save(changes) {
  write('replaceState', { ...currentEntry(), ...changes });
}

/**
 * The page moved on to `step` ('challenge' or 'result') for `paymentId`. From
 * the form it is a new entry (Back returns to the form, which remembers the
 * payment); from 3-D Secure or a result it replaces the entry: a challenge
 * that is over cannot be gone back to.
 */
export function enterStep(step, paymentId) {
  const here = currentEntry();
  if (here.step === 'checkout') {
    save({ paymentId, pendingPay: null });
    write('pushState', { step, paymentId, n: here.n + 1 });
  } else {
    write('replaceState', { step, paymentId, n: here.n });
  }
}

/** A new, empty form (New payment, Try another card): a new entry, so Back shows the payment just left. */
export function enterCheckout() {
  write('pushState', { step: 'checkout', n: currentEntry().n + 1 });
}

/**
 * A Pay attempt sent, whose outcome is not known yet: `{ fingerprint, key, order }`
 * (`order`: channel, currency, amount, gateway), or null once it is settled.
 */
export function rememberPendingPay(pending) {
  save({ pendingPay: pending ? { fingerprint: pending.fingerprint, key: pending.key, order: pending.order } : null });
}

/** The Pay in flight that `entry` remembers, or null. */
export function pendingPayOf(entry) {
  const pending = entry.pendingPay;
  return pending && typeof pending.key === 'string' && typeof pending.fingerprint === 'string' && pending.order ? pending : null;
}
