/**
 * Magic payment methods of the fake, named as Stripe's test-mode ones
 * (https://docs.stripe.com/testing): a test passes one as the token and the
 * fake behaves as Stripe does for that card. Ids marked "fake only" do not
 * exist at Stripe; they reach error codes Stripe only returns for real cards.
 */
export interface CardDecline {
  code: string;
  declineCode?: string;
  message: string;
}

export interface MagicCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  funding: 'credit' | 'debit';
  country: string;
  /** 'required': every payment and setup asks for 3-D Secure; 'on_setup': only until the card is saved. */
  threeDSecure: 'required' | 'on_setup' | 'supported' | 'not_supported';
  /** Declined when authorized. */
  decline?: CardDecline;
  /** The payment stays `processing` until the test settles it (fake only). */
  processing?: boolean;
  /** Refunds of this card stay `pending` (Stripe's pm_card_pendingRefund). */
  pendingRefund?: boolean;
}

const YEAR = new Date().getUTCFullYear() + 5;

function card(brand: string, last4: string, extra: Partial<MagicCard> = {}): MagicCard {
  return { brand, last4, expMonth: 12, expYear: YEAR, funding: 'credit', country: 'US', threeDSecure: 'supported', ...extra };
}

function declined(last4: string, code: string, declineCode: string | undefined, message: string): MagicCard {
  return card('visa', last4, { decline: declineCode ? { code, declineCode, message } : { code, message } });
}

const DECLINED = 'Your card was declined.';

export const MAGIC_CARDS: Readonly<Record<string, MagicCard>> = {
  pm_card_visa: card('visa', '4242'),
  pm_card_visa_debit: card('visa', '5556', { funding: 'debit' }),
  pm_card_mastercard: card('mastercard', '4444'),
  pm_card_amex: card('amex', '8431'),
  pm_card_discover: card('discover', '1117'),
  pm_card_jcb: card('jcb', '0000', { country: 'JP' }),
  pm_card_chargeDeclined: declined('0002', 'card_declined', 'generic_decline', DECLINED),
  pm_card_chargeDeclinedInsufficientFunds: declined('9995', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  pm_card_chargeDeclinedLostCard: declined('9987', 'card_declined', 'lost_card', DECLINED),
  pm_card_chargeDeclinedStolenCard: declined('9979', 'card_declined', 'stolen_card', DECLINED),
  pm_card_chargeDeclinedFraudulent: declined('0019', 'card_declined', 'fraudulent', DECLINED),
  pm_card_chargeDeclinedVelocityLimitExceeded: declined('6975', 'card_declined', 'card_velocity_exceeded', DECLINED),
  pm_card_chargeDeclinedExpiredCard: declined('0069', 'expired_card', 'expired_card', 'Your card has expired.'),
  pm_card_chargeDeclinedIncorrectCvc: declined('0127', 'incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
  pm_card_chargeDeclinedProcessingError: declined('0119', 'processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'),
  // Fake only: codes Stripe returns for real cards (or at tokenization).
  pm_card_incorrectNumber: declined('4241', 'incorrect_number', undefined, 'Your card number is incorrect.'),
  pm_card_invalidNumber: declined('1234', 'invalid_number', undefined, 'Your card number is not a valid credit card number.'),
  pm_card_invalidCvc: declined('0101', 'invalid_cvc', undefined, "Your card's security code is invalid."),
  pm_card_invalidExpiryMonth: declined('0102', 'invalid_expiry_month', undefined, "Your card's expiration month is invalid."),
  pm_card_invalidExpiryYear: declined('0103', 'invalid_expiry_year', undefined, "Your card's expiration year is invalid."),
  pm_card_incorrectZip: declined('0036', 'incorrect_zip', undefined, "Your card's zip code failed validation."),
  pm_card_incorrectAddress: declined('0037', 'incorrect_address', undefined, "Your card's address is incorrect."),
  pm_card_processing: card('visa', '0077', { processing: true }),
  // 3-D Secure.
  pm_card_threeDSecure2Required: card('visa', '3220', { threeDSecure: 'required' }),
  pm_card_authenticationRequired: card('visa', '3184', { threeDSecure: 'required' }),
  pm_card_authenticationRequiredOnSetup: card('visa', '3155', { threeDSecure: 'on_setup' }),
  pm_card_threeDSecureNotSupported: card('amex', '0005', { threeDSecure: 'not_supported' }),
  // Refunds.
  pm_card_pendingRefund: card('visa', '7726', { pendingRefund: true }),
};

/** The magic card behind a token: `pm_card_x`, or the legacy `tok_x` spelling of it. */
export function magicCard(id: string): MagicCard | undefined {
  if (id.startsWith('tok_')) {
    const name = id.slice(4);
    return MAGIC_CARDS[`pm_card_${name}`];
  }
  return MAGIC_CARDS[id];
}

/** Ids of every magic payment method, for documentation and tests. */
export const MAGIC_PAYMENT_METHODS = Object.keys(MAGIC_CARDS);
