import type { GatewayResponse, PaymentData, TransactionStatusInput } from '@payhost/core';
import type { ChargeContext, ConformanceAdapter, MochaLike } from './adapter.js';
import { assertConforms, checkGatewayResponse, show, type Violation } from './checks.js';
import { expectSuccess, type Harness } from './harness.js';
import { message, summary } from './report-text.js';

/** Default age of the transactions the suite asks about: past any "the call may still land" window. */
const DEFAULT_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * What getTransactionStatus must answer: `{ found }`, the answer to the call
 * the key was sent with (the same transaction, kind and amount); `'no record'`
 * for a key the processor never received: a failure with errorCode
 * processing_error ("never took effect"; another code is a verdict on a call
 * the processor had). null ("cannot tell") is neither.
 */
export function checkTransactionStatus(answer: unknown, expected: { found: GatewayResponse } | 'no record', payment: Pick<PaymentData, 'amount' | 'currency'>): Violation[] {
  if (answer === null || answer === undefined) {
    return [
      expected === 'no record'
        ? `answered ${show(answer)} ("cannot tell") for a key the processor never received, in a transaction older than any request can run: answer "no record", a failure with errorCode 'processing_error', once the call cannot land any more`
        : `answered ${show(answer)} ("cannot tell") for a completed charge: the plugin must find a call by the idempotency key it sent it with`,
    ];
  }
  const out = checkGatewayResponse(answer, expected === 'no record' ? null : payment);
  const response = answer as GatewayResponse;
  if (expected === 'no record') {
    if (response.isSuccess !== false) out.push(`expected "no record" (a failure with errorCode 'processing_error'), got ${summary(response)}`);
    else if (response.errorCode !== 'processing_error') out.push(`"no record" must be errorCode 'processing_error' (another code is the processor's verdict on a call it had), got ${show(response.errorCode)}`);
    return out;
  }
  const { found } = expected;
  if (response.isSuccess !== true) out.push(`expected the completed charge (${summary(found)}), got ${summary(response)}`);
  if (response.kind !== found.kind) out.push(`kind must be the charge's '${found.kind}', got ${show(response.kind)}`);
  if (response.transactionId !== found.transactionId) out.push(`transactionId must be the charge's ${show(found.transactionId)}, got ${show(response.transactionId)}`);
  return out;
}

/** getTransactionStatus checks, when the plugin implements it: a completed charge found by its key, an invented key as "no record". */
export function registerTransactionStatusTests<Env>(ui: MochaLike, h: Harness<Env>, adapter: ConformanceAdapter<Env>): void {
  if (!h.implements('getTransactionStatus')) return;
  const { describe, it } = ui;
  const age = adapter.transactionStatus?.ageMs ?? DEFAULT_AGE_MS;

  const ask = async (charged: Pick<ChargeContext<Env>, 'payment'>, kind: GatewayResponse['kind'], label: string): Promise<unknown> => {
    const { payment } = charged;
    const transaction: TransactionStatusInput['transaction'] = {
      id: `conformance-status-${payment.paymentId}`,
      paymentId: payment.paymentId,
      kind,
      amount: payment.amount,
      currency: payment.currency,
      gatewayIdempotencyKey: payment.idempotencyKey ?? '',
      gatewayTransactionId: null,
      pspReference: null,
      createdAt: new Date(Date.now() - age),
    };
    const mark = h.failureMark;
    let answer: unknown;
    try {
      answer = await h.manager.getTransactionStatus({ channel: h.channel, gateway: h.id, transaction, payment });
    } catch (err) {
      assertConforms([`getTransactionStatus through the PluginManager threw ${message(err)}`], label);
    }
    // The manager answers null for a plugin that failed: say why.
    assertConforms(h.failuresSince(mark).map((f) => `the PluginManager caught a plugin failure: ${f.message}`), label);
    return answer;
  };

  describe('getTransactionStatus', () => {
    it('finds a completed charge by the idempotency key it was made with', async () => {
      const charged = await h.charge('processPayment', 'success', 'the charge to look up');
      expectSuccess(charged.response, ['capture', 'auth'], 'processPayment with the success token');
      await adapter.transactionStatus?.prepare?.(charged);
      const label = `getTransactionStatus for the charge made with key ${charged.payment.idempotencyKey ?? ''}`;
      const answer = await ask(charged, charged.response.kind, label);
      assertConforms(checkTransactionStatus(answer, { found: charged.response }, charged.payment), label);
    });

    if (adapter.transactionStatus?.noRecordUntold) return;
    it('answers "no record" (a failure, processing_error) for a key the processor never received', async () => {
      const paymentId = h.nextPaymentId();
      const [currency, amount] = [h.currency('two'), h.amount('two')];
      const token = (await adapter.transactionStatus?.unknownToken?.(h.tokenContext(paymentId, currency, amount))) ?? null;
      const payment = h.payment('processPayment', paymentId, currency, amount, token);
      const label = `getTransactionStatus for the invented key ${payment.idempotencyKey ?? ''}`;
      const kind = h.gatewayConfig().autoCapture ? 'capture' : 'auth';
      const answer = await ask({ payment }, kind, label);
      assertConforms(checkTransactionStatus(answer, 'no record', payment), label);
    });
  });
}
