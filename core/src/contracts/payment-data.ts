import type { Decimal } from 'decimal.js';

/** Seed 001's AddressData, camelCased. */
export interface AddressData {
  firstName: string;
  lastName: string;
  companyName: string;
  streetAddress1: string;
  streetAddress2: string;
  city: string;
  cityArea: string;
  postalCode: string;
  country: string;
  countryArea: string;
  phone: string;
}

/** Seed 001's PaymentData, camelCased. `amount` is always a Decimal. */
export interface PaymentData {
  amount: Decimal;
  paymentId: string;
  graphqlPaymentId: string;
  currency: string;
  billing: AddressData | null;
  shipping: AddressData | null;
  orderId: string | null;
  customerIpAddress: string | null;
  customerEmail: string;
  /** Token from the gateway (client-side tokenization); never a card number. */
  token: string | null;
  customerId: string | null;
  /** Use the payment method already stored for this customer on the gateway. */
  reuseSource: boolean;
  /** Extra gateway-specific data. */
  data: Record<string, unknown> | null;
  /**
   * Stable key for the gateway call, derived by the host from the payment and
   * transaction, so a retry can never make the processor act twice.
   */
  idempotencyKey?: string;
}

/** Seed 001's CreditCardInfo, camelCased. */
export interface CreditCardInfo {
  last4: string;
  expYear: number;
  expMonth: number;
  brand: string;
  nameOnCard: string | null;
}

/** A payment method stored on the gateway for a customer. */
export interface CustomerSource {
  id: string;
  gateway: string;
  creditCardInfo: CreditCardInfo | null;
}
