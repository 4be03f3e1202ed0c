import { expect } from 'chai';
import { Decimal, PluginManager, isOutcomeUnknown, type GatewayResponse, type TransactionStatusInput } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, LOST_CHARGE_PREFIX, parseToken, tokenizeCard } from '@payhost/plugin-dummy';
import { call, expectFailure, expectSuccess, makePlugin, payment, resetDummy } from './helpers.js';

let counter = 0;
function gatewayKey(): string {
  counter += 1;
  return `payhost:process:pay-${counter}:tx-${counter}`;
}

function statusInput(key: string, kind: TransactionStatusInput['transaction']['kind']): TransactionStatusInput {
  return {
    transaction: {
      id: 'tx-ledger-1', paymentId: '1', kind, amount: new Decimal('10.00'), currency: 'USD',
      gatewayIdempotencyKey: key, gatewayTransactionId: null, pspReference: null, createdAt: new Date(),
    },
    payment: payment({ idempotencyKey: key }),
  };
}

/** What the host receives for a lost answer: nothing from the processor, flagged outcome_unknown. */
function expectLostAnswer(response: GatewayResponse): void {
  expect(response).to.include({ isSuccess: false, actionRequired: false, errorCode: 'processing_error', pspReference: null, transactionId: '', currency: 'USD' });
  expect(response.amount.equals(new Decimal('10.00'))).to.equal(true);
  expect(response.error).to.match(/did not answer/);
  expect(response.rawResponse).to.include({ outcome_unknown: true, code: 'answer_lost' });
  expect(isOutcomeUnknown(response), 'the ledger reads it as outcome unknown').to.equal(true);
  expect(response.cardInfo ?? null).to.equal(null);
}

