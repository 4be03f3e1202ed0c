import { expect } from 'chai';
import { GatewayDeclinedError, MemoryLedgerStore, PaymentService, type FaultHooks } from '@payhost/core';
import { CHANNEL, GATEWAY, WEBHOOK_SECRET, intentCreations, key, makeLedger, makeManager, makePlugin, rejection, useFakeStripe } from './helpers.js';

describe('stripe: through the ledger (PaymentService)', () => {
  const env = useFakeStripe();
  const create = (service: PaymentService, total = '10.00', token: string | null = 'pm_card_visa', currency = 'USD') =>
    service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency, token, customerEmail: 'buyer@example.com' });

  it('process captures once; the same request key replays without calling Stripe again', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const created = await create(service, '1999', 'pm_card_visa', 'JPY');
      const requestKey = key();
      const first = await service.process({ paymentId: created.id, idempotencyKey: requestKey });
      expect(first.payment.chargeStatus).to.equal('fully-charged');
      expect(first.transaction.gatewayIdempotencyKey).to.equal(intentCreations(env.fake)[0]?.idempotencyKey);
      expect(intentCreations(env.fake)[0]?.params).to.deep.include({ amount: '1999', currency: 'jpy' });
      const again = await service.process({ paymentId: created.id, idempotencyKey: requestKey });
      expect(again.transaction.id).to.equal(first.transaction.id);
      expect(intentCreations(env.fake)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });

  it('a decline is recorded as a failed transaction with the unified code, then a new card succeeds', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      const created = await create(service, '10.00', 'pm_card_chargeDeclinedExpiredCard');
      const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      expect(err).to.be.instanceOf(GatewayDeclinedError);
      expect(err.details).to.include({ errorCode: 'expired' });
      const [failed] = await service.listTransactions(created.id);
      expect(failed).to.deep.include({ isSuccess: false, errorCode: 'expired', error: 'Your card has expired.' });
      expect(failed?.pspReference).to.match(/^pi_/);
    } finally {
      await manager.close();
    }
  });

  it('authorize, partial capture (one capture: the rest is released), several refunds, and void of another', async () => {
    const { manager, service } = makeLedger(env.fake, { auto_capture: false });
    try {
      const created = await create(service, '100.00');
      const auth = await service.authorize({ paymentId: created.id, idempotencyKey: key() });
      expect(auth.payment.authorizedAmount.eq('100')).to.equal(true);
      const cap = await service.capture({ paymentId: created.id, idempotencyKey: key(), amount: '80.00' });
      expect(cap.payment.chargeStatus).to.equal('partially-charged');
      // Stripe captures an intent once: the gateway config says so, and the ledger refuses a second capture.
      expect((await rejection(service.capture({ paymentId: created.id, idempotencyKey: key(), amount: '20.00' }))).code).to.equal('operation_not_allowed');
      await service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '30.00' });
      const last = await service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '50.00' });
      expect(last.payment.chargeStatus).to.equal('fully-refunded');
      expect(env.fake.requestsTo('/v1/refunds', 'POST').map((r) => r.params['amount'])).to.deep.equal(['3000', '5000']);

      const other = await create(service, '5.00');
      await service.authorize({ paymentId: other.id, idempotencyKey: key() });
      const voided = await service.void({ paymentId: other.id, idempotencyKey: key() });
      expect(voided.transaction.kind).to.equal('void');
      expect(voided.payment.isActive).to.equal(false);
      expect(env.fake.paymentIntent(voided.payment.pspReference ?? '')['status']).to.equal('canceled');
    } finally {
      await manager.close();
    }
  });

  it('a crash after Stripe charged leaves a pending transaction; reconcile() finds the charge by its idempotency key', async () => {
    const manager = makeManager(env.fake);
    const store = new MemoryLedgerStore();
    let crash = true;
    const faults: FaultHooks = {
      'after-gateway': ({ operation }) => {
        if (crash && operation !== 'reconcile') throw new Error('simulated crash');
      },
    };
    const service = new PaymentService({ manager, store, faults });
    try {
      const created = await create(service, '25.00');
      await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      const [pending] = await service.listTransactions(created.id);
      expect(pending?.state).to.equal('pending');
      crash = false;
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.deep.equal([pending?.id]);
      expect(env.fake.requestsTo('/v1/payment_intents/search')).to.have.length(1);
      const payment = await service.getPayment(created.id);
      expect(payment.chargeStatus).to.equal('fully-charged');
      expect(intentCreations(env.fake)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });

  it('a crash during a refund: reconcile() finds the refund made with that key, or tells that none was made', async () => {
    const manager = makeManager(env.fake);
    const store = new MemoryLedgerStore();
    let crash: 'after-pending' | 'after-gateway' | null = null;
    const when = (point: 'after-pending' | 'after-gateway') => ({ operation }: { operation: string }) => {
      if (crash === point && operation === 'refund') throw new Error(`simulated crash ${point}`);
    };
    // The ledger's clock ten minutes behind: its refunds are older than followUpSettleMs when Stripe is asked,
    // so a refund Stripe does not show cannot still be on its way (a younger one is "cannot tell").
    const clock = () => new Date(Date.now() - 10 * 60_000);
    const service = new PaymentService({ manager, store, clock, faults: { 'after-pending': when('after-pending'), 'after-gateway': when('after-gateway') } });
    try {
      const created = await create(service, '40.00');
      await service.process({ paymentId: created.id, idempotencyKey: key() });
      crash = 'after-gateway'; // Stripe refunded, the ledger never heard
      await rejection(service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '15.00' }));
      crash = 'after-pending'; // the process died before calling Stripe
      await rejection(service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '5.00' }));
      crash = null;
      const report = await service.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(2);
      const payment = await service.getPayment(created.id);
      expect(payment.capturedAmount.eq('25')).to.equal(true);
      expect(payment.chargeStatus).to.equal('partially-refunded');
      const refunds = (await service.listTransactions(created.id)).filter((t) => t.kind === 'refund');
      expect(refunds.map((t) => [t.amount.toString(), t.isSuccess])).to.deep.equal([
        ['15', true],
        ['5', false],
      ]);
      expect(refunds[1]?.error).to.match(/never took effect/);
      expect(env.fake.state.account(null).refunds.size).to.equal(1);
    } finally {
      await manager.close();
    }
  });

  it('Stripe charged and answered a saved 500 while its search lags: held for review; the payment_intent.succeeded event settles it', async () => {
    const { manager, service } = makeLedger(env.fake);
    try {
      env.fake.setSearchIndexDelay(60 * 60 * 1000);
      const created = await create(service, '10.00');
      env.fake.failNext({ status: 500, saved: true, afterProcessing: true, path: '/v1/payment_intents' });
      const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
      expect(err.code).to.equal('outcome_unknown');
      const [held] = await service.listTransactions(created.id);
      expect(held?.state).to.equal('review');
      expect((await service.reconcile({ minAgeMs: 0 })).held).to.deep.equal([held?.id]);
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');

      const event = env.fake.lastEvent('payment_intent.succeeded');
      const delivery = await makePlugin(env.fake).webhook(env.fake.webhook(event, WEBHOOK_SECRET), null);
      for (const e of delivery?.events ?? []) await service.applyGatewayEvent({ ...e, gateway: GATEWAY, channel: CHANNEL });
      const [settled] = await service.listTransactions(created.id);
      expect(settled).to.deep.include({ id: held?.id, state: 'applied', isSuccess: true });
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('fully-charged');
      expect(intentCreations(env.fake)).to.have.length(1);
    } finally {
      await manager.close();
    }
  });
});
