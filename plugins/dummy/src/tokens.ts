import type { TransactionErrorCode } from '@payhost/core';

/**
 * Magic tokens: each one selects a deterministic outcome. A token may be used
 * bare (`tok_dummy_declined`) or with card details appended by `tokenizeCard`
 * (`tok_dummy_declined.visa.0002.12.2034`). Tokens never hold a full card number.
 */
export const DUMMY_TOKENS = {
  success: 'tok_dummy_success',
  declined: 'tok_dummy_declined',
  expired: 'tok_dummy_expired',
  incorrectCvv: 'tok_dummy_incorrect_cvv',
  insufficientFunds: 'tok_dummy_insufficient_funds',
  processingError: 'tok_dummy_processing_error',
  threeDSecure: 'tok_dummy_3ds',
  threeDSecureFail: 'tok_dummy_3ds_fail',
  invalidNumber: 'tok_dummy_invalid_number',
  invalidCvv: 'tok_dummy_invalid_cvv',
  invalidExpiryDate: 'tok_dummy_invalid_expiry_date',
  outcomeUnknownCharged: 'tok_dummy_outcome_unknown_charged',
  outcomeUnknownNotCharged: 'tok_dummy_outcome_unknown_not_charged',
} as const;

export type DummyTokenName = keyof typeof DUMMY_TOKENS;
export type DummyToken = (typeof DUMMY_TOKENS)[DummyTokenName];

/** What happens when a card with this token is charged (authorize / process). */
export interface DummyOutcome {
  /** Unified error code of the charge; null when the charge goes through (or asks for 3-D Secure). */
  errorCode: TransactionErrorCode | null;
  error: string | null;
  /** 'none': settles at once; otherwise 3-D Secure first, then confirm succeeds or fails. */
  action: 'none' | 'confirm_succeeds' | 'confirm_fails';
  /**
   * Set when the answer to the charge is lost (a dropped connection after the request was
   * sent): the host gets an `outcome_unknown` failure and the status check cannot tell.
   * 'charged': the dummy did take the charge; 'not_charged': the request never took effect.
   */
  lostAnswer?: 'charged' | 'not_charged';
}

export const DUMMY_OUTCOMES: Readonly<Record<DummyTokenName, DummyOutcome>> = {
  success: { errorCode: null, error: null, action: 'none' },
  declined: { errorCode: 'declined', error: 'Your card was declined.', action: 'none' },
  expired: { errorCode: 'expired', error: 'Your card has expired.', action: 'none' },
  incorrectCvv: { errorCode: 'incorrect_cvv', error: "Your card's security code is incorrect.", action: 'none' },
  insufficientFunds: { errorCode: 'declined', error: 'Your card has insufficient funds.', action: 'none' },
  processingError: { errorCode: 'processing_error', error: 'An error occurred while processing your card.', action: 'none' },
  threeDSecure: { errorCode: null, error: null, action: 'confirm_succeeds' },
  threeDSecureFail: { errorCode: null, error: null, action: 'confirm_fails' },
  invalidNumber: { errorCode: 'invalid_number', error: 'Your card number is invalid.', action: 'none' },
  invalidCvv: { errorCode: 'invalid_cvv', error: "Your card's security code is invalid.", action: 'none' },
  invalidExpiryDate: { errorCode: 'invalid_expiry_date', error: "Your card's expiration date is invalid.", action: 'none' },
  outcomeUnknownCharged: { errorCode: null, error: null, action: 'none', lostAnswer: 'charged' },
  outcomeUnknownNotCharged: { errorCode: null, error: null, action: 'none', lostAnswer: 'not_charged' },
};

/** Message and code when a 3-D Secure card of the failing kind is confirmed. */
export const THREE_D_SECURE_FAILURE = {
  errorCode: 'declined' as TransactionErrorCode,
  error: 'The card was declined after 3-D Secure authentication failed.',
};

/**
 * Test card numbers (Stripe's, as Saleor's dummy credit card plugin uses, plus
 * two of the dummy's own for lost answers: ...504x and ...502x, as HTTP's gateway errors)
 * and the token each one becomes. Any other Luhn-valid number tokenizes to success.
 */
