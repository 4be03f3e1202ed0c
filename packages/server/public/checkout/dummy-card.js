// The dummy gateway's card form. The card is turned into a token here, in the
// browser, by tokenizeCard() (served from @payhost/plugin-dummy/browser): the
// card number is never posted.
import { ApiError } from './api.js';
import { cardNumberProblem, holdsCardNumber } from './card-number.js';
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

/** The card's brand from its number: the tokenizer's own cardBrand() when it has one. */
export function brandOf(tokenizer, digits) {
  if (typeof tokenizer?.cardBrand === 'function') return tokenizer.cardBrand(digits);
  return /^3[47]/.test(digits) ? 'amex' : 'unknown';
}

/** The CVC's length for a card number, as the dummy tokenizer checks it: 4 digits for American Express, else 3. */
const cvcLength = (tokenizer, digits) => (brandOf(tokenizer, digits) === 'amex' ? 4 : 3);
const cvcFits = (cvc, length) => cvc.length === length && /^\d+$/.test(cvc);

/** Groups the digits as printed on the card: 4-6-5 for American Express, else by four. */
export function formatCardNumber(tokenizer) {
  const digits = el.cardNumber.value.replace(/\D/g, '').slice(0, 19);
  el.cardNumber.value =
    brandOf(tokenizer, digits) === 'amex' && digits.length <= 15
      ? [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10)].filter(Boolean).join(' ')
      : digits.replace(/(\d{4})(?=\d)/g, '$1 ');
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

/** The page's refusal of the card form: `fields` are the inputs to fix (the message at the top goes with their marks). */
function cardError(message, fields) {
  const err = new ApiError('invalid_card', message);
  err.fields = fields;
  return err;
}

/** Stops the attempt in the page: `input` is marked, says `text` under it, and takes focus. */
function refuse(input, text, summary = text) {
  markInvalid(input, true, text);
  input.focus();
  throw cardError(summary, [input]);
}

/**
 * Reads the card form and tokenizes it with `tokenizer`: `{ token, nameOnCard }`
 * (the name trimmed, undefined when empty). What the page can check (a missing
 * field, the number's length and Luhn check digit, an expiry in the past, the
 * CVC's length, a card number in the name) is refused here, before anything is
 * tokenized or posted.
 */
export function dummyToken(tokenizer) {
  const number = el.cardNumber.value.replace(/[\s-]/g, '');
  const expiry = el.cardExpiry.value.trim();
  const cvc = el.cardCvc.value.trim();
  const missing = [
    [el.cardNumber, number, 'the card number'],
    [el.cardExpiry, expiry, 'the expiry date'],
    [el.cardCvc, cvc, 'the CVC'],
  ].filter(([input, value, name]) => {
    markInvalid(input, value === '', `Enter ${name}.`);
    return value === '';
  });
  if (missing.length > 0) {
    missing[0][0].focus();
    const what = missing.map(([, , name]) => name);
    throw cardError(`Enter ${what.length > 1 ? `${what.slice(0, -1).join(', ')} and ${what.at(-1)}` : what[0]}.`, missing.map(([input]) => input));
  }
  const numberProblem = cardNumberProblem(number);
  if (numberProblem) refuse(el.cardNumber, numberProblem);
  // "MM/YY" or "MM/YYYY"; anything else becomes a token the gateway refuses as an invalid expiry.
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry);
  if (match && expired(Number(match[1]), Number(match[2]))) {
    refuse(el.cardExpiry, 'This card has expired.', 'This card has expired: check the expiry date, or use another card.');
  }
  const length = cvcLength(tokenizer, number);
  if (!cvcFits(cvc, length)) {
    refuse(
      el.cardCvc,
      length === 4
        ? 'Enter the 4-digit CVC: on an American Express card it is printed on the front.'
        : 'Enter the 3-digit CVC from the back of the card.',
    );
  }
  // Only a token leaves the page: a card number typed into the name must not go with it.
  const name = el.cardName.value.trim();
  if (holdsCardNumber(name)) {
    refuse(el.cardName, 'This looks like a card number: enter the name printed on the card.', 'The name on card looks like a card number: enter the name printed on the card. Nothing was sent.');
  }
  return { token: tokenizer.tokenizeCard(number, match ? match[1] : '', match ? match[2] : '', cvc), nameOnCard: name || undefined };
}

/** Fills the form with a test card number, and an expiry and CVC (of the card's length) unless they are filled in. */
export function fillCard(number, tokenizer) {
  el.cardNumber.value = number;
  formatCardNumber(tokenizer);
  if (el.cardExpiry.value.trim() === '') el.cardExpiry.value = `12/${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;
  const length = cvcLength(tokenizer, number);
  if (!cvcFits(el.cardCvc.value.trim(), length)) el.cardCvc.value = '1234'.slice(0, length);
  for (const input of [el.cardNumber, el.cardExpiry, el.cardCvc]) markInvalid(input, false);
}

/** Empties the card fields; with `all`, also the expiry and the name. */
export function clearCard({ all }) {
  el.cardNumber.value = '';
  el.cardCvc.value = '';
  if (all) {
    el.cardExpiry.value = '';
    el.cardName.value = '';
    markInvalid(el.cardName, false);
  }
  for (const input of [el.cardNumber, el.cardExpiry, el.cardCvc]) markInvalid(input, false);
}
