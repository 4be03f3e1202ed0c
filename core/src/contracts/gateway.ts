import type { Decimal } from 'decimal.js';
import type { TransactionErrorCode } from './error-codes.js';
import type { TransactionKind } from './transaction-kind.js';
import type { CreditCardInfo } from './payment-data.js';

/** Seed 001's GatewayConfig, camelCased. */
export interface GatewayConfig {
  gatewayName: string;
  autoCapture: boolean;
  supportedCurrencies: string[];
  connectionParams: Record<string, unknown>;
  storeCustomer: boolean;
  require3dSecure: boolean;
  /** Whether the gateway accepts several partial captures of one authorization. */
  supportsMultipleCaptures?: boolean;
}

/** Seed 001's GatewayResponse, camelCased. */
export interface GatewayResponse {
  isSuccess: boolean;
  actionRequired: boolean;
  kind: TransactionKind;
  amount: Decimal;
  currency: string;
  transactionId: string;
  /** Human-readable message; null when no error occurred. */
  error: string | null;
  /** Unified error code; null on success. */
  errorCode?: TransactionErrorCode | null;
  customerId?: string | null;
  cardInfo?: CreditCardInfo | null;
  rawResponse?: Record<string, unknown> | null;
  actionRequiredData?: Record<string, unknown> | null;
  transactionAlreadyProcessed?: boolean;
  pspReference?: string | null;
}

/** One gateway as listed for a channel and currency (Saleor's PaymentGateway). */
export interface PaymentGateway {
  id: string;
  name: string;
  currencies: string[];
  /** Public configuration the browser needs, e.g. a publishable key. */
  config: Array<{ field: string; value: string }>;
}

/** What `getClientToken` receives. */
export interface TokenConfig {
  customerId?: string | null;
  amount?: Decimal | null;
  currency?: string | null;
  data?: Record<string, unknown> | null;
}

/** An incoming webhook request, raw body kept for signature checks. */
export interface WebhookRequest {
  /** The URL's rest after the plugin id, from its slash, without the query string ("/webhook"). */
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/**
 * A processor event a webhook verified, normalized for the host's ledger:
 * the host applies each one once, through its webhook inbox, with the same
 * transition code as API responses.
 */
export interface GatewayEvent {
  /** The processor's event id: the inbox applies each (gateway, eventId) once. */
  eventId: string;
  /** The processor's event type, e.g. "payment_intent.succeeded". */
  type: string;
  /** The host's payment id, when the processor echoes it back (metadata). */
  paymentId?: string | null;
  /** The processor's reference of the payment (e.g. a PaymentIntent id), to find it otherwise. */
  pspReference?: string | null;
  /**
   * What the event means for the payment, as a gateway response (kind, amount, success). For a
   * refund: `transactionId` is the processor's id of the refund (not of the charge), and `amount`
   * the refund's own amount when the processor gives it (not the charge's refunded total).
   */
  response: GatewayResponse;
  /**
   * The idempotency key (PaymentData.idempotencyKey) of the host's call the event answers, when the
   * processor echoes it (Stripe does, as `request.idempotency_key`): it pins the ledger transaction
   * that call opened, e.g. a refund still `refund_ongoing`. Null or absent: the event answers no call
   * of the host's (a refund made in the processor's dashboard) or the processor does not echo keys.
   */
  gatewayIdempotencyKey?: string | null;
  /**
   * When the processor created the event (from its signed payload). The
   * server uses it to stop refusing an event that matches no payment once
   * the event is old enough not to be overtaking the host's own call, so the
   * processor stops retrying it (and does not disable the endpoint).
   */
  occurredAt?: Date | null;
}

export interface WebhookResponse {
  /** An HTTP status from 200 to 599. */
  status: number;
  /** A string, a Buffer or a JSON-serializable value. */
  body?: unknown;
  /** Single-line values; the server sets content-length, transfer-encoding and connection. */
  headers?: Record<string, string>;
  /** Verified events for the host to apply to its ledger. */
  events?: GatewayEvent[];
}
