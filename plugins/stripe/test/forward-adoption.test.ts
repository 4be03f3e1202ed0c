import { expect } from 'chai';
import Stripe from 'stripe';
import type { GatewayResponse } from '@payhost/core';
import { CHANNEL, SECRET_KEY, call, dec, expectFailure, expectSuccess, key, makeLedger, makePlugin, payment, useFakeStripe, RETURN_URL, FIXED_FEES } from './helpers.js';

const PROVIDER_A = 'acct_providerA1';
const PROVIDER_B = 'acct_providerB2';
const FEES = { application_fee_percent: '2.5', application_fee_fixed: FIXED_FEES };

/** A client-token intent confirmed in the browser, as Stripe.js does with the client secret. */
async function browserConfirms(fake: { sdkOptions(): object }, clientSecret: string): Promise<string> {
  const id = clientSecret.split('_secret_')[0] ?? '';
  await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
  return id;
}

/**
 * Not the payment's charge. The intent was paid in the browser already, so the refusal is held for a person
 * (outcome_unknown naming the intent, "refund it"), never a definite failure leaving the money unrecorded.
 */
function expectRefused(res: GatewayResponse, code: string, message: RegExp, intentId: string): void {
  expectFailure(res, 'processing_error', message);
  expect(res.rawResponse).to.deep.include({ code, outcome_unknown: true, intent_status: 'succeeded' });
  expect(res).to.deep.include({ transactionId: intentId, pspReference: intentId });
  expect(res.error).to.match(/refund it in the Stripe dashboard/);
}

// Audit: a FORWARD intent made for provider B paid a payment naming provider A (stripe-forward-destination).
describe('stripe: FORWARD adoption checks the destination and the fee', () => {
  const env = useFakeStripe();
  const forward = () => makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER_A, ...FEES });
  const confirmedToken = async (data: Record<string, unknown>) => browserConfirms(env.fake, await call(forward().getClientToken({ amount: dec('100.00'), currency: 'USD', data }, null)));
  /** A payment naming provider A, paid with the intent `token`. */
  const onA = (token: string) => payment({ amount: dec('100.00'), token, data: { connectedAccountId: PROVIDER_A } });

  it("an intent transferring to another provider does not pay the payment (account_mismatch), and is not bound to it", async () => {
    const intentId = await confirmedToken({ connectedAccountId: PROVIDER_B });
    expect(env.fake.paymentIntent(intentId)['transfer_data']).to.deep.equal({ destination: PROVIDER_B });
    expectRefused(await call(forward().processPayment(onA(intentId), null)), 'account_mismatch', /transfers to acct_providerB2.*acct_providerA1/, intentId);
    expect(env.fake.paymentIntent(intentId)['metadata']).to.not.have.property('payhost_payment_id');
    expect(env.fake.requestsTo(`/v1/payment_intents/${intentId}`, 'POST')).to.have.length(0);
  });

  it('an intent with another application fee than the payment\'s is refused (fee_mismatch)', async () => {
    const intentId = await confirmedToken({ connectedAccountId: PROVIDER_A, applicationFee: '0.01' });
    expect(env.fake.paymentIntent(intentId)['application_fee_amount']).to.equal(1);
    expectRefused(await call(forward().processPayment(onA(intentId), null)), 'fee_mismatch', /fee of 1, not this payment's 280/, intentId);
    // The same override on the payment: the terms match.
    expectSuccess(await call(forward().processPayment(payment({ amount: dec('100.00'), token: intentId, data: { applicationFee: '0.01' } }), null)), 'capture', '100');
  });

  it("an intent of the payment's provider and fee is adopted as before", async () => {
    const intentId = await confirmedToken({});
    const res = await call(forward().processPayment(payment({ amount: dec('100.00'), token: intentId }), null));
    expectSuccess(res, 'capture', '100');
    expect(res.pspReference).to.equal(intentId);
  });

  it('LOCAL: an intent with a transfer is refused', async () => {
    const intentId = await confirmedToken({ connectedAccountId: PROVIDER_B });
    expectRefused(await call(makePlugin(env.fake).processPayment(payment({ amount: dec('100.00'), token: intentId }), null)), 'account_mismatch', /transfers to acct_providerB2/, intentId);
  });

  it('through the ledger: the payment of provider A stays unpaid (held for review: the intent took the money)', async () => {
    const { manager, service } = makeLedger(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER_A, ...FEES });
    try {
      const intentId = await confirmedToken({ connectedAccountId: PROVIDER_B });
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '100.00', currency: 'USD', token: intentId });
      const err = await service.process({ paymentId: created.id, idempotencyKey: key() }).then(
        () => expect.fail('the intent of provider B must not pay'),
        (e: Error) => e,
      );
      expect((err as Error & { code?: string }).code).to.equal('outcome_unknown');
      expect((await service.listTransactions(created.id))[0]).to.deep.include({ state: 'review' });
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
    } finally {
      await manager.close();
    }
  });

  // Bound from the start, the intent carries no key of the call that would have adopted it (adoption.ts adoptedBy): the call
  // refused it, or ran under other settings. One that moved money is held for review ("cannot tell"), never recorded as failed.
  it('reconciliation does not report an adopted intent of another provider, even one bound to the payment from the start', async () => {
    const transaction = { id: 't1', paymentId: 'pay-A', kind: 'capture' as const, amount: dec('100'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-A:t1', gatewayTransactionId: null, pspReference: null, createdAt: new Date() };
    const statusOf = (intentId: string) => call(forward().getTransactionStatus({ transaction, payment: payment({ paymentId: 'pay-A', amount: dec('100.00'), token: intentId }) }, null));
    const paid = await confirmedToken({ connectedAccountId: PROVIDER_B, paymentId: 'pay-A' });
    const held = await statusOf(paid);
    expect(held).to.deep.include({ isSuccess: false, transactionId: paid });
    expect(held?.rawResponse).to.deep.include({ code: 'account_mismatch', outcome_unknown: true });
    const secret = await call(forward().getClientToken({ amount: dec('100.00'), currency: 'USD', data: { connectedAccountId: PROVIDER_B, paymentId: 'pay-A' } }, null));
    const unpaid = await statusOf(secret.split('_secret_')[0] ?? '');
    expect(unpaid).to.deep.include({ isSuccess: false, pspReference: null });
    expect(unpaid?.rawResponse).to.deep.include({ code: 'account_mismatch' });
  });
});
