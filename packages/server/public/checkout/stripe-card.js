// Stripe's card field (Stripe.js Elements), used when a Stripe gateway is
// chosen. Stripe.js is loaded only then; the card lives in Stripe's own frame
// and only a PaymentMethod id is posted.
import { ApiError } from './api.js';
import { el, state } from './page.js';

const STRIPE_JS = 'https://js.stripe.com/v3';

/** The first non-empty value of the gateway's public config among `fields`. */
function configValue(gateway, ...fields) {
  for (const field of fields) {
    const entry = gateway.config.find((c) => c.field === field && c.value);
    if (entry) return entry.value;
  }
  return null;
}

let stripeJs = null;

function loadStripeJs() {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  stripeJs ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = STRIPE_JS;
    script.async = true;
    // On failure forget the attempt, so that the next one loads the script again.
    const fail = (message) => {
      stripeJs = null;
      script.remove();
      reject(new Error(message));
    };
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : fail('Stripe.js did not start'));
    script.onerror = () => fail('Stripe.js could not be loaded from js.stripe.com');
    document.head.append(script);
  });
  return stripeJs;
}

/**
 * Mounts Stripe Elements' card field with the gateway's publishable key (its
 * public config `api_key`); calls `onChange` once the field is ready or failed.
 */
export async function setupStripe(gateway, onChange) {
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
      if (state.stripe?.card === card) state.stripe.edits += 1; // another card: a new PaymentMethod
      el.tokenNote.hidden = true; // the token shown was the previous card's
      el.stripeStatus.textContent = event.error ? event.error.message : "Card details are collected by Stripe.js in Stripe's own frame.";
    });
    state.stripe = { gateway: gateway.id, ready: true, stripe, card, edits: 0 };
    el.stripeStatus.textContent = "Card details are collected by Stripe.js in Stripe's own frame.";
  } catch (err) {
    // Not retried on every redraw (onChange redraws): choosing the gateway again retries (retryStripe).
    state.stripe = { gateway: gateway.id, ready: false, failed: true };
    el.stripeStatus.textContent = `Stripe is unavailable: ${err.message} Choose the gateway again to retry.`;
  }
  onChange();
}

/** Lets the next setupStripe try again after a failed load. */
export function retryStripe() {
  if (state.stripe?.failed) state.stripe = null;
}

export async function stripeToken() {
  const { stripe, card } = state.stripe;
  const { paymentMethod, error } = await stripe.createPaymentMethod({ type: 'card', card });
  if (error) throw new ApiError('card_error', error.message);
  return paymentMethod.id;
}
