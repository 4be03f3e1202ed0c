import { expect } from 'chai';
import { Decimal, type GatewayResponse, type PaymentData } from '@payhost/core';
import { DUMMY_TOKENS, tokenizeCard } from '@payhost/plugin-dummy';
import { call, expectFailure, expectSuccess, makePlugin, payment, resetDummy } from './helpers.js';

const d = (v: string) => new Decimal(v);

describe('dummy: operations', () => {
  beforeEach(resetDummy);

  it('processPayment captures when auto_capture is on', async () => {
    const res = await call(makePlugin({ auto_capture: true }).processPayment(payment(), null));
    expectSuccess(res, 'capture', '10');
    expect(res.rawResponse).to.include({ captured: '10', authorized: '10' });
  });

  it('processPayment only authorizes when auto_capture is off', async () => {
    const res = await call(makePlugin({ auto_capture: false }).processPayment(payment(), null));
    expectSuccess(res, 'auth', '10');
    expect(res.rawResponse).to.include({ captured: '0', authorized: '10' });
  });

  it('authorizePayment authorizes even when auto_capture is on', async () => {
    const res = await call(makePlugin({ auto_capture: true }).authorizePayment(payment(), null));
    expectSuccess(res, 'auth', '10');
    expect(res.cardInfo?.last4).to.equal('4242');
  });

  it('ignores previousValue for payment operations', async () => {
    const previous = { isSuccess: false, kind: 'auth' } as never;
    const res = await call(makePlugin().processPayment(payment(), previous));
    expectSuccess(res, 'capture', '10');
  });

  it('captures partially, several times, up to the authorized amount', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: d('100.00') }), null));
    const first = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('30.00') }), null));
    expectSuccess(first, 'capture', '30');
    expect(first.pspReference).to.equal(auth.pspReference);
    expect(first.transactionId).to.not.equal(auth.transactionId);
    // any transaction id of the charge, or its pspReference, names it
    const second = await call(plugin.capturePayment(payment({ token: first.transactionId, amount: d('50.25') }), null));
    expectSuccess(second, 'capture', '50.25');
    const third = await call(plugin.capturePayment(payment({ token: auth.pspReference ?? '', amount: d('19.75') }), null));
    expectSuccess(third, 'capture', '19.75');
    expect(third.rawResponse).to.include({ captured: '100' });
    const more = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('0.01') }), null));
    expectFailure(more, 'processing_error', /exceeds the amount left to capture \(0 USD\)/);
    expect(more.kind).to.equal('capture');
    expect(more.pspReference).to.equal(auth.pspReference);
  });

  it('rejects a capture above the authorized amount and changes nothing', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: d('20.00') }), null));
    const over = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('20.01') }), null));
    expectFailure(over, 'processing_error', /exceeds/);
    const full = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('20.00') }), null));
    expectSuccess(full, 'capture', '20');
  });

  it('allows one capture only when supports_multiple_captures is off', async () => {
    const plugin = makePlugin({ auto_capture: false, supports_multiple_captures: false });
    expect(plugin.gatewayConfig().supportsMultipleCaptures).to.equal(false);
    const auth = await call(plugin.authorizePayment(payment({ amount: d('10.00') }), null));
    expectSuccess(await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('4.00') }), null)), 'capture', '4');
    const second = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('4.00') }), null));
    expectFailure(second, 'processing_error', /multiple captures/);
  });

  it('refunds partially, several times, up to the captured amount', async () => {
    const plugin = makePlugin();
    const charge = await call(plugin.processPayment(payment({ amount: d('10.00') }), null));
    const r1 = await call(plugin.refundPayment(payment({ token: charge.transactionId, amount: d('2.50') }), null));
    expectSuccess(r1, 'refund', '2.5');
    const r2 = await call(plugin.refundPayment(payment({ token: r1.transactionId, amount: d('7.49') }), null));
    expectSuccess(r2, 'refund', '7.49');
    expect(r2.rawResponse).to.include({ refunded: '9.99' });
    const r3 = await call(plugin.refundPayment(payment({ token: charge.transactionId, amount: d('0.01') }), null));
    expectSuccess(r3, 'refund', '0.01');
  });

  it('rejects a refund above the captured amount', async () => {
    const plugin = makePlugin();
    const charge = await call(plugin.processPayment(payment({ amount: d('10.00') }), null));
    expectSuccess(await call(plugin.refundPayment(payment({ token: charge.transactionId, amount: d('6.00') }), null)), 'refund', '6');
    const over = await call(plugin.refundPayment(payment({ token: charge.transactionId, amount: d('4.01') }), null));
    expectFailure(over, 'processing_error', /exceeds the amount left to refund \(4 USD\)/);
    expect(over.kind).to.equal('refund');
  });

  it('refunds only what was captured, not what was authorized', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: d('10.00') }), null));
    expectFailure(await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: d('1.00') }), null)), 'processing_error', /exceeds/);
    await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('3.00') }), null));
    expectFailure(await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: d('3.01') }), null)), 'processing_error');
    expectSuccess(await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: d('3.00') }), null)), 'refund', '3');
  });

  it('voids an authorization; it can then be neither captured nor voided again', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: d('12.00') }), null));
    const voided = await call(plugin.voidPayment(payment({ token: auth.transactionId }), null));
    expectSuccess(voided, 'void', '12');
    expect(voided.pspReference).to.equal(auth.pspReference);
    expectFailure(await call(plugin.capturePayment(payment({ token: auth.transactionId }), null)), 'processing_error', /voided/);
    expectFailure(await call(plugin.voidPayment(payment({ token: auth.transactionId }), null)), 'processing_error', /already voided/);
  });

  it('refuses to void once funds were captured', async () => {
    const plugin = makePlugin();
    const charge = await call(plugin.processPayment(payment(), null));
    const res = await call(plugin.voidPayment(payment({ token: charge.transactionId }), null));
    expectFailure(res, 'processing_error', /refund/);
    expect(res.kind).to.equal('void');
  });

  it('fails capture, refund, void and confirm of an unknown token with processing_error', async () => {
    const plugin = makePlugin();
    const unknown = payment({ token: 'dummy_tx_unknown' });
    for (const [hook, kind] of [['capturePayment', 'capture'], ['refundPayment', 'refund'], ['voidPayment', 'void'], ['confirmPayment', 'confirm']] as const) {
      const res = await call(plugin[hook](unknown, null));
      expectFailure(res, 'processing_error', /Unknown transaction token/);
      expect(res.kind, hook).to.equal(kind);
    }
    expectFailure(await call(plugin.capturePayment(payment({ token: null }), null)), 'processing_error');
  });

  it('keeps channels apart: a charge of one channel is unknown in another', async () => {
    const charge = await call(makePlugin({ auto_capture: false }, 'ch-a').authorizePayment(payment(), null));
    const other = await call(makePlugin({}, 'ch-b').capturePayment(payment({ token: charge.transactionId }), null));
    expectFailure(other, 'processing_error', /Unknown transaction token/);
  });

  it('rejects a capture in another currency than the authorization', async () => {
    const plugin = makePlugin({ auto_capture: false, supported_currencies: 'USD,EUR' });
    const auth = await call(plugin.authorizePayment(payment(), null));
    expectFailure(await call(plugin.capturePayment(payment({ token: auth.transactionId, currency: 'EUR' }), null)), 'processing_error', /Currency EUR/);
  });

  it('require_3d_secure: a success token must be confirmed first', async () => {
    const plugin = makePlugin({ require_3d_secure: true, auto_capture: false });
    expect(plugin.gatewayConfig().require3dSecure).to.equal(true);
    const res = await call(plugin.authorizePayment(payment(), null));
    expect(res).to.include({ isSuccess: true, actionRequired: true, kind: 'action_to_confirm' });
    expect(res.cardInfo ?? null).to.equal(null);
    expectFailure(await call(plugin.capturePayment(payment({ token: res.transactionId }), null)), 'processing_error', /3-D Secure confirmation first/);
    const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId }), null));
    expectSuccess(confirmed, 'auth', '10');
    expectSuccess(await call(plugin.capturePayment(payment({ token: confirmed.transactionId }), null)), 'capture', '10');
    // a declining card still declines at once
    expectFailure(await call(plugin.authorizePayment(payment({ token: DUMMY_TOKENS.declined }), null)), 'declined');
  });

  it('voids a payment still waiting for 3-D Secure', async () => {
    const plugin = makePlugin();
    const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecure }), null));
    expectSuccess(await call(plugin.voidPayment(payment({ token: res.transactionId }), null)), 'void', '10');
    expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId }), null)), 'processing_error', /does not require confirmation/);
  });

  it('voids a payment whose 3-D Secure failed (the way to close it); then it cannot be confirmed', async () => {
    const plugin = makePlugin();
    const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecureFail }), null));
    expect(res).to.include({ isSuccess: true, actionRequired: true });
    expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId }), null)), 'declined');
    expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId }), null)), 'declined', /another card/);
    expectSuccess(await call(plugin.voidPayment(payment({ token: res.transactionId }), null)), 'void', '10');
    expectFailure(await call(plugin.voidPayment(payment({ token: res.transactionId }), null)), 'processing_error', /already voided/);
    const retry = payment({ token: res.transactionId, data: { token: DUMMY_TOKENS.success } });
    expectFailure(await call(plugin.confirmPayment(retry, null)), 'processing_error', /does not require confirmation/);
  });

  describe('after a failed 3-D Secure, confirm with another card (data.token)', () => {
    async function failedChallenge(plugin = makePlugin(), overrides: Partial<PaymentData> = {}): Promise<GatewayResponse> {
      const res = await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.threeDSecureFail, ...overrides }), null));
      expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId, ...overrides }), null)), 'declined', /3-D Secure/);
      return res;
    }

    it('a card that succeeds settles the same charge: capture, then refund on it', async () => {
      const plugin = makePlugin();
      const res = await failedChallenge(plugin);
      const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId, data: { token: tokenizeCard('5555555555554444', 1, 2031, '123') } }), null));
      expectSuccess(confirmed, 'capture', '10');
      expect(confirmed.pspReference).to.equal(res.pspReference);
      expect(confirmed.cardInfo).to.include({ brand: 'mastercard', last4: '4444' });
      expectSuccess(await call(plugin.refundPayment(payment({ token: confirmed.transactionId, amount: d('4') }), null)), 'refund', '4');
      expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId }), null)), 'processing_error', /does not require confirmation/);
    });

    it('a declined card fails with its code and the charge still waits for another card', async () => {
      const plugin = makePlugin({ auto_capture: false });
      const res = await failedChallenge(plugin);
      const declined = await call(plugin.confirmPayment(payment({ token: res.transactionId, data: { token: DUMMY_TOKENS.expired } }), null));
      expectFailure(declined, 'expired');
      expect(declined.kind).to.equal('auth');
      expectFailure(await call(plugin.confirmPayment(payment({ token: res.transactionId }), null)), 'declined', /another card/);
      expectSuccess(await call(plugin.confirmPayment(payment({ token: res.transactionId, data: { token: DUMMY_TOKENS.success } }), null)), 'auth', '10');
    });

    it('a 3-D Secure card asks for a new challenge, which confirm completes', async () => {
      const plugin = makePlugin();
      const res = await failedChallenge(plugin);
      const challenged = await call(plugin.confirmPayment(payment({ token: res.transactionId, data: { token: DUMMY_TOKENS.threeDSecure } }), null));
      expect(challenged).to.include({ isSuccess: true, actionRequired: true, kind: 'action_to_confirm', pspReference: res.pspReference });
      expect(challenged.actionRequiredData).to.include({ type: 'three_d_secure', challengeId: res.pspReference });
      expectSuccess(await call(plugin.confirmPayment(payment({ token: challenged.transactionId }), null)), 'capture', '10');
    });

    it('an unknown token, a stranger\'s stored card or an outcome-unknown card is refused, and the charge still waits', async () => {
      const plugin = makePlugin();
      const res = await failedChallenge(plugin);
      const retry = (token: string, customerId: string | null = null) => call(plugin.confirmPayment(payment({ token: res.transactionId, customerId, data: { token } }), null));
      expectFailure(await retry('tok_from_elsewhere'), 'processing_error', /not issued by the Dummy gateway/);
      expectFailure(await retry('dummy_pm_nope', 'u'), 'processing_error', /Unknown payment source/);
      expectFailure(await retry(DUMMY_TOKENS.outcomeUnknownCharged), 'processing_error', /only apply to authorize and process/);
      expectSuccess(await retry(DUMMY_TOKENS.success), 'capture', '10');
    });

    it('a stored card of the customer settles it', async () => {
      const plugin = makePlugin();
      await call(plugin.processPayment(payment({ token: tokenizeCard('5555555555554444', 1, 2031, '123'), customerId: 'u', data: { storePaymentMethod: true } }), null));
      const [source] = await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, []));
      const res = await failedChallenge(plugin, { customerId: 'u' });
      const confirmed = await call(plugin.confirmPayment(payment({ token: res.transactionId, customerId: 'u', data: { token: source?.id ?? '' } }), null));
      expectSuccess(confirmed, 'capture', '10');
      expect(confirmed.customerId).to.match(/^dummy_cus_/);
      expect(confirmed.cardInfo).to.include({ last4: '4444' });
    });

    it('a repeated idempotency key replays only with the same card', async () => {
      const plugin = makePlugin();
      const res = await failedChallenge(plugin);
      const key = 'pay-9:confirm-2';
      const first = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key, data: { token: DUMMY_TOKENS.declined } }), null));
      expectFailure(first, 'declined');
      const other = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key, data: { token: DUMMY_TOKENS.success } }), null));
      expectFailure(other, 'processing_error', /already used with different parameters/);
      const replay = await call(plugin.confirmPayment(payment({ token: res.transactionId, idempotencyKey: key, data: { token: DUMMY_TOKENS.declined } }), null));
      expect(replay.transactionId).to.equal(first.transactionId);
      expect(replay.rawResponse).to.include({ idempotentReplayed: true });
    });
  });

  it('confirming a payment that needs no action fails', async () => {
    const plugin = makePlugin();
    const charge = await call(plugin.processPayment(payment(), null));
    expectFailure(await call(plugin.confirmPayment(payment({ token: charge.transactionId }), null)), 'processing_error', /does not require confirmation/);
  });

  it('keeps 0-decimal JPY amounts exact', async () => {
    const plugin = makePlugin({ auto_capture: false, supported_currencies: 'JPY' });
    const auth = await call(plugin.authorizePayment(payment({ currency: 'JPY', amount: d('1000') }), null));
    expectSuccess(auth, 'auth', '1000');
    expect(auth.currency).to.equal('JPY');
    expectSuccess(await call(plugin.capturePayment(payment({ currency: 'JPY', token: auth.transactionId, amount: d('333') }), null)), 'capture', '333');
    expectSuccess(await call(plugin.capturePayment(payment({ currency: 'JPY', token: auth.transactionId, amount: d('667') }), null)), 'capture', '667');
    expectFailure(await call(plugin.capturePayment(payment({ currency: 'JPY', token: auth.transactionId, amount: d('1') }), null)), 'processing_error');
    expectFailure(await call(plugin.authorizePayment(payment({ currency: 'JPY', amount: d('1000.5') }), null)), 'processing_error', /decimal places/);
  });

  it('keeps 3-decimal KWD amounts exact', async () => {
    const plugin = makePlugin({ auto_capture: false, supported_currencies: 'KWD' });
    const auth = await call(plugin.authorizePayment(payment({ currency: 'KWD', amount: d('1.234') }), null));
    expectSuccess(auth, 'auth', '1.234');
    const c1 = await call(plugin.capturePayment(payment({ currency: 'KWD', token: auth.transactionId, amount: d('0.617') }), null));
    const c2 = await call(plugin.capturePayment(payment({ currency: 'KWD', token: auth.transactionId, amount: d('0.617') }), null));
    expectSuccess(c2, 'capture', '0.617');
    expect(c2.rawResponse).to.include({ captured: '1.234' });
    expect(c1.amount.plus(c2.amount).equals(d('1.234'))).to.equal(true);
    expectSuccess(await call(plugin.refundPayment(payment({ currency: 'KWD', token: c1.transactionId, amount: d('0.001') }), null)), 'refund', '0.001');
    expectFailure(await call(plugin.refundPayment(payment({ currency: 'KWD', token: c1.transactionId, amount: d('1.234') }), null)), 'processing_error', /1\.233 KWD/);
  });

  it('replays the first response for a repeated idempotency key and does not act twice', async () => {
    const plugin = makePlugin({ auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ amount: d('10.00') }), null));
    const capture = payment({ token: auth.transactionId, amount: d('6.00'), idempotencyKey: 'pay-1:capture-1' });
    const first = await call(plugin.capturePayment(capture, null));
    const retry = await call(plugin.capturePayment(capture, null));
    expectSuccess(retry, 'capture', '6');
    expect(retry.transactionId).to.equal(first.transactionId);
    expect(retry.rawResponse).to.include({ idempotentReplayed: true, captured: '6' });
    // only 6 of 10 captured: 4 remain
    expectSuccess(await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: d('4.00') }), null)), 'capture', '4');
    const misuse = await call(plugin.capturePayment({ ...capture, amount: d('1.00') }, null));
    expectFailure(misuse, 'processing_error', /Idempotency key/);
  });

  it('passes through (returns undefined) when the plugin is inactive', async () => {
    const { DummyGatewayPlugin } = await import('@payhost/plugin-dummy');
    const { silentLogger } = await import('@payhost/core');
    const plugin = new DummyGatewayPlugin({ channel: 'ch', active: false, configuration: DummyGatewayPlugin.defaultConfiguration, logger: silentLogger() });
    expect(await plugin.processPayment(payment(), null)).to.equal(undefined);
    expect(await plugin.getSupportedCurrencies({ channel: 'ch' }, ['EUR'])).to.equal(undefined);
  });
});
