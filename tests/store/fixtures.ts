import { randomUUID } from 'node:crypto';
import { Decimal, type Payment, type Transaction } from '@payhost/core';

/** A fresh id: suites share one store, so every test works on its own rows. */
export function uid(prefix: string): string {
  return `${prefix}_${randomUUID()}`;
}

const T0 = Date.parse('2026-01-02T03:04:05.678Z');

/** A time `seconds` after a fixed origin (millisecond precision survives timestamptz). */
export function at(seconds: number): Date {
  return new Date(T0 + seconds * 1000);
}

export function makePayment(overrides: Partial<Payment> = {}): Payment {
  return {
    id: uid('pay'),
    channel: 'default-channel',
    gateway: 'payhost.dummy',
    chargeStatus: 'not-charged',
    total: new Decimal('100.00'),
    authorizedAmount: new Decimal('0'),
    capturedAmount: new Decimal('0'),
    currency: 'USD',
    customerId: 'cust-1',
    customerEmail: 'buyer@example.com',
    token: 'tok_visa',
    pspReference: null,
    toConfirm: false,
    isActive: true,
    storePaymentMethod: false,
    metadata: { order: 'o-1', nested: { list: [1, 'two', null], flag: true } },
    billing: null,
    shipping: null,
    customerIpAddress: null,
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    ...overrides,
  };
}

export function makeTransaction(paymentId: string, overrides: Partial<Transaction> = {}): Transaction {
  const id = overrides.id ?? uid('txn');
  return {
    id,
    paymentId,
    kind: 'auth',
    state: 'pending',
    isSuccess: false,
    actionRequired: false,
    actionRequiredData: null,
    amount: new Decimal('100.00'),
    currency: 'USD',
    errorCode: null,
    error: null,
    gatewayTransactionId: null,
    pspReference: null,
    customerId: 'cust-1',
    rawResponse: null,
    requestData: null,
    idempotencyKey: null,
    gatewayIdempotencyKey: `${paymentId}:${id}`,
    createdAt: at(1),
    updatedAt: at(1),
    ...overrides,
  };
}

/** A promise with its resolver, to make two transactions take turns deterministically. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Gives every other ready task (and the database round trips of a waiting transaction) a chance to run. */
export function pause(ms = 100): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The error `promise` rejects with; throws when it fulfils. */
export async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
