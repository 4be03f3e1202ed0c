import { expect } from 'chai';
import { FakeStripe, MAGIC_CARDS } from '@payhost/testkit/stripe';
import { describeStripeError, unifiedErrorCode } from '@payhost/plugin-stripe';
import { CHANNEL, call, expectFailure, expectSuccess, intentCreations, key, makeLedger, makePlugin, payment, useFakeStripe } from './helpers.js';

describe('stripe: error mapping', () => {
  it('maps Stripe codes onto the unified codes; declines whatever their decline code; the rest is processing_error', () => {
    const table: Array<[string | null, string | null, string]> = [
      ['authentication_required', 'authentication_required', 'declined'],
      ['insufficient_funds', 'insufficient_funds', 'declined'],
      ['payment_intent_authentication_failure', null, 'declined'],
      ['card_declined', 'generic_decline', 'declined'],
      ['card_declined', 'insufficient_funds', 'declined'],
      ['card_declined', 'lost_card', 'declined'],
      ['card_declined', 'authentication_required', 'declined'],
      ['card_declined', 'incorrect_cvc', 'incorrect_cvv'],
      ['card_declined', 'expired_card', 'expired'],
      ['card_declined', 'incorrect_zip', 'incorrect_zip'],
      ['card_declined', 'processing_error', 'declined'],
      [null, 'expired_card', 'expired'],
      ['incorrect_number', null, 'incorrect_number'],
      ['invalid_number', null, 'invalid_number'],
      ['incorrect_cvc', 'incorrect_cvc', 'incorrect_cvv'],
      ['invalid_cvc', null, 'invalid_cvv'],
      ['expired_card', 'expired_card', 'expired'],
      ['incorrect_zip', null, 'incorrect_zip'],
      ['invalid_expiry_month', null, 'invalid_expiry_date'],
      ['invalid_expiry_year', null, 'invalid_expiry_date'],
      ['incorrect_address', null, 'incorrect_address'],
      ['processing_error', 'processing_error', 'processing_error'],
      ['amount_too_large', null, 'processing_error'],
      [null, 'do_not_honor', 'declined'],
      [null, null, 'processing_error'],
    ];
    for (const [code, decline, expected] of table) expect(unifiedErrorCode(code, decline), `${code}/${decline}`).to.equal(expected);
  });

  it('a card_error whose code is not in the table is a decline; other error types stay processing_error', () => {
    expect(unifiedErrorCode('card_decline_rate_limit_exceeded', null, 'card_error')).to.equal('declined');
    expect(unifiedErrorCode('processing_error', 'processing_error', 'card_error')).to.equal('processing_error');
    expect(unifiedErrorCode('amount_too_large', null, 'invalid_request_error')).to.equal('processing_error');
    expect(unifiedErrorCode('resource_missing', null, null)).to.equal('processing_error');
  });

  it('classifies errors that are not card errors as processing_error, keeping the message', () => {
    const connection = describeStripeError({ type: 'StripeConnectionError', message: 'socket hang up' });
    expect(connection).to.deep.include({ errorCode: 'processing_error', message: 'Could not reach Stripe: socket hang up' });
    const api = describeStripeError({ type: 'StripeAPIError', message: 'boom', statusCode: 500, requestId: 'req_1' });
    expect(api.errorCode).to.equal('processing_error');
    expect(api.message).to.match(/HTTP 500.*boom/);
    expect(api.raw).to.include({ request_id: 'req_1', http_status: 500 });
    expect(describeStripeError(new TypeError('x')).errorCode).to.equal('processing_error');
    expect(describeStripeError('weird').message).to.equal('weird');
  });

  describe('declines from the fake, through processPayment', () => {
    const env = useFakeStripe();
    const expectations: Record<string, string> = {
      pm_card_chargeDeclined: 'declined',
      pm_card_chargeDeclinedInsufficientFunds: 'declined',
      pm_card_chargeDeclinedLostCard: 'declined',
      pm_card_chargeDeclinedStolenCard: 'declined',
      pm_card_chargeDeclinedFraudulent: 'declined',
      pm_card_chargeDeclinedExpiredCard: 'expired',
      pm_card_chargeDeclinedIncorrectCvc: 'incorrect_cvv',
      pm_card_chargeDeclinedProcessingError: 'processing_error',
      pm_card_incorrectNumber: 'incorrect_number',
      pm_card_invalidNumber: 'invalid_number',
      pm_card_invalidCvc: 'invalid_cvv',
      pm_card_invalidExpiryMonth: 'invalid_expiry_date',
      pm_card_invalidExpiryYear: 'invalid_expiry_date',
      pm_card_incorrectZip: 'incorrect_zip',
      pm_card_incorrectAddress: 'incorrect_address',
    };
    for (const [token, code] of Object.entries(expectations)) {
      it(`${token} -> ${code}, with Stripe's message and the failed intent`, async () => {
        const res = await call(makePlugin(env.fake).processPayment(payment({ token }), null));
        expectFailure(res, code);
        expect(res.error).to.equal(MAGIC_CARDS[token]?.decline?.message);
        expect(res.kind).to.equal('capture');
        expect(res.pspReference).to.match(/^pi_/);
        expect(res.transactionId).to.equal(res.pspReference);
        expect(res.rawResponse).to.deep.include({ status: 'requires_payment_method' });
        expect((res.rawResponse?.['error'] as Record<string, unknown>)['code']).to.equal(MAGIC_CARDS[token]?.decline?.code);
      });
    }

    it('card errors Stripe answers with codes outside the table (insufficient_funds, new codes) are declines', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ code: 'insufficient_funds', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }, 'declined'],
        [{ code: 'card_decline_rate_limit_exceeded', message: 'This card has been declined too many times.' }, 'declined'],
        [{ code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' }, 'declined'],
      ];
      for (const [error, unified] of cases) {
        env.fake.failNext({ status: 402, path: '/v1/payment_intents', body: { error: { type: 'card_error', ...error } } });
        const res = await call(makePlugin(env.fake).processPayment(payment(), null));
        expectFailure(res, unified);
        expect(res.error).to.equal(error['message']);
        expect(res.rawResponse).to.deep.include({ code: error['code'], outcome_unknown: false });
      }
    });

    it('card_declined with a decline_code naming the card data (live-mode Stripe) keeps the specific code; issuer reasons stay declined', async () => {
      // Stripe's decline codes (docs.stripe.com/declines/codes) include the card-data ones, sent with code card_declined.
      const cases: Array<[string, string]> = [
        ['incorrect_cvc', 'incorrect_cvv'],
        ['invalid_cvc', 'invalid_cvv'],
        ['expired_card', 'expired'],
        ['incorrect_zip', 'incorrect_zip'],
        ['incorrect_number', 'incorrect_number'],
        ['invalid_number', 'invalid_number'],
        ['invalid_expiry_month', 'invalid_expiry_date'],
        ['invalid_expiry_year', 'invalid_expiry_date'],
        ['insufficient_funds', 'declined'],
        ['processing_error', 'declined'],
        ['do_not_honor', 'declined'],
      ];
      for (const [declineCode, unified] of cases) {
        env.fake.failNext({ status: 402, path: '/v1/payment_intents', body: { error: { type: 'card_error', code: 'card_declined', decline_code: declineCode, message: 'Your card was declined.' } } });
        const res = await call(makePlugin(env.fake).processPayment(payment(), null));
        expect(res.errorCode, declineCode).to.equal(unified);
        expect(res.rawResponse).to.deep.include({ code: 'card_declined', decline_code: declineCode, outcome_unknown: false });
      }
    });

    it('an off-session payment that needs authentication: Stripe\'s code authentication_required is a decline', async () => {
      const plugin = makePlugin(env.fake, { store_customer: true });
      const first = await call(plugin.processPayment(payment({ customerId: 'sca-1', token: 'pm_card_authenticationRequired' }), null));
      env.fake.completeThreeDSecure(first.pspReference ?? '');
      const off = await call(plugin.processPayment(payment({ customerId: 'sca-1', token: null, reuseSource: true }), null));
      expectFailure(off, 'declined', /requires authentication/);
      expect(off.rawResponse?.['error']).to.deep.include({ type: 'StripeCardError', code: 'authentication_required', decline_code: 'authentication_required' });
      expect(off.rawResponse?.['last_payment_error']).to.deep.include({ code: 'authentication_required' });
    });

    it('an authorization decline is recorded as a failed auth', async () => {
      const res = await call(makePlugin(env.fake).authorizePayment(payment({ token: 'pm_card_chargeDeclinedInsufficientFunds' }), null));
      expectFailure(res, 'declined', /insufficient funds/);
      expect(res.kind).to.equal('auth');
      expect((res.rawResponse?.['error'] as Record<string, unknown>)['decline_code']).to.equal('insufficient_funds');
    });

    it('an unknown payment method is a processing_error with Stripe\'s message', async () => {
      const res = await call(makePlugin(env.fake).processPayment(payment({ token: 'pm_doesNotExist' }), null));
      expectFailure(res, 'processing_error', /No such PaymentMethod/);
    });

    it('a secret key Stripe rejects (401) is a processing_error', async () => {
      const strict = await FakeStripe.start({ secretKeys: ['sk_test_theRightOne'] });
      try {
        const res = await call(makePlugin(strict, { secret_key: 'sk_test_revoked' }).processPayment(payment(), null));
        expectFailure(res, 'processing_error', /rejected the API key/);
      } finally {
        await strict.close();
      }
    });
  });

  describe('network errors and 5xx: processing_error, and no double charge on retry', () => {
    const env = useFakeStripe();
    const intents = (): number => env.fake.state.account(null).paymentIntents.size;

    it('a 500 Stripe answered once the endpoint began executing: outcome unknown, and the retry with the same key gets the saved 500 again', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      // Stripe saves the first answer under the key once execution began, 500s included.
      env.fake.failNext({ status: 500, saved: true });
      const failed = await call(plugin.processPayment(p, null));
      expectFailure(failed, 'processing_error', /HTTP 500/);
      expect(failed.rawResponse).to.include({ outcome_unknown: true, http_status: 500 });
      const retried = await call(plugin.processPayment(p, null));
      expectFailure(retried, 'processing_error', /HTTP 500/);
      expect(retried.rawResponse).to.include({ outcome_unknown: true, http_status: 500 });
      expect(intents()).to.equal(0);
      expect(intentCreations(env.fake).map((r) => [r.idempotencyKey, r.status, r.replayed])).to.deep.equal([
        [p.idempotencyKey, 500, false],
        [p.idempotencyKey, 500, true],
      ]);
    });

    it('a 500 Stripe answered after it charged: every retry with the key replays the 500, never a second charge', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      p.idempotencyKey = `payhost:process:${p.paymentId}:t1`;
      env.fake.failNext({ status: 500, saved: true, afterProcessing: true });
      expect((await call(plugin.processPayment(p, null))).rawResponse).to.include({ outcome_unknown: true });
      expect(intents()).to.equal(1);
      const retried = await call(plugin.processPayment(p, null));
      expectFailure(retried, 'processing_error', /HTTP 500/);
      expect(retried.rawResponse).to.include({ outcome_unknown: true });
      expect(intents()).to.equal(1);
      expect(intentCreations(env.fake).at(-1)?.replayed).to.equal(true);
      // What Stripe did is read from Stripe (reconciliation, or the event), not from a retry.
      const status = await call(plugin.getTransactionStatus({ transaction: { id: 't', paymentId: p.paymentId, kind: 'capture', amount: p.amount, currency: 'USD', gatewayIdempotencyKey: String(p.idempotencyKey), gatewayTransactionId: null, pspReference: null, createdAt: new Date() }, payment: p }, null));
      expectSuccess(status as never, 'capture', '10');
    });

    it('through the ledger: a saved 500 holds the transaction for review while Stripe cannot tell; a 500 after the charge is settled by asking Stripe', async () => {
      const { manager, service } = makeLedger(env.fake);
      try {
        const pay = () => service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'pm_card_visa' });
        const outcome = (paymentId: string) => service.process({ paymentId, idempotencyKey: key() }).then(() => null, (e: Error & { code?: string }) => e.code);

        // Stripe failed before creating anything, and its search cannot prove that yet: held for review, amount reserved.
        const first = await pay();
        env.fake.failNext({ status: 500, saved: true, path: '/v1/payment_intents' });
        expect(await outcome(first.id)).to.equal('outcome_unknown');
        expect((await service.listTransactions(first.id)).map((t) => t.state)).to.deep.equal(['review']);
        const report = await service.reconcile({ minAgeMs: 0 });
        expect(report.held).to.have.length(1);
        expect(intents()).to.equal(0);

        // Stripe charged, then answered 500: the ledger reads the intent made with the key and records the capture.
        const second = await pay();
        env.fake.failNext({ status: 500, saved: true, afterProcessing: true, path: '/v1/payment_intents' });
        expect(await outcome(second.id)).to.equal(null);
        expect((await service.getPayment(second.id)).chargeStatus).to.equal('fully-charged');
        expect(intents()).to.equal(1);
        expect(intentCreations(env.fake).filter((r) => r.status === 200)).to.have.length(0);
      } finally {
        await manager.close();
      }
    });

    it('a 500 before the endpoint executed (a network-level fault: nothing saved): the retry with the same key charges once', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      env.fake.failNext({ status: 500 });
      const failed = await call(plugin.processPayment(p, null));
      expectFailure(failed, 'processing_error', /HTTP 500/);
      expect(intents()).to.equal(0);
      const retried = await call(plugin.processPayment(p, null));
      expectSuccess(retried, 'capture', '10');
      expect(intents()).to.equal(1);
      expect(intentCreations(env.fake).map((r) => [r.idempotencyKey, r.replayed])).to.deep.equal([
        [p.idempotencyKey, false],
        [p.idempotencyKey, false],
      ]);
    });

    it('a 500 after Stripe charged (answer lost): the retry with the same key replays the charge instead of charging again', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      env.fake.failNext({ status: 500, afterProcessing: true });
      expectFailure(await call(plugin.processPayment(p, null)), 'processing_error');
      expect(intents()).to.equal(1);
      const retried = await call(plugin.processPayment(p, null));
      expectSuccess(retried, 'capture', '10');
      expect(retried.transactionAlreadyProcessed).to.equal(true);
      expect(intents()).to.equal(1);
      expect(intentCreations(env.fake).at(-1)?.replayed).to.equal(true);
    });

    it('a dropped connection is retried by the SDK with the same Idempotency-Key: one charge', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      env.fake.dropNext({ afterProcessing: true });
      const res = await call(plugin.processPayment(p, null));
      expectSuccess(res, 'capture', '10');
      const creations = intentCreations(env.fake);
      expect(creations.map((r) => [r.idempotencyKey, r.fault, r.replayed])).to.deep.equal([
        [p.idempotencyKey, 'drop', false],
        [p.idempotencyKey, null, true],
      ]);
      expect(intents()).to.equal(1);
    });

    it('connections that keep dropping: processing_error "Could not reach Stripe"; the ledger\'s retry later charges once', async () => {
      const plugin = makePlugin(env.fake);
      const p = payment();
      env.fake.dropNext({ times: 2, afterProcessing: true });
      const failed = await call(plugin.processPayment(p, null));
      expectFailure(failed, 'processing_error', /Could not reach Stripe/);
      const retried = await call(plugin.processPayment(p, null));
      expectSuccess(retried, 'capture', '10');
      expect(intents()).to.equal(1);
      expect(new Set(intentCreations(env.fake).map((r) => r.idempotencyKey))).to.deep.equal(new Set([p.idempotencyKey]));
    });

    it('the SDK retries a 500 itself (max_network_retries) with the same key: Stripe replays the saved 500, the outcome stays unknown', async () => {
      const plugin = makePlugin(env.fake, { max_network_retries: '2' });
      const p = payment();
      env.fake.failNext({ status: 500, saved: true });
      const res = await call(plugin.processPayment(p, null));
      expectFailure(res, 'processing_error', /HTTP 500/);
      expect(res.rawResponse).to.include({ outcome_unknown: true });
      expect(intentCreations(env.fake).map((r) => [r.status, r.idempotencyKey, r.replayed])).to.deep.equal([
        [500, p.idempotencyKey, false],
        [500, p.idempotencyKey, true],
        [500, p.idempotencyKey, true],
      ]);
      expect(intents()).to.equal(0);
    });

    it('the SDK retries network-level 5xx (before the endpoint executed) with the same key, and the request then runs once', async () => {
      const plugin = makePlugin(env.fake, { max_network_retries: '2' });
      const p = payment();
      env.fake.failNext({ status: 503, times: 2 });
      const res = await call(plugin.processPayment(p, null));
      expectSuccess(res, 'capture', '10');
      expect(intentCreations(env.fake).map((r) => [r.status, r.idempotencyKey])).to.deep.equal([
        [503, p.idempotencyKey],
        [503, p.idempotencyKey],
        [200, p.idempotencyKey],
      ]);
      expect(intents()).to.equal(1);
    });

    it('captures and refunds carry the ledger key too: a lost refund answer is replayed, not refunded twice', async () => {
      const plugin = makePlugin(env.fake);
      const charged = await call(plugin.processPayment(payment(), null));
      const refund = payment({ token: charged.transactionId, amount: charged.amount.dividedBy(2), idempotencyKey: 'payhost:refund:p1:t1' });
      env.fake.failNext({ status: 502, afterProcessing: true, path: '/v1/refunds' });
      expectFailure(await call(plugin.refundPayment(refund, null)), 'processing_error', /HTTP 502/);
      const again = await call(plugin.refundPayment(refund, null));
      expectSuccess(again, 'refund', '5');
      expect(env.fake.state.account(null).refunds.size).to.equal(1);
      expect(env.fake.requestsTo('/v1/refunds', 'POST').map((r) => r.idempotencyKey)).to.deep.equal(['payhost:refund:p1:t1', 'payhost:refund:p1:t1']);
    });
  });
});
