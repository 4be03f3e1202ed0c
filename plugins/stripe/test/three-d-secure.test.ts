import { expect } from 'chai';
import { CHANNEL, GATEWAY, LOCAL_SETTINGS, PUBLISHABLE_KEY, call, dec, expectFailure, expectSuccess, intentCreations, key, makeLedger, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

describe('stripe: 3-D Secure', () => {
  const env = useFakeStripe();

  it('require_3d_secure asks Stripe for 3DS on every card; action required -> confirm -> captured', async () => {
    const plugin = makePlugin(env.fake, { require_3d_secure: true });
    const p = payment();
    const res = await call(plugin.processPayment(p, null));
    expect(res).to.deep.include({ isSuccess: true, actionRequired: true, kind: 'action_to_confirm' });
    expect(intentCreations(env.fake)[0]?.params['payment_method_options']).to.deep.equal({ card: { request_three_d_secure: 'any' } });
    expect(res.actionRequiredData).to.deep.include({ type: 'stripe_payment_intent', paymentIntentId: res.pspReference, status: 'requires_action', nextActionType: 'use_stripe_sdk', publishableKey: PUBLISHABLE_KEY, stripeAccount: null });
    expect(res.actionRequiredData?.['clientSecret']).to.match(new RegExp(`^${res.pspReference}_secret_`));
    expect(plugin.gatewayConfig().require3dSecure).to.equal(true);

    env.fake.completeThreeDSecure(res.pspReference ?? '');
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key() }), null));
    expectSuccess(confirmed, 'capture', '10');
    expect(confirmed.cardInfo?.last4).to.equal('4242');
    expect(env.fake.requestsTo(/\/confirm$/)).to.have.length(0); // Stripe.js confirmed it in the browser: the server only reads
  });

  it('a card that always needs 3DS asks for it without the setting; a failed challenge is a decline', async () => {
    const plugin = makePlugin(env.fake);
    const res = await call(plugin.processPayment(payment({ token: 'pm_card_threeDSecure2Required' }), null));
    expect(res.kind).to.equal('action_to_confirm');
    expect(intentCreations(env.fake)[0]?.params).to.not.have.property('payment_method_options');
    env.fake.completeThreeDSecure(res.pspReference ?? '', false);
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key() }), null));
    expectFailure(confirmed, 'declined', /failed authentication/);
    expect(confirmed.kind).to.equal('capture');
  });

  it('confirming before the customer finished the challenge asks for the action again', async () => {
    const plugin = makePlugin(env.fake);
    const res = await call(plugin.processPayment(payment({ token: 'pm_card_authenticationRequired' }), null));
    const again = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key() }), null));
    expect(again).to.deep.include({ isSuccess: true, actionRequired: true, kind: 'action_to_confirm' });
  });

  it('an intent waiting for server-side confirmation (requires_confirmation) is confirmed with the ledger key', async () => {
    const plugin = makePlugin(env.fake, { auto_capture: false });
    const res = await call(plugin.processPayment(payment({ token: 'pm_card_threeDSecure2Required' }), null));
    env.fake.completeThreeDSecure(res.pspReference ?? '');
    env.fake.setIntentStatus(res.pspReference ?? '', 'requires_confirmation');
    const confirmKey = key('payhost:confirm');
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: confirmKey }), null));
    expectSuccess(confirmed, 'auth', '10');
    expect(confirmed.transactionAlreadyProcessed).to.equal(false);
    expect(env.fake.requestsTo(/\/confirm$/).map((r) => r.idempotencyKey)).to.deep.equal([confirmKey]);
  });

  it('through the PluginManager: processPayment -> action_to_confirm, confirmPayment -> capture', async () => {
    const manager = makeManager(env.fake, { require_3d_secure: true });
    try {
      const res = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      expect(res.kind).to.equal('action_to_confirm');
      env.fake.completeThreeDSecure(res.pspReference ?? '');
      const confirmed = await manager.confirmPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment({ token: res.transactionId, amount: dec('0'), idempotencyKey: key() }) });
      expectSuccess(confirmed, 'capture', '10');
    } finally {
      await manager.close();
    }
  });

  it('through the ledger: to confirm, confirmed and captured, then refunded; a webhook after that changes nothing', async () => {
    const { manager, service } = makeLedger(env.fake, { require_3d_secure: true });
    try {
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '42.00', currency: 'USD', token: 'pm_card_visa', customerEmail: 'a@example.com' });
      const processed = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(processed.transaction).to.deep.include({ kind: 'action_to_confirm', actionRequired: true, isSuccess: true });
      expect(processed.payment).to.deep.include({ toConfirm: true, chargeStatus: 'not-charged' });
      expect(processed.transaction.actionRequiredData).to.have.property('clientSecret').that.matches(/_secret_/);
      const intentId = processed.payment.pspReference ?? '';
      expect(intentId).to.match(/^pi_/);

      env.fake.completeThreeDSecure(intentId);
      const confirmed = await service.confirm({ paymentId: created.id, idempotencyKey: key() });
      expect(confirmed.transaction).to.deep.include({ kind: 'capture', isSuccess: true, gatewayTransactionId: intentId });
      expect(confirmed.payment).to.deep.include({ toConfirm: false, chargeStatus: 'fully-charged' });
      expect(confirmed.payment.capturedAmount.eq('42')).to.equal(true);

      const refunded = await service.refund({ paymentId: created.id, idempotencyKey: key(), amount: '2.00' });
      expect(refunded.transaction).to.deep.include({ kind: 'refund', isSuccess: true });
      expect(refunded.payment.chargeStatus).to.equal('partially-refunded');

      const { normalizeEvent } = await import('@payhost/plugin-stripe');
      const succeeded = normalizeEvent(env.fake.lastEvent('payment_intent.succeeded') as never, LOCAL_SETTINGS)[0];
      const result = await service.applyGatewayEvent({ ...succeeded!, gateway: GATEWAY });
      expect(result.status).to.equal('already_applied');
      expect((await service.getPayment(created.id)).capturedAmount.eq('40')).to.equal(true);
    } finally {
      await manager.close();
    }
  });
});