describe('dummy: outcome-unknown tokens (the answer to a charge is lost)', () => {
  beforeEach(resetDummy);

  it('tokenize from their own test cards, and parse bare with those cards\' last 4', () => {
    expect(parseToken(tokenizeCard('4000 0000 0000 5043', 12, 2031, '123'))?.tokenName).to.equal('outcomeUnknownCharged');
    expect(parseToken(tokenizeCard('4000 0000 0000 5027', 12, 2031, '123'))?.tokenName).to.equal('outcomeUnknownNotCharged');
    expect(parseToken(DUMMY_TOKENS.outcomeUnknownCharged)).to.deep.include({ tokenName: 'outcomeUnknownCharged', last4: '5043' });
    expect(parseToken(DUMMY_TOKENS.outcomeUnknownNotCharged)).to.deep.include({ tokenName: 'outcomeUnknownNotCharged', last4: '5027' });
  });

  it('charged: the host hears nothing, the status check cannot tell, and the dummy did capture the charge', async () => {
    const plugin = makePlugin();
    const key = gatewayKey();
    const lost = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: key }), null));
    expectLostAnswer(lost);
    expect(await plugin.getTransactionStatus(statusInput(key, 'capture'), null), 'no answer: cannot tell').to.equal(undefined);

    // What really happened: a captured charge, found by the call's key (a person resolving the review uses this id).
    const chargeId = `${LOST_CHARGE_PREFIX}${key}`;
    const refund = await call(plugin.refundPayment(payment({ token: chargeId, amount: new Decimal('10.00') }), null));
    expectSuccess(refund, 'refund', '10');
    expect(refund.pspReference).to.equal(chargeId);
    expect(refund.cardInfo?.last4).to.equal('5043');
  });

  it('charged: a retry with the same key answers the lost answer again without charging twice', async () => {
    const plugin = makePlugin();
    const key = gatewayKey();
    const request = payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: key });
    expectLostAnswer(await call(plugin.processPayment(request, null)));
    const again = await call(plugin.processPayment(request, null));
    expectLostAnswer(again);
    expect(again.rawResponse).to.include({ idempotentReplayed: true });
    const chargeId = `${LOST_CHARGE_PREFIX}${key}`;
    expectSuccess(await call(plugin.refundPayment(payment({ token: chargeId, amount: new Decimal('10.00') }), null)), 'refund', '10');
    // Only one 10.00 was captured: nothing is left to refund.
    expectFailure(await call(plugin.refundPayment(payment({ token: chargeId, amount: new Decimal('0.01') }), null)), 'processing_error', /exceeds/);
  });

  it('charged: authorizePayment leaves an authorization to capture; 3-D Secure settings do not change the lost answer', async () => {
    const plugin = makePlugin({ require_3d_secure: true });
    const key = gatewayKey();
    const lost = await call(plugin.authorizePayment(payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: key }), null));
    expectLostAnswer(lost);
    expect(lost.actionRequiredData ?? null).to.equal(null);
    expect(await plugin.getTransactionStatus(statusInput(key, 'auth'), null)).to.equal(undefined);
    const chargeId = `${LOST_CHARGE_PREFIX}${key}`;
    expectFailure(await call(plugin.refundPayment(payment({ token: chargeId }), null)), 'processing_error', /exceeds/);
    expectSuccess(await call(plugin.capturePayment(payment({ token: chargeId }), null)), 'capture', '10');
  });

  it('not charged: the same answer and status, and the dummy has no charge for the call', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const key = gatewayKey();
    const lost = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownNotCharged, idempotencyKey: key }), null));
    expectLostAnswer(lost);
    expect(await plugin.getTransactionStatus(statusInput(key, 'auth'), null)).to.equal(undefined);
    const chargeId = `${LOST_CHARGE_PREFIX}${key}`;
    expectFailure(await call(plugin.capturePayment(payment({ token: chargeId }), null)), 'processing_error', /Unknown transaction token/);
    expectFailure(await call(plugin.voidPayment(payment({ token: chargeId }), null)), 'processing_error', /Unknown transaction token/);
  });

  it('through the plugin manager, the status check of a lost call is null (cannot tell); of an ordinary one, the dummy\'s answer', async () => {
    const channels = [{ slug: 'ch', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD' } } } }];
    const manager = new PluginManager({ plugins: [DummyGatewayPlugin], config: { channels } });
    try {
      const lostKey = gatewayKey();
      const lost = await manager.runOperation('processPayment', { channel: 'ch', gateway: 'payhost.dummy', payment: payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: lostKey }) });
      expectLostAnswer(lost);
      expect(await manager.getTransactionStatus({ channel: 'ch', gateway: 'payhost.dummy', ...statusInput(lostKey, 'capture') })).to.equal(null);
      const okKey = gatewayKey();
      await manager.runOperation('processPayment', { channel: 'ch', gateway: 'payhost.dummy', payment: payment({ idempotencyKey: okKey }) });
      expect(await manager.getTransactionStatus({ channel: 'ch', gateway: 'payhost.dummy', ...statusInput(okKey, 'capture') })).to.include({ isSuccess: true, kind: 'capture' });
    } finally {
      await manager.close();
    }
  });

  it('charged: the same key in two channels makes two charges, each found only in its own channel', async () => {
    // Channels are separate processor accounts: one channel's lost charge must not replace the other's.
    const key = gatewayKey();
    const chargeId = `${LOST_CHARGE_PREFIX}${key}`;
    const a = makePlugin({}, 'ch-a');
    const b = makePlugin({ auto_capture: false }, 'ch-b');
    expectLostAnswer(await call(a.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: key }), null)));
    expectLostAnswer(await call(b.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, idempotencyKey: key }), null)));

    // ch-a captured 10.00; ch-b only authorized it.
    expectSuccess(await call(a.refundPayment(payment({ token: chargeId, amount: new Decimal('4.00') }), null)), 'refund', '4');
    expectFailure(await call(b.refundPayment(payment({ token: chargeId, amount: new Decimal('4.00') }), null)), 'processing_error', /exceeds/);
    expectSuccess(await call(b.capturePayment(payment({ token: chargeId }), null)), 'capture', '10');
    // Each channel's charge kept its own figures: ch-a has 6.00 left to refund, ch-b all 10.00.
    expectFailure(await call(a.refundPayment(payment({ token: chargeId, amount: new Decimal('6.01') }), null)), 'processing_error', /left to refund \(6 USD\)/);
    expectSuccess(await call(b.refundPayment(payment({ token: chargeId, amount: new Decimal('10.00') }), null)), 'refund', '10');
  });

  it('a charge the dummy refuses before sending it (currency, amount) still fails at once', async () => {
    const plugin = makePlugin();
    const otherCurrency = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownCharged, currency: 'EUR', idempotencyKey: gatewayKey() }), null));
    expectFailure(otherCurrency, 'processing_error', /not supported/);
    expect(isOutcomeUnknown(otherCurrency)).to.equal(false);
    const badAmount = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.outcomeUnknownNotCharged, amount: new Decimal('0.001'), idempotencyKey: gatewayKey() }), null));
    expect(isOutcomeUnknown(badAmount)).to.equal(false);
  });
});