export const DUMMY_TEST_CARDS: Readonly<Record<string, DummyTokenName>> = {
  '4242424242424242': 'success',
  '4000000000000002': 'declined',
  '4000000000000069': 'expired',
  '4000000000000127': 'incorrectCvv',
  '4000000000009995': 'insufficientFunds',
  '4000000000000119': 'processingError',
  '4000000000003220': 'threeDSecure',
  '4000008400001629': 'threeDSecureFail',
  '4000000000005043': 'outcomeUnknownCharged',
  '4000000000005027': 'outcomeUnknownNotCharged',
};

/** Card details carried by a token (never the full number). */
export interface DummyCard {
  tokenName: DummyTokenName;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

const DEFAULT_EXP_MONTH = 12;
const DEFAULT_EXP_YEAR = 2034;

const NAME_BY_TOKEN: ReadonlyMap<string, DummyTokenName> = new Map(
  (Object.keys(DUMMY_TOKENS) as DummyTokenName[]).map((name) => [DUMMY_TOKENS[name], name] as const),
);

function defaultLast4(name: DummyTokenName): string {
  const number = Object.keys(DUMMY_TEST_CARDS).find((n) => DUMMY_TEST_CARDS[n] === name);
  return number ? number.slice(-4) : '4242';
}

/** Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Card brand from the number's prefix (lower-case, as Stripe reports it). */
export function cardBrand(digits: string): string {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  if (/^35/.test(digits)) return 'jcb';
  if (/^3(0[0-5]|[689])/.test(digits)) return 'diners';
  if (/^62/.test(digits)) return 'unionpay';
  return 'unknown';
}

function toInt(value: number | string): number {
  const text = String(value).trim();
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

/**
 * What a browser-side tokenizer would do: turns a test card into a token.
 * Pure and deterministic. Bad input does not throw: it yields a token that
 * fails with the matching unified code (invalid_number, invalid_expiry_date,
 * invalid_cvv). The token keeps only brand, last 4 digits and expiry.
 */
export function tokenizeCard(cardNumber: string, expMonth: number | string, expYear: number | string, cvc: string): string {
  const digits = String(cardNumber).replace(/[\s-]/g, '');
  const numberOk = /^\d{12,19}$/.test(digits) && luhnValid(digits);
  const brand = /^\d+$/.test(digits) ? cardBrand(digits) : 'unknown';
  const last4 = /^\d{12,19}$/.test(digits) ? digits.slice(-4) : '0000';

  let month = toInt(expMonth);
  let year = toInt(expYear);
  if (year >= 0 && year < 100) year += 2000;
  const expiryOk = month >= 1 && month <= 12 && year >= 2000 && year <= 2099;
  if (!expiryOk) {
    month = 0;
    year = 0;
  }
  const cvcOk = brand === 'amex' ? /^\d{4}$/.test(String(cvc)) : /^\d{3}$/.test(String(cvc));

  let name: DummyTokenName;
  if (!numberOk) name = 'invalidNumber';
  else if (!expiryOk) name = 'invalidExpiryDate';
  else if (!cvcOk) name = 'invalidCvv';
  else name = DUMMY_TEST_CARDS[digits] ?? 'success';
  return formatToken({ tokenName: name, brand, last4, expMonth: month, expYear: year });
}

export function formatToken(card: DummyCard): string {
  const mm = String(card.expMonth).padStart(2, '0');
  const yyyy = String(card.expYear).padStart(4, '0');
  return `${DUMMY_TOKENS[card.tokenName]}.${card.brand}.${card.last4}.${mm}.${yyyy}`;
}

const DETAILED = /^([a-z0-9_]+)\.([a-z]+)\.(\d{4})\.(\d{2})\.(\d{4})$/;

/** Reads a magic token; null when it is not one this gateway issued. */
export function parseToken(token: string): DummyCard | null {
  const bare = NAME_BY_TOKEN.get(token);
  if (bare) {
    return { tokenName: bare, brand: 'visa', last4: defaultLast4(bare), expMonth: DEFAULT_EXP_MONTH, expYear: DEFAULT_EXP_YEAR };
  }
  const match = DETAILED.exec(token);
  if (!match) return null;
  const [, base = '', brand = '', last4 = '', mm = '', yyyy = ''] = match;
  const tokenName = NAME_BY_TOKEN.get(base);
  const expMonth = Number(mm);
  if (!tokenName || expMonth > 12) return null;
  return { tokenName, brand, last4, expMonth, expYear: Number(yyyy) };
}
