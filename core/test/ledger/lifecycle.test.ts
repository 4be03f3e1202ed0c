import { expect } from 'chai';
import { GatewayDeclinedError, type GatewayResponse, type PaymentData } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, GatedDummy, codeOf, dummyStore, expectAmount, key, rejection, setup, successful, sum, type Setup } from './helpers.js';

describe('ledger: payment lifecycle with the dummy gateway', () => {
  let env: Setup;
  afterEach(async () => env?.close());

  it('a currency dropped from the channel and gateway since: its payments can still be refunded and voided, not charged', async () => {
    env = setup({ currencies: ['USD', 'JPY'] });
    const charged = await env.create({ currency: 'JPY', total: '5000' });
    await env.service.process({ paymentId: charged.id, idempotencyKey: key() });
    const authorized = await env.create({ currency: 'JPY', total: '700' });
    await env.service.authorize({ paymentId: authorized.id, idempotencyKey: key() });
    const unpaid = await env.create({ currency: 'JPY', total: '300' });
    // The host restarts with JPY gone from the channel and from the gateway's supported currencies.
    const later = setup({ currencies: ['USD'], store: env.store });
    try {
      const refunded = await later.service.refund({ paymentId: charged.id, idempotencyKey: key(), amount: '2000' });
      expectAmount(refunded.payment.capturedAmount, '3000');
      const voided = await later.service.void({ paymentId: authorized.id, idempotencyKey: key() });
      expect(voided.payment.isActive).to.equal(false);
      expect(await codeOf(later.service.process({ paymentId: unpaid.id, idempotencyKey: key() }))).to.equal('currency_not_supported');
      expect(await codeOf(later.create({ currency: 'JPY', total: '100' }))).to.equal('currency_not_supported');
    } finally {
      await later.close();
    }
  });

  describe('process', () => {
    it('auto-captures the total: fully-charged, one successful capture transaction', async () => {
      env = setup();
      const payment = await env.create();
      expect(payment).to.deep.include({ chargeStatus: 'not-charged', isActive: true, toConfirm: false, gateway: 'payhost.dummy', version: 1 });
      const { payment: after, transaction } = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(after.chargeStatus).to.equal('fully-charged');
      expectAmount(after.capturedAmount, '10');
      expectAmount(after.authorizedAmount, '0');
      expect(after.pspReference).to.match(/^dummy_ch_/);
      expect(after.version).to.equal(2);
      expect(transaction).to.deep.include({ kind: 'capture', state: 'applied', isSuccess: true, errorCode: null, paymentId: payment.id });
      expect(transaction.gatewayIdempotencyKey).to.equal(`payhost:process:${payment.id}:${transaction.id}`);
      expect(transaction.rawResponse).to.include({ object: 'dummy_charge' });
      expect(await env.service.listTransactions(payment.id)).to.have.length(1);
    });

    it('only authorizes when the gateway does not auto-capture; process twice is refused', async () => {
      env = setup({ configuration: { auto_capture: false } });
      const payment = await env.create();
      const { payment: after, transaction } = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(transaction.kind).to.equal('auth');
      expect(after.chargeStatus).to.equal('not-charged');
      expectAmount(after.authorizedAmount, '10');
      expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    });

    it('refuses an unknown payment and a missing idempotency key with typed errors', async () => {
      env = setup();
      expect(await codeOf(env.service.process({ paymentId: 'nope', idempotencyKey: key() }))).to.equal('payment_not_found');
      expect(await codeOf(env.service.getPayment('nope'))).to.equal('payment_not_found');
      const payment = await env.create();
      expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: '' }))).to.equal('invalid_input');
    });

    it('validates the payment on creation: currency, amount decimals, gateway, card numbers as tokens', async () => {
      env = setup();
      expect(await codeOf(env.create({ currency: 'EUR' }))).to.equal('currency_not_supported');
      expect(await codeOf(env.create({ currency: 'JPY', total: '10.5' }))).to.equal('invalid_amount');
      expect(await codeOf(env.create({ total: '-1' }))).to.equal('invalid_amount');
      expect(await codeOf(env.create({ gateway: 'acme' }))).to.equal('unknown_gateway');
      expect(await codeOf(env.create({ token: '4242 4242 4242 4242' }))).to.equal('invalid_input');
    });
  });

  describe('authorize and capture', () => {
    it('an authorization the processor captured on its own (account auto-capture) is recorded as the capture', async () => {
      /** As Razorpay with the account's auto-capture on: the authorization comes back captured. */
      class CapturingDummy extends GatedDummy {
        override async authorizePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
          const answer = await super.authorizePayment(p, v);
          return answer && { ...answer, kind: 'capture' };
        }
      }
      env = setup({ plugin: CapturingDummy });
      const payment = await env.create();
      const auth = await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      expect(auth.transaction).to.include({ kind: 'capture', isSuccess: true, state: 'applied' });
      expect(auth.payment.chargeStatus).to.equal('fully-charged');
      expectAmount(auth.payment.capturedAmount, '10');
      expectAmount(auth.payment.authorizedAmount, '0');
      // Nothing left to capture (the dummy itself only authorized: a refund here would be its refusal, not the ledger's).
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    });

    it('captures partially, several times, refuses over-capture, then captures the rest', async () => {
      env = setup();
      const payment = await env.create();
      const auth = await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      expect(auth.transaction.kind).to.equal('auth');
      expect(auth.payment.chargeStatus).to.equal('not-charged');
      expectAmount(auth.payment.authorizedAmount, '10');

      const first = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
      expect(first.payment.chargeStatus).to.equal('partially-charged');
      expectAmount(first.payment.capturedAmount, '3');
      expectAmount(first.payment.authorizedAmount, '7');
      const second = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '2.50' });
      expectAmount(second.payment.capturedAmount, '5.5');

      const over = await rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.51' }));
      expect(over.code).to.equal('amount_exceeds');
      expect(over.details).to.include({ requested: '4.51', available: '4.50', currency: 'USD' });

      const rest = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
      expectAmount(rest.transaction.amount, '4.5');
      expect(rest.payment.chargeStatus).to.equal('fully-charged');
      expectAmount(rest.payment.capturedAmount, '10');
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      // Rejections wrote nothing: three captures and the authorization.
      expect(await env.service.listTransactions(payment.id)).to.have.length(4);
    });

    it('allows one capture only when the gateway does not support multiple captures', async () => {
      env = setup({ configuration: { supports_multiple_captures: false } });
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4' });
      const err = await rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1' }));
      expect(err.code).to.equal('operation_not_allowed');
      expect(err.message).to.match(/multiple captures/);
    });

    it('refuses to capture before authorization and amounts invalid for the currency', async () => {
      env = setup();
      const payment = await env.create();
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.001' }))).to.equal('invalid_amount');
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '0' }))).to.equal('invalid_amount');
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: 'abc' }))).to.equal('invalid_amount');
    });
  });

  describe('refund', () => {
    it('refunds partially, several times, refuses over-refund, then fully: fully-refunded and inactive', async () => {
      env = setup();
      const payment = await env.create();
      await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      const r1 = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '2.00' });
      expect(r1.payment.chargeStatus).to.equal('partially-refunded');
      expectAmount(r1.payment.capturedAmount, '8');
      const r2 = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
      expectAmount(r2.payment.capturedAmount, '5');
      expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '5.01' }))).to.equal('amount_exceeds');
      const r3 = await env.service.refund({ paymentId: payment.id, idempotencyKey: key() });
      expectAmount(r3.transaction.amount, '5');
      expect(r3.payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
      expectAmount(r3.payment.capturedAmount, '0');
      expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      const txs = await env.service.listTransactions(payment.id);
      expectAmount(sum(successful(txs, 'refund')), '10');
    });

    it('refuses to refund what was never captured', async () => {
      env = setup();
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1' }))).to.equal('operation_not_allowed');
    });
  });

  describe('void', () => {
    it('voids an uncaptured authorization: inactive, nothing authorized, nothing more allowed', async () => {
      env = setup();
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      const { payment: after, transaction } = await env.service.void({ paymentId: payment.id, idempotencyKey: key() });
      expect(transaction).to.deep.include({ kind: 'void', isSuccess: true });
      expect(after).to.deep.include({ isActive: false, chargeStatus: 'not-charged' });
      expectAmount(after.authorizedAmount, '0');
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      expect(await codeOf(env.service.void({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    });

    it('refuses to void after a capture (the can-void guard Saleor lacks), and before any authorization', async () => {
      env = setup();
      const fresh = await env.create();
      expect(await codeOf(env.service.void({ paymentId: fresh.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1' });
      const err = await rejection(env.service.void({ paymentId: payment.id, idempotencyKey: key() }));
      expect(err.code).to.equal('operation_not_allowed');
      // The dummy captures several times: 9.00 stays authorized, which a void would not release.
      expect(err.message).to.include('1.00 USD of the authorization was captured').and.to.include('capture the remaining 9.00 USD').and.to.include('refund what was captured');
      const txs = await env.service.listTransactions(payment.id);
      expect(txs.map((t) => t.kind)).to.deep.equal(['auth', 'capture']);
    });
  });

  describe('confirm (3-D Secure)', () => {
    it('process asks for action, confirm completes the charge', async () => {
      env = setup();
      const payment = await env.create({ token: DUMMY_TOKENS.threeDSecure });
      const started = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(started.transaction).to.deep.include({ kind: 'action_to_confirm', isSuccess: true, actionRequired: true });
      expect(started.transaction.actionRequiredData).to.include({ type: 'three_d_secure' });
      expect(started.payment).to.deep.include({ toConfirm: true, chargeStatus: 'not-charged' });
      expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      const confirmed = await env.service.confirm({ paymentId: payment.id, idempotencyKey: key() });
      expect(confirmed.transaction).to.deep.include({ kind: 'capture', isSuccess: true });
      expect(confirmed.payment).to.deep.include({ toConfirm: false, chargeStatus: 'fully-charged' });
      expectAmount(confirmed.payment.capturedAmount, '10');
    });

    it('a failed confirmation is recorded as a failed transaction and raised as gateway_declined', async () => {
      env = setup();
      const payment = await env.create({ token: DUMMY_TOKENS.threeDSecureFail });
      await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      const err = await rejection(env.service.confirm({ paymentId: payment.id, idempotencyKey: key() }));
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      const declined = err as GatewayDeclinedError;
      expect(declined.errorCode).to.equal('declined');
      const txs = await env.service.listTransactions(payment.id);
      const failed = txs.find((t) => t.id === declined.transactionId);
      expect(failed).to.deep.include({ isSuccess: false, errorCode: 'declined', state: 'applied' });
      const after = await env.service.getPayment(payment.id);
      expectAmount(after.capturedAmount, '0');
      expect(after.chargeStatus).to.equal('not-charged');
    });

    it('refuses to confirm a payment that is not waiting for confirmation', async () => {
      env = setup();
      const payment = await env.create();
      expect(await codeOf(env.service.confirm({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
      await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(await codeOf(env.service.confirm({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    });

    it('with 3-D Secure required and no auto-capture, confirm authorizes; capture follows', async () => {
      env = setup({ configuration: { require_3d_secure: true, auto_capture: false } });
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      const confirmed = await env.service.confirm({ paymentId: payment.id, idempotencyKey: key() });
      expect(confirmed.transaction.kind).to.equal('auth');
      expectAmount(confirmed.payment.authorizedAmount, '10');
      const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
      expect(captured.payment.chargeStatus).to.equal('fully-charged');
    });
  });

  describe('declines', () => {
    const cases: Array<[keyof typeof DUMMY_TOKENS, string]> = [
      ['declined', 'declined'],
      ['expired', 'expired'],
      ['incorrectCvv', 'incorrect_cvv'],
      ['insufficientFunds', 'declined'],
      ['processingError', 'processing_error'],
      ['invalidNumber', 'invalid_number'],
      ['invalidExpiryDate', 'invalid_expiry_date'],
    ];
    for (const [token, code] of cases) {
      it(`${token}: recorded as a failed transaction with code ${code}, then gateway_declined`, async () => {
        env = setup();
        const payment = await env.create({ token: DUMMY_TOKENS[token] });
        const err = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: key() }));
        expect(err).to.be.instanceOf(GatewayDeclinedError);
        expect(err.code).to.equal('gateway_declined');
        expect((err as GatewayDeclinedError).errorCode).to.equal(code);
        expect(err.details).to.include({ errorCode: code, paymentId: payment.id });
        const [tx] = await env.service.listTransactions(payment.id);
        expect(tx).to.deep.include({ id: (err as GatewayDeclinedError).transactionId, isSuccess: false, errorCode: code, state: 'applied' });
        expect(tx?.error).to.be.a('string').and.not.equal('');
        const after = await env.service.getPayment(payment.id);
        expect(after).to.deep.include({ chargeStatus: 'not-charged', isActive: true, version: 1 });
      });
    }

    it('an inactive gateway is refused before anything is written', async () => {
      env = setup();
      const payment = await env.create();
      env.manager.updatePluginConfiguration('payhost.dummy', 'web', { active: false });
      expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('inactive_gateway');
      expect(await env.service.listTransactions(payment.id)).to.have.length(0);
    });

    it('a gateway deactivated after the reservation: the attempt is recorded as failed, with the typed routing error', async () => {
      env = setup({ faults: { 'after-pending': () => void env.manager.updatePluginConfiguration('payhost.dummy', 'web', { active: false }) } });
      const payment = await env.create();
      const k = key();
      const err = await rejection(env.service.process({ paymentId: payment.id, idempotencyKey: k }));
      expect(err.code).to.equal('inactive_gateway');
      const [tx] = await env.service.listTransactions(payment.id);
      expect(tx).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'processing_error', id: err.details?.['transactionId'] });
      // The recorded outcome is replayed, without another attempt.
      expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: k }))).to.equal('inactive_gateway');
      expect(await env.service.listTransactions(payment.id)).to.have.length(1);
    });
  });

  describe('already processed', () => {
    class RepeatingDummy extends DummyGatewayPlugin {
      static first: GatewayResponse | null = null;
      override async capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
        if (!RepeatingDummy.first) {
          RepeatingDummy.first = (await super.capturePayment(p, v)) ?? null;
          return RepeatingDummy.first ?? undefined;
        }
        return { ...RepeatingDummy.first, transactionAlreadyProcessed: true };
      }
    }

    it('a response marked already processed returns the existing transaction and counts nothing twice', async () => {
      env = setup({ plugin: RepeatingDummy });
      const payment = await env.create();
      await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
      const first = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4' });
      const again = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4' });
      expect(again.transaction.id).to.equal(first.transaction.id);
      expectAmount(again.payment.capturedAmount, '4');
      expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '4');
      const txs = await env.service.listTransactions(payment.id);
      expect(successful(txs, 'capture')).to.have.length(1);
      const duplicate = txs.at(-1);
      expect(duplicate?.rawResponse).to.include({ alreadyProcessedAs: first.transaction.id });
      expect(duplicate?.state).to.equal('applied');
    });
  });

  describe('card on file', () => {
    it('stores the gateway customer id when asked, then reuses the card when no token is passed', async () => {
      env = setup();
      const first = await env.create({ customerId: 'cust-1', storePaymentMethod: true });
      const done = await env.service.process({ paymentId: first.id, idempotencyKey: key() });
      expect(done.transaction.customerId).to.match(/^dummy_cus_/);
      const account = await env.store.transaction((tx) => tx.getCustomerAccount('cust-1', 'web', 'payhost.dummy'));
      expect(account?.gatewayCustomerId).to.equal(done.transaction.customerId);

      const second = await env.create({ customerId: 'cust-1', token: null });
      const reused = await env.service.process({ paymentId: second.id, idempotencyKey: key() });
      expect(reused.payment.chargeStatus).to.equal('fully-charged');
      expect(dummyStore.customer('web', 'cust-1')?.gatewayCustomerId).to.equal(account?.gatewayCustomerId);
    });

    it('no token and nothing on file: the seed\'s typed error at creation, and nothing is written', async () => {
      env = setup();
      const k = key();
      const err = await rejection(env.create({ customerId: 'cust-unknown', token: null, idempotencyKey: k }));
      expect(err.code).to.equal('no_payment_source');
      expect(err.message).to.equal('cust-unknown is not associated to an account on the processor and no token was passed.');
      // The payment was never recorded: the error names no payment id.
      expect(err.details).to.deep.equal({ paymentId: null, customerId: 'cust-unknown', gateway: 'payhost.dummy' });
      expect(await env.store.getIdempotencyRecord(k)).to.equal(null);
      const err2 = await rejection(env.create({ token: null }));
      expect(err2.code).to.equal('no_payment_source');
      expect(err2.message).to.equal('The payment has no customer: it is not associated to an account on the processor and no token was passed.');
    });

    it('does not store the customer when the payment does not ask to', async () => {
      env = setup();
      const payment = await env.create({ customerId: 'cust-2' });
      await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
      expect(await env.store.transaction((tx) => tx.getCustomerAccount('cust-2', 'web', 'payhost.dummy'))).to.equal(null);
    });
  });

  describe('currencies with 0, 2 and 3 decimals', () => {
    const cases = [
      { currency: 'JPY', total: '1000', capture: '300', refund: '1', bad: '0.5' },
      { currency: 'USD', total: '10.00', capture: '0.01', refund: '0.01', bad: '0.001' },
      { currency: 'KWD', total: '10.125', capture: '0.005', refund: '0.001', bad: '0.0001' },
    ];
    for (const c of cases) {
      it(`${c.currency}: exact amounts through authorize, capture, refund; too many decimals refused`, async () => {
        env = setup();
        const payment = await env.create({ currency: c.currency, total: c.total });
        await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
        expect(await codeOf(env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: c.bad }))).to.equal('invalid_amount');
        const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: c.capture });
        expectAmount(captured.payment.capturedAmount, c.capture);
        const rest = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
        expect(rest.payment.chargeStatus).to.equal('fully-charged');
        expectAmount(rest.payment.capturedAmount, c.total);
        const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: c.refund });
        expectAmount(refunded.payment.capturedAmount, captured.payment.total.minus(c.refund).toString());
        expect(refunded.payment.chargeStatus).to.equal('partially-refunded');
        expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: c.bad }))).to.equal('invalid_amount');
      });
    }
  });
});
