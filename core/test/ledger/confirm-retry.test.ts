import { expect } from 'chai';
import { GatewayDeclinedError, type Payment } from '@payhost/core';
import { DUMMY_TOKENS, codeOf, expectAmount, key, rejection, setup, type Setup } from './helpers.js';

/**
 * A failed 3-D Secure confirmation, with the dummy gateway: the payment keeps
 * waiting for confirmation (docs/payment-lifecycle.md, Transitions), so every
 * answer must agree with that: a confirm can still succeed (with another
 * card), and once nothing waits, the ledger refuses a confirm itself.
 */
describe('ledger: confirming again after a failed 3-D Secure (dummy gateway)', () => {
  let env: Setup;
  afterEach(async () => env?.close());

  /** A 10.00 USD payment whose 3-D Secure confirmation was just declined. */
  async function failedConfirmation(): Promise<Payment> {
    const payment = await env.create({ token: DUMMY_TOKENS.threeDSecureFail });
    const challenged = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(challenged.payment.toConfirm).to.equal(true);
    const err = await rejection(env.service.confirm({ paymentId: payment.id, idempotencyKey: key() }));
    expect(err).to.be.instanceOf(GatewayDeclinedError);
    expect((err as GatewayDeclinedError).errorCode).to.equal('declined');
    const after = await env.service.getPayment(payment.id);
    expect([after.toConfirm, after.isActive, after.chargeStatus]).to.deep.equal([true, true, 'not-charged']);
    return after;
  }

  it('the payment still waits: confirming without another card is declined saying so, with another card it is charged', async () => {
    env = setup();
    const payment = await failedConfirmation();

    const again = await rejection(env.service.confirm({ paymentId: payment.id, idempotencyKey: key() }));
    expect(again).to.be.instanceOf(GatewayDeclinedError);
    expect((again as GatewayDeclinedError).errorCode).to.equal('declined');
    expect(again.message).to.match(/confirm again with another card/).and.not.match(/does not require confirmation/);
    expect((await env.service.getPayment(payment.id)).toConfirm, 'still waiting').to.equal(true);

    const confirmed = await env.service.confirm({ paymentId: payment.id, idempotencyKey: key(), data: { token: DUMMY_TOKENS.success } });
    expect(confirmed.transaction).to.include({ kind: 'capture', isSuccess: true });
    expect([confirmed.payment.chargeStatus, confirmed.payment.toConfirm]).to.deep.equal(['fully-charged', false]);
    expectAmount(confirmed.payment.capturedAmount, '10.00');
    // The charge the other card paid is the payment's: a refund reaches it.
    const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    expectAmount(refunded.payment.capturedAmount, '6.00');
  });

  it('another card that is declined keeps it waiting; one asking for 3-D Secure again is confirmed after its challenge', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const payment = await failedConfirmation();

    const declined = await rejection(env.service.confirm({ paymentId: payment.id, idempotencyKey: key(), data: { token: DUMMY_TOKENS.insufficientFunds } }));
    expect((declined as GatewayDeclinedError).errorCode).to.equal('declined');
    expect((await env.service.getPayment(payment.id)).toConfirm).to.equal(true);

    const challenged = await env.service.confirm({ paymentId: payment.id, idempotencyKey: key(), data: { token: DUMMY_TOKENS.threeDSecure } });
    expect(challenged.transaction).to.include({ kind: 'action_to_confirm', isSuccess: true, actionRequired: true });
    expect(challenged.payment.toConfirm).to.equal(true);
    const authorized = await env.service.confirm({ paymentId: payment.id, idempotencyKey: key() });
    expect(authorized.transaction).to.include({ kind: 'auth', isSuccess: true });
    expect(authorized.payment.toConfirm).to.equal(false);
    expectAmount(authorized.payment.authorizedAmount, '10.00');
  });

  it('once nothing waits for confirmation (charged, or voided), a confirm is operation_not_allowed and records nothing', async () => {
    env = setup();
    const charged = await failedConfirmation();
    await env.service.confirm({ paymentId: charged.id, idempotencyKey: key(), data: { token: DUMMY_TOKENS.success } });
    const voided = await failedConfirmation();
    const closed = await env.service.void({ paymentId: voided.id, idempotencyKey: key() });
    expect([closed.payment.isActive, closed.payment.toConfirm]).to.deep.equal([false, false]);

    for (const id of [charged.id, voided.id]) {
      const before = { payment: await env.service.getPayment(id), transactions: await env.service.listTransactions(id) };
      expect(await codeOf(env.service.confirm({ paymentId: id, idempotencyKey: key(), data: { token: DUMMY_TOKENS.success } }))).to.equal('operation_not_allowed');
      expect(await env.service.listTransactions(id), 'no transaction recorded').to.deep.equal(before.transactions);
      expect(await env.service.getPayment(id), 'payment unchanged').to.deep.equal(before.payment);
    }
  });
});
