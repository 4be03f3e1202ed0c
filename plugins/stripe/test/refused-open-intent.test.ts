import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import Stripe from 'stripe';
import type { FakeStripe, Json } from '@payhost/testkit/stripe';
import { CHANNEL, RETURN_URL, SECRET_KEY, call, dec, key, makeLedger, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';
import { withLedger } from './paid-intents.js';

// Review finding: a pi_ token of this channel refused for its amount, currency or Connect terms (the cart changed after
// getClientToken) was a definite failure with the intent left open: the customer could still finish 3-D Secure, or
// confirm with a card, and Stripe took the money with no payment recorded. Now such an intent is canceled first (as
// for a failed binding, ef5bba5); one naming another payment is never canceled.
describe('stripe: a pi_ token refused while the customer can still pay it', () => {
  const env = useFakeStripe();
  const CANCEL_PATH = /^\/v1\/payment_intents\/pi_\w+\/cancel$/;
  const API_ERROR: Json = { error: { type: 'api_error', message: 'An unknown error occurred' } };

  /** A client-token intent for 10.00 USD (naming `paymentId` when given), left where `confirmWith` puts it. */
  async function openIntent(fake: FakeStripe, options: { paymentId?: string; confirmWith?: string } = {}): Promise<string> {
    const data = options.paymentId ? { paymentId: options.paymentId } : undefined;
    const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD', ...(data ? { data } : {}) }, null));
    const id = secret.split('_secret_')[0] ?? '';
    if (options.confirmWith) await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: options.confirmWith, return_url: RETURN_URL });
    return id;
  }

  it('another amount, 3-D Secure pending: a definite failure, the intent canceled so 3-D Secure cannot finish it', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
    const p = payment({ token: id, amount: new Decimal('12.00') });
    const res = await call(makePlugin(env.fake).processPayment(p, null));
    expect(res).to.deep.include({ isSuccess: false, errorCode: 'processing_error', transactionId: id, pspReference: id });
    expect(res.rawResponse?.['outcome_unknown']).to.not.equal(true);
    expect(res.error).to.match(new RegExp(`PaymentIntent ${id} is for 1000 usd, not 1200 usd .*canceled`));
    expect(env.fake.paymentIntent(id)).to.deep.include({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST').map((r) => r.idempotencyKey)).to.deep.equal([`${p.idempotencyKey}#unbound`]);
    expect(() => env.fake.completeThreeDSecure(id)).to.throw(/canceled, not requires_action/);
  });

  it('another currency, bound to this payment from the start, not yet confirmed: canceled', async () => {
    const id = await openIntent(env.fake, { paymentId: 'pay-own' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_payment_method');
    const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId: 'pay-own', token: id, currency: 'EUR' }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id });
    expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
  });

  it('another amount, the cancel failing: outcome_unknown with the intent as reference', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
    env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id, amount: new Decimal('12.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id, pspReference: id });
    expect(res.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(res.rawResponse?.['cancel_error']).to.deep.include({ http_status: 500 });
    expect(res.error).to.match(/may still take the money/);
    expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
  });

  it('an intent bound to another payment (another amount too) is refused and never canceled', async () => {
    const id = await openIntent(env.fake, { paymentId: 'pay-other', confirmWith: 'pm_card_threeDSecure2Required' });
    const res = await call(makePlugin(env.fake).processPayment(payment({ paymentId: 'pay-mine', token: id, amount: new Decimal('12.00') }), null));
    expect(res.isSuccess).to.equal(false);
    expect(res.error).to.match(/belongs to another payment/);
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
    // The other payment can still have it: its 3-D Secure finishes.
    env.fake.completeThreeDSecure(id);
    expect(env.fake.paymentIntent(id)['status']).to.not.equal('canceled');
  });

  it('a succeeded intent for another amount is not canceled (it cannot take more money): held naming it (charge-paid-refused-token.test.ts)', async () => {
    const id = await openIntent(env.fake, { confirmWith: 'pm_card_visa' });
    expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');
    const res = await call(makePlugin(env.fake).processPayment(payment({ token: id, amount: new Decimal('12.00') }), null));
    expect(res).to.deep.include({ isSuccess: false, transactionId: id });
    expect(res.rawResponse?.['outcome_unknown']).to.equal(true);
    expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
  });

  // Review finding: when the charge's cancel failed, reconciliation found the unbound token refused for its amount and
  // answered "never bound": the ledger recorded the charge failed while the customer could still finish 3-D Secure.
  // Now reconciliation cancels it (same key): canceled -> failed; cancel failing -> cannot tell, held.
  describe('reconciliation after the charge could not cancel it', () => {
    /** A 10.00 USD token with 3-D Secure pending, charged for 12.00 through the ledger, its cancel failing `cancelFailures` times. */
    async function heldCharge(ledger: ReturnType<typeof makeLedger>, cancelFailures: number) {
      const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
      const created = await ledger.service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: id });
      env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR, times: cancelFailures });
      // The ledger's status check right after the call tries the cancel too: with it failing, held for review.
      expect((await rejection(ledger.service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
      const [held] = await ledger.service.listTransactions(created.id);
      expect(held).to.deep.include({ state: 'review' });
      expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
      return { id, paymentId: created.id, held };
    }

    it('the cancel works now: recorded failed, the intent canceled so 3-D Secure cannot finish it', async () => {
      await withLedger(makeLedger(env.fake), async (ledger) => {
        const { id, paymentId, held } = await heldCharge(ledger, 2);
        expect((await ledger.service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([held?.id]);
        expect((await ledger.service.listTransactions(paymentId))[0]).to.deep.include({ state: 'applied', isSuccess: false });
        expect((await ledger.service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
        expect(env.fake.paymentIntent(id)).to.deep.include({ status: 'canceled', cancellation_reason: 'abandoned' });
        const keys = env.fake.requestsTo(CANCEL_PATH, 'POST').map((r) => r.idempotencyKey);
        expect(keys).to.have.length(3);
        // The charge's <ledger key>#unbound, then one key per status check (#unbound:r<ms>).
        expect(keys[0]).to.match(/#unbound$/);
        for (const later of keys.slice(1)) expect(later).to.equal(`${keys[0]}:r${later?.split(':r')[1] ?? ''}`).and.match(/:r\d+$/);
        expect(() => env.fake.completeThreeDSecure(id)).to.throw(/canceled, not requires_action/);
      });
    });

    // Review finding: reconciliation canceled under the charge's key; Stripe saves a 500 under its key and replays it
    // for 24 h, so every status check replayed the charge's failed cancel and the intent stayed payable.
    it('a cancel error Stripe saved under its key: the first reconcile cancels under a key of its own', async () => {
      await withLedger(makeLedger(env.fake), async (ledger) => {
        const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
        const created = await ledger.service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: id });
        // The charge's cancel and the ledger's status check right after it: each 500 saved under its key.
        env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR, saved: true, times: 2 });
        expect((await rejection(ledger.service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
        const [held] = await ledger.service.listTransactions(created.id);
        expect((await ledger.service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([held?.id]);
        expect((await ledger.service.listTransactions(created.id))[0]).to.deep.include({ state: 'applied', isSuccess: false });
        expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
        const cancels = env.fake.requestsTo(CANCEL_PATH, 'POST');
        expect(new Set(cancels.map((r) => r.idempotencyKey)).size, 'a fresh key per attempt').to.equal(cancels.length);
        expect(cancels.map((r) => r.replayed)).to.deep.equal([false, false, false]);
      });
    });

    it('a cancel that took effect but whose answer was lost counts as canceled: the intent is read again', async () => {
      const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
      env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR, afterProcessing: true, times: 3 });
      const p = payment({ token: id, amount: new Decimal('12.00') });
      const transaction = { id: 't1', paymentId: p.paymentId, kind: 'capture' as const, amount: new Decimal('12.00'), currency: 'USD', gatewayIdempotencyKey: `payhost:process:${p.paymentId}:t1`, gatewayTransactionId: id, pspReference: id, createdAt: new Date() };
      const status = await makePlugin(env.fake).getTransactionStatus({ transaction, payment: p }, null);
      expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
      expect(status).to.deep.include({ isSuccess: false });
      expect(status?.rawResponse?.['outcome_unknown']).to.not.equal(true);
      expect(status?.error).to.match(/never bound .* The intent is canceled/);
    });

    it('the cancel keeps failing: still held; once 3-D Secure takes the money for the refused amount, held for a person, never recorded as the charge', async () => {
      await withLedger(makeLedger(env.fake), async (ledger) => {
        const { id, paymentId } = await heldCharge(ledger, 3);
        expect((await ledger.service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
        expect((await ledger.service.listTransactions(paymentId))[0]).to.deep.include({ state: 'review' });
        expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');

        env.fake.completeThreeDSecure(id);
        expect(env.fake.paymentIntent(id)['status']).to.equal('succeeded');
        expect((await ledger.service.reconcile({ minAgeMs: 0 })).applied).to.deep.equal([]);
        expect((await ledger.service.listTransactions(paymentId))[0]).to.deep.include({ state: 'review' });
        expect((await ledger.service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
      });
    });

    it('a token bound to this payment from the start, paid for another amount: held ("cannot tell", naming it), not recorded as a charge of what it took', async () => {
      const id = await openIntent(env.fake, { paymentId: 'pay-own', confirmWith: 'pm_card_visa' });
      const p = payment({ paymentId: 'pay-own', token: id, amount: new Decimal('12.00') });
      const transaction = { id: 't1', paymentId: 'pay-own', kind: 'capture' as const, amount: new Decimal('12.00'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-own:t1', gatewayTransactionId: id, pspReference: id, createdAt: new Date() };
      const status = await makePlugin(env.fake).getTransactionStatus({ transaction, payment: p }, null);
      expect(status).to.deep.include({ isSuccess: false, transactionId: id });
      expect(status?.rawResponse).to.deep.include({ outcome_unknown: true, intent_status: 'succeeded' });
      expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
    });
  });
  // Review finding: a token bound to this payment from the start, refused at charge time for its Connect terms with the
  // cancel failing, was answered a definite fee_mismatch by the status check (terms checked after ownTokenVerdict said
  // 'charge'), without a cancel: recorded failed while the customer could still finish 3-D Secure.
  describe('a token bound from the start, refused for its Connect terms', () => {
    const PROVIDER = 'acct_1ProviderAAAAAAA';
    const BEFORE = { mode: 'FORWARD', connected_account_id: PROVIDER, application_fee_percent: '2.5' };
    const AFTER = { ...BEFORE, application_fee_percent: '3' };

    /** A 10.00 USD intent for pay-own with the 2.5% fee, 3-D Secure pending; charged with a 3% fee, its cancel failing. */
    async function refusedForFee(fake: FakeStripe) {
      const secret = await call(makePlugin(fake, BEFORE).getClientToken({ amount: dec('10.00'), currency: 'USD', data: { paymentId: 'pay-own' } }, null));
      const id = secret.split('_secret_')[0] ?? '';
      await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_threeDSecure2Required', return_url: RETURN_URL });
      const p = payment({ paymentId: 'pay-own', token: id, amount: dec('10.00'), idempotencyKey: 'payhost:process:pay-own:t1' });
      fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
      const res = await call(makePlugin(fake, AFTER).processPayment(p, null));
      expect(res.rawResponse?.['outcome_unknown']).to.equal(true);
      const transaction = { id: 't1', paymentId: 'pay-own', kind: 'capture' as const, amount: dec('10.00'), currency: 'USD', gatewayIdempotencyKey: 'payhost:process:pay-own:t1', gatewayTransactionId: id, pspReference: id, createdAt: new Date() };
      return { id, status: () => makePlugin(fake, AFTER).getTransactionStatus({ transaction, payment: p }, null) };
    }

    it('the status check cancels it, then refuses (fee_mismatch) definitely', async () => {
      const { id, status } = await refusedForFee(env.fake);
      const res = await status();
      expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
      expect(res?.rawResponse).to.deep.include({ code: 'fee_mismatch' });
      expect(res?.rawResponse?.['outcome_unknown']).to.not.equal(true);
      expect(res?.error).to.match(/application fee of 25, not this payment's 30 .*The intent is canceled/);
    });

    it('its cancel failing again: cannot tell (outcome_unknown, naming the intent), never a definite refusal', async () => {
      const { id, status } = await refusedForFee(env.fake);
      env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR });
      const res = await status();
      expect(res).to.deep.include({ isSuccess: false, transactionId: id });
      expect(res?.rawResponse).to.deep.include({ outcome_unknown: true, intent_status: 'requires_action' });
      expect(res?.error).to.match(/still requires_action and canceling it failed/);
      expect(env.fake.paymentIntent(id)['status']).to.equal('requires_action');
    });
  });

  // Review finding: a refused token that took the money was held with the ledger's generic "did not say whether it
  // acted" text, no pi_ and nothing to do: resolved as failed, the customer's money stayed at Stripe unrecorded.
  describe('what a person is told about a refused token the plugin could not cancel', () => {
    it('paid after the cancels failed: the held row names the intent, the refusal and the refund to make', async () => {
      await withLedger(makeLedger(env.fake), async (ledger) => {
        const id = await openIntent(env.fake, { confirmWith: 'pm_card_threeDSecure2Required' });
        const created = await ledger.service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '12.00', currency: 'USD', token: id });
        env.fake.failNext({ method: 'POST', path: CANCEL_PATH, status: 500, body: API_ERROR, times: 4 });
        expect((await rejection(ledger.service.process({ paymentId: created.id, idempotencyKey: key() }))).code).to.equal('outcome_unknown');
        const [first] = await ledger.service.listTransactions(created.id);
        expect(first?.error).to.include(id).and.match(/is for 1000 usd, not 1200 usd .*canceling it failed/);

        env.fake.completeThreeDSecure(id);
        expect((await ledger.service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([first?.id]);
        const page = await ledger.service.listReviewPage({ limit: 10, after: null });
        const held = page.items.find((i) => i.transaction.id === first?.id)?.transaction;
        expect(held).to.deep.include({ state: 'review' });
        expect(held?.error).to.match(new RegExp(`PaymentIntent ${id} is for 1000 usd, not 1200 usd`));
        expect(held?.error).to.match(/took the customer's money .*refund it in the Stripe dashboard, then resolve this transaction as failed/);
        expect(held?.error).to.include(`Gateway reference: ${id}`);
        // The first answer's raw stays on top (e3f9bde); the status check that saw the money taken sits beside it.
        expect(held?.rawResponse).to.deep.include({ outcome_unknown: true });
        expect(held?.rawResponse).to.have.nested.property('statusCheck.rawResponse.intent_status', 'succeeded');
        expect((await ledger.service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
      });
    });

    it('authorized (requires_capture) for another amount: the status check cancels it too (releasing the hold), a definite failure', async () => {
      const secret = await call(makePlugin(env.fake, { auto_capture: false }).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
      const id = secret.split('_secret_')[0] ?? '';
      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
      expect(env.fake.paymentIntent(id)['status']).to.equal('requires_capture');
      const p = payment({ paymentId: 'pay-auth', token: id, amount: new Decimal('12.00') });
      const transaction = { id: 't1', paymentId: 'pay-auth', kind: 'auth' as const, amount: new Decimal('12.00'), currency: 'USD', gatewayIdempotencyKey: 'payhost:authorize:pay-auth:t1', gatewayTransactionId: id, pspReference: id, createdAt: new Date() };
      const status = await makePlugin(env.fake, { auto_capture: false }).getTransactionStatus({ transaction, payment: p }, null);
      expect(env.fake.paymentIntent(id)['status']).to.equal('canceled');
      expect(status).to.deep.include({ isSuccess: false });
      expect(status?.rawResponse?.['outcome_unknown']).to.not.equal(true);
      expect(status?.error).to.match(/is for 1000 usd, not 1200 usd .*The intent is canceled/);
    });

    it('authorized for another amount at charge time: refused, the authorization left as it is (no money moves without a capture; a retry may still bring the right amount)', async () => {
      const secret = await call(makePlugin(env.fake, { auto_capture: false }).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
      const id = secret.split('_secret_')[0] ?? '';
      await new Stripe(SECRET_KEY, env.fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
      const res = await call(makePlugin(env.fake, { auto_capture: false }).authorizePayment(payment({ token: id, amount: new Decimal('12.00') }), null));
      expect(res).to.deep.include({ isSuccess: false, transactionId: '' });
      expect(env.fake.paymentIntent(id)['status']).to.equal('requires_capture');
      expect(env.fake.requestsTo(CANCEL_PATH, 'POST')).to.have.length(0);
    });
  });
});
