// The dummy gateway's card form. The card is turned into a token here, in the
// browser, by tokenizeCard() (served from @payhost/plugin-dummy/browser): the
// card number is never posted.
import { ApiError } from './api.js';
import { el, markInvalid } from './page.js';

/** The tokenizer module, or null when it cannot be loaded (the plugin is not installed). */
export async function loadTokenizer() {
  try {
    const module = await import('./vendor/dummy-tokens.js');
    if (typeof module.tokenizeCard !== 'function') throw new Error('tokenizeCard is missing');
    return module;
  } catch {
    return null;
  }
}

export function formatCardNumber() {
  const digits = el.cardNumber.value.replace(/\D/g, '').slice(0, 19);
  el.cardNumber.value = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

export function formatExpiry(event) {
  if (event.inputType?.startsWith('delete')) return;
  const digits = el.cardExpiry.value.replace(/\D/g, '').slice(0, 6);
  el.cardExpiry.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
}

export function formatCvc() {
  el.cardCvc.value = el.cardCvc.value.replace(/\D/g, '').slice(0, 4);
}

/** Whether a valid month/year ("01/20", "01/2020") lies before this month; an invalid month is the gateway's to refuse. */
function expired(month, year) {
  if (month < 1 || month > 12) return false;
  const now = new Date();
  const fullYear = year < 100 ? 2000 + year : year;
  return fullYear * 12 + month < now.getFullYear() * 12 + now.getMonth() + 1;
}

/** Reads the card form and tokenizes it with `tokenizer`. */
export function dummyToken(tokenizer) {
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
    const what = missing.map(([, , name]) => name);
    throw new ApiError('invalid_card', `Enter ${what.length > 1 ? `${what.slice(0, -1).join(', ')} and ${what.at(-1)}` : what[0]}.`);
  }
  // "MM/YY" or "MM/YYYY"; anything else becomes a token the gateway refuses as an invalid expiry.
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry);
  if (match && expired(Number(match[1]), Number(match[2]))) {
    markInvalid(el.cardExpiry, true);
    el.cardExpiry.focus();
    throw new ApiError('invalid_card', 'This card has expired: check the expiry date, or use another card.');
  }
  return tokenizer.tokenizeCard(number, match ? match[1] : '', match ? match[2] : '', cvc);
}

/** Fills the form with a test card number, and an expiry and CVC when they are empty. */
export function fillCard(number) {
  el.cardNumber.value = number;
  formatCardNumber();
  if (el.cardExpiry.value.trim() === '') el.cardExpiry.value = `12/${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;
  if (el.cardCvc.value.trim() === '') el.cardCvc.value = '123';
  for (const input of [el.cardNumber, el.cardExpiry, el.cardCvc]) markInvalid(input, false);
}

/** Empties the card fields; with `all`, also the expiry and the name. */
export function clearCard({ all }) {
  el.cardNumber.value = '';
  el.cardCvc.value = '';
  if (all) {
    el.cardExpiry.value = '';
    el.cardName.value = '';
  }
}
