import type { Decimal } from 'decimal.js';
import type { TransactionErrorCode } from '../contracts/error-codes.js';
import type { GatewayResponse } from '../contracts/gateway.js';
import type { TransactionKind } from '../contracts/transaction-kind.js';

export interface GatewayFailure {
  kind: TransactionKind;
  amount: Decimal;
  currency: string;
  errorCode: TransactionErrorCode;
  /** The processor's message, kept for people. */
  message: string;
  pspReference?: string | null;
  rawResponse?: Record<string, unknown> | null;
}

/** A failed GatewayResponse for plugins: declines are answered, never thrown. */
export function failedGatewayResponse(failure: GatewayFailure): GatewayResponse {
  return {
    isSuccess: false,
    actionRequired: false,
    kind: failure.kind,
    amount: failure.amount,
    currency: failure.currency,
    transactionId: failure.pspReference ?? '',
    error: failure.message,
    errorCode: failure.errorCode,
    customerId: null,
    cardInfo: null,
    rawResponse: failure.rawResponse ?? null,
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: failure.pspReference ?? null,
  };
}
