import { expect } from 'chai';
import { Decimal, applyTransition, type LedgerStore, type PaymentAmounts } from '@payhost/core';
import type { ProcessorJournal } from './file-processor.js';

/**
 * The ledger agrees with the processor about the payment: every gateway key
 * was performed at most once; the successful transactions of the ledger are
 * exactly the successful charges of the processor (key, kind, amount); no
 * charge is unknown to the ledger; and the payment's amounts and status are
 * what the processor's charges, replayed through the transition table, give.
 * `exceptKeys`: transactions under review (the processor may have acted; the
 * ledger holds their reservation but has not counted them).
 */
export async function expectLedgerMatchesProcessor(store: LedgerStore, journal: ProcessorJournal, paymentId: string, exceptKeys: string[] = []): Promise<void> {
  const payment = await store.getPayment(paymentId);
  expect(payment, 'payment present after restart').to.not.equal(null);
  const transactions = await store.listTransactions(paymentId);
  const charges = journal.charges(paymentId);
  for (const [key, n] of journal.chargesPerKey(paymentId)) expect(n, `processor acted ${n} times on ${key}`).to.equal(1);
  const ledgerKeys = new Set(transactions.map((t) => t.gatewayIdempotencyKey));
  for (const c of charges) expect(ledgerKeys.has(c.key), `processor charge ${c.key} (${c.operation}) unknown to the ledger`).to.equal(true);

  const fromLedger = transactions
    .filter((t) => t.state === 'applied' && t.isSuccess)
    .map((t) => `${t.gatewayIdempotencyKey}|${t.kind}|${t.amount.toFixed(2)}`)
    .sort();
  const fromProcessor = charges
    .filter((c) => c.isSuccess && !exceptKeys.includes(c.key))
    .map((c) => `${c.key}|${c.kind}|${new Decimal(c.amount).toFixed(2)}`)
    .sort();
  expect(fromLedger).to.deep.equal(fromProcessor);

  let expected: PaymentAmounts = {
    chargeStatus: 'not-charged',
    total: payment!.total,
    authorizedAmount: new Decimal(0),
    capturedAmount: new Decimal(0),
    toConfirm: false,
    isActive: true,
  };
  for (const c of charges.filter((x) => !exceptKeys.includes(x.key))) {
    expected = applyTransition(expected, { kind: c.kind, isSuccess: c.isSuccess, actionRequired: false, amount: new Decimal(c.amount) });
  }
  expect({
    chargeStatus: payment!.chargeStatus,
    authorized: payment!.authorizedAmount.toFixed(2),
    captured: payment!.capturedAmount.toFixed(2),
    isActive: payment!.isActive,
  }).to.deep.equal({
    chargeStatus: expected.chargeStatus,
    authorized: expected.authorizedAmount.toFixed(2),
    captured: expected.capturedAmount.toFixed(2),
    isActive: expected.isActive,
  });
}
