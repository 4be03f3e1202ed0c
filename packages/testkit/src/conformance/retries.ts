import { Decimal, type GatewayOperation, type GatewayResponse } from '@payhost/core';
import type { ConformanceAdapter, MochaLike } from './adapter.js';
import { assertConforms, type Violation } from './checks.js';
import { expectSuccess, type Harness } from './harness.js';
import { money, summary } from './report-text.js';

function sameTransaction(first: GatewayResponse, retry: GatewayResponse, operation: GatewayOperation): Violation[] {
  const out: Violation[] = [];
  if (retry.isSuccess !== first.isSuccess) out.push(`the retry answered isSuccess ${String(retry.isSuccess)} where the first call answered ${String(first.isSuccess)} (${summary(retry)})`);
  if (retry.transactionId !== first.transactionId) {
    out.push(`a retried ${operation} with the same idempotency key made a new transaction: transactionId '${first.transactionId}' then '${retry.transactionId}' (the processor acted twice)`);
  } else if (first.pspReference && retry.pspReference && retry.pspReference !== first.pspReference) {
    out.push(`a retried ${operation} with the same idempotency key answered for another processor payment: pspReference '${first.pspReference}' then '${retry.pspReference}'`);
  }
  if (Decimal.isDecimal(first.amount) && Decimal.isDecimal(retry.amount) && !retry.amount.eq(first.amount)) {
    out.push(`the retry answered amount ${money(retry.amount, retry.currency)} where the first call answered ${money(first.amount, first.currency)}`);
  }
  return out;
}

/**
 * Idempotent retries: the same call with the same idempotency key must not
 * make the processor act twice (unless the adapter declares the operation
 * not idempotent, which is reported as such). Registered inside the suite's
 * "through the PluginManager" block, whose manager `h` has built.
 */
export function registerRetryTests<Env>(ui: MochaLike, h: Harness<Env>, adapter: ConformanceAdapter<Env>): void {
  const { it } = ui;
  it('a retried processPayment (same idempotency key) does not charge twice', async () => {
    const first = await h.charge('processPayment', 'success', 'processPayment');
    const retry = await h.call('processPayment', first.payment, 'the retried processPayment');
    assertConforms(sameTransaction(first.response, retry, 'processPayment'), 'retried processPayment');
  });

  const idempotencyNotice = (operation: 'capture' | 'refund' | 'void'): boolean => {
    const reason = adapter.notIdempotent?.[operation];
    if (reason === undefined) return false;
    it(`a retried ${operation}Payment: not checked, the adapter declares it not idempotent (${reason})`, () => undefined);
    return true;
  };

  if (h.supports('authorize') && h.supports('capture') && !idempotencyNotice('capture')) {
    it('a retried capturePayment (same idempotency key) does not capture twice', async () => {
      const auth = await h.charge('authorizePayment', 'success', 'the authorization to capture');
      expectSuccess(auth.response, ['auth'], 'authorizePayment');
      const first = await h.followUp('capturePayment', auth, auth.payment.amount, 'capturePayment');
      expectSuccess(first.response, ['capture'], 'capturePayment');
      const retry = await h.call('capturePayment', first.payment, 'the retried capturePayment');
      assertConforms(sameTransaction(first.response, retry, 'capturePayment'), 'retried capturePayment');
    });
  }

  if (h.supports('refund') && !idempotencyNotice('refund')) {
    it('a retried refundPayment (same idempotency key) does not refund twice', async () => {
      const captured = await h.capturedCharge('the payment to refund');
      const first = await h.followUp('refundPayment', captured, h.refundAmount('two'), 'refundPayment');
      expectSuccess(first.response, ['refund', 'refund_ongoing', 'pending'], 'refundPayment');
      const retry = await h.call('refundPayment', first.payment, 'the retried refundPayment');
      assertConforms(sameTransaction(first.response, retry, 'refundPayment'), 'retried refundPayment');
    });
  }

  if (h.supports('authorize') && h.supports('void') && !idempotencyNotice('void')) {
    it('a retried voidPayment (same idempotency key) is answered as the first', async () => {
      const auth = await h.charge('authorizePayment', 'success', 'the authorization to void');
      expectSuccess(auth.response, ['auth'], 'authorizePayment');
      const first = await h.followUp('voidPayment', auth, auth.payment.amount, 'voidPayment');
      expectSuccess(first.response, ['void', 'cancel'], 'voidPayment');
      const retry = await h.call('voidPayment', first.payment, 'the retried voidPayment');
      assertConforms(sameTransaction(first.response, retry, 'voidPayment'), 'retried voidPayment');
    });
  }
}
