import { expect } from 'chai';
import { DUMMY_TOKENS, codeOf, key, payInput, setup, type Setup } from './helpers.js';

/** void({ onlyWhileAwaitingAction }): a shopper's cancel of a 3-D Secure payment, never of an authorization. */
describe('ledger: void only while the payment waits for customer action', () => {
  let env: Setup;
  afterEach(() => env?.close());

  it('voids a payment waiting for 3-D Secure; refuses one a confirm authorized first, leaving its authorization', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const waiting = await env.service.pay(payInput({ token: DUMMY_TOKENS.threeDSecure }));
    expect(waiting.payment.toConfirm).to.equal(true);
    const cancelled = await env.service.void({ paymentId: waiting.payment.id, idempotencyKey: key(), onlyWhileAwaitingAction: true });
    expect(cancelled.payment).to.include({ isActive: false, toConfirm: false });

    // The confirm lands before the cancel: the cancel finds an authorization, not a payment waiting.
    const other = await env.service.pay(payInput({ token: DUMMY_TOKENS.threeDSecure }));
    const confirmed = await env.service.confirm({ paymentId: other.payment.id, idempotencyKey: key() });
    expect(confirmed.payment.authorizedAmount.toFixed(2)).to.equal('10.00');
    const cancelKey = key();
    expect(await codeOf(env.service.void({ paymentId: other.payment.id, idempotencyKey: cancelKey, onlyWhileAwaitingAction: true }))).to.equal('operation_not_allowed');
    const after = await env.service.getPayment(other.payment.id);
    expect([after.isActive, after.authorizedAmount.toFixed(2)]).to.deep.equal([true, '10.00']);
    expect(await env.store.getIdempotencyRecord(cancelKey), 'nothing written for the refused cancel').to.equal(null);
    // A condition that is not a boolean is refused, never read as "no condition" (which would release the authorization).
    for (const bad of ['true', 1]) {
      expect(await codeOf(env.service.void({ paymentId: other.payment.id, idempotencyKey: key(), onlyWhileAwaitingAction: bad as never })), String(bad)).to.equal('invalid_input');
    }
    expect((await env.service.getPayment(other.payment.id)).isActive).to.equal(true);
    // A plain void (the shop's) still releases it; the condition is part of the request (another key needed).
    expect((await env.service.void({ paymentId: other.payment.id, idempotencyKey: key() })).payment.isActive).to.equal(false);
  });
});
