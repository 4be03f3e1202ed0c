import { expect } from 'chai';
import type { LedgerTx, Payment, Transaction } from '@payhost/core';
import type { SqlLedgerStore } from '@payhost/store-postgres';
import { at, makePayment, signal, uid } from '../../../../tests/store/fixtures.js';
import { untilBlocked } from '../../../../tests/support/lock-waits.js';

// What the one-statement step tests share: the optional steps as required, rows to start from, and
// the check that a step holds the payment's lock until its transaction ends.

export type Steps = Required<Pick<LedgerTx, 'lockPaymentAndTransaction' | 'settle' | 'lockPaymentForOperation' | 'claimAndInsertTransaction'>>;
export const steps = (tx: LedgerTx): Steps => tx as LedgerTx & Steps;

/** Writes a payment and its transactions, committed; returns the payment. */
export async function insertRows(store: SqlLedgerStore, payment: Payment = makePayment(), ...transactions: Transaction[]): Promise<Payment> {
  await store.transaction(async (tx) => {
    await tx.insertPayment(payment);
    for (const t of transactions) await tx.insertTransaction(t);
  });
  return payment;
}

export const claimOf = (key = uid('idem'), requestHash = 'h') => ({ key, requestHash, now: at(1) });

/**
 * A transaction whose first step is `lock` holds the payment's lock until it ends: a second
 * transaction locking the payment meanwhile waits for it.
 */
export async function expectLockHeldToTheEnd(store: SqlLedgerStore, payment: Payment, lock: (tx: LedgerTx) => Promise<unknown>): Promise<void> {
  const events: string[] = [];
  const locked = signal();
  const release = signal();
  const a = store.transaction(async (tx) => {
    await lock(tx);
    locked.resolve();
    await release.promise;
    events.push('A ends');
  });
  await locked.promise;
  const b = store.transaction(async (tx) => {
    await tx.getPayment(payment.id, { forUpdate: true });
    events.push('B locked');
  });
  await untilBlocked(store, 'B (locking the payment)');
  release.resolve();
  await Promise.all([a, b]);
  expect(events).to.deep.equal(['A ends', 'B locked']);
}
