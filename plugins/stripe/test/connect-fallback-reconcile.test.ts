import { expect } from 'chai';
import type { GatewayResponse, PaymentData, TransactionKind } from '@payhost/core';
import type { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { call, dec, expectSuccess, key, makePlugin, payment, useFakeStripe, FIXED_FEES } from './helpers.js';

const PROVIDER = 'acct_provider123';
const FEES = { application_fee_percent: '2.5', application_fee_fixed: FIXED_FEES };
const FORWARD = { mode: 'FORWARD', connected_account_id: PROVIDER, ...FEES, auto_capture: false };
const REMOTE = { ...FORWARD, mode: 'REMOTE' };
/** Older than followUpSettleMs: a follow-up Stripe does not show by then was never made. */
const SETTLED = new Date(Date.now() - 60 * 60_000);

// Review finding: after a switch to REMOTE, a follow-up of a payment charged on the platform runs there (platform
// fallback), but reconciliation and confirm read the connected account only: a refund Stripe made on the platform
// was reported "never took effect" and the ledger freed its amount.
describe('stripe: reconciliation and confirm find a platform intent after a switch to REMOTE', () => {
  const env = useFakeStripe();
  const requests = (): [string, string, string | null, number | null][] => env.fake.requests.map((r) => [r.method, r.path, r.account, r.status]);

  /** A payment charged (authorized, or captured too) in FORWARD mode: its plain pi_, on the platform. */
  async function onPlatform(capture: boolean, token = 'pm_card_visa'): Promise<string> {
    const res = await call(makePlugin(env.fake, { ...FORWARD, auto_capture: capture }).processPayment(payment({ token, amount: dec('100.00') }), null));
    expect(res.transactionId).to.match(/^pi_/);
    return res.transactionId;
  }

  function status(plugin: StripeGatewayPlugin, p: PaymentData, kind: TransactionKind, extra: { gatewayTransactionId?: string } = {}): Promise<GatewayResponse | null> {
    const transaction = { id: 't', paymentId: p.paymentId, kind, amount: p.amount, currency: 'USD', gatewayIdempotencyKey: String(p.idempotencyKey), gatewayTransactionId: extra.gatewayTransactionId ?? null, pspReference: null, createdAt: SETTLED };
    return plugin.getTransactionStatus({ transaction, payment: p }, null).then((r) => r ?? null);
  }

  it('a refund made on the platform is found there: the connected account answers 404 for an intent it does not hold', async () => {
    const token = await onPlatform(true);
    const remote = makePlugin(env.fake, REMOTE);
    const p = payment({ token, amount: dec('40.00'), idempotencyKey: key() });
    const refunded = await call(remote.refundPayment(p, null));
    expectSuccess(refunded, 'refund', '40');
    env.fake.clearLog();
    const found = await status(remote, p, 'refund');
    expect(found).to.deep.include({ isSuccess: true, kind: 'refund', transactionId: refunded.transactionId });
    expect(requests()).to.deep.equal([
      ['GET', '/v1/refunds', PROVIDER, 404],
      ['GET', '/v1/refunds', null, 200],
    ]);
  });

  it('an empty refund list on the connected account is no "none" until the intent is known to be there', async () => {
    const token = await onPlatform(true);
    const remote = makePlugin(env.fake, REMOTE);
    const p = payment({ token, amount: dec('40.00'), idempotencyKey: key() });
    expectSuccess(await call(remote.refundPayment(p, null)), 'refund', '40');
    env.fake.clearLog();
    // A Stripe answering an empty list for an intent the account does not hold.
    env.fake.failNext({ status: 200, body: { object: 'list', data: [], has_more: false, url: '/v1/refunds' }, method: 'GET', path: '/v1/refunds', account: PROVIDER });
    expect(await status(remote, p, 'refund')).to.deep.include({ isSuccess: true, kind: 'refund' });
    expect(requests().map(([method, path, account]) => [method, path.replace(/pi_\w+/, 'pi'), account])).to.deep.equal([
      ['GET', '/v1/refunds', PROVIDER],
      ['GET', '/v1/payment_intents/pi', PROVIDER],
      ['GET', '/v1/refunds', null],
    ]);
  });

  it('until the platform was read, a refund is never "not made"; once both accounts were, it is', async () => {
    const token = await onPlatform(true);
    const remote = makePlugin(env.fake, REMOTE);
    const p = payment({ token, amount: dec('40.00'), idempotencyKey: key() });
    env.fake.failNext({ status: 500, method: 'GET', path: '/v1/refunds', account: null });
    const unreadable = await status(remote, p, 'refund').then((r) => r, (err: Error) => err);
    expect(unreadable).to.be.instanceOf(Error);
    const read = await status(remote, p, 'refund');
    expect(read).to.deep.include({ isSuccess: false, kind: 'refund' });
    expect(read?.error).to.match(/never took effect/);
  });

  it('a plain pi_ of the connected account (REMOTE charge): a refund never made is "not made" without asking the platform', async () => {
    const res = await call(makePlugin(env.fake, { ...REMOTE, auto_capture: true }).processPayment(payment({ amount: dec('100.00') }), null));
    const remote = makePlugin(env.fake, REMOTE);
    env.fake.clearLog();
    const read = await status(remote, payment({ token: res.pspReference ?? '', amount: dec('40.00'), idempotencyKey: key() }), 'refund');
    expect(read?.error).to.match(/never took effect/);
    expect(requests().map(([, , account]) => account)).to.deep.equal([PROVIDER, PROVIDER]);
  });

  it('a capture and a cancellation made on the platform are read there', async () => {
    const remote = makePlugin(env.fake, REMOTE);
    const captured = payment({ token: await onPlatform(false), amount: dec('40.00'), idempotencyKey: key() });
    expectSuccess(await call(remote.capturePayment(captured, null)), 'capture', '40');
    expect(await status(remote, captured, 'capture')).to.deep.include({ isSuccess: true, kind: 'capture' });
    const voided = payment({ token: await onPlatform(false), amount: dec('100.00'), idempotencyKey: key() });
    expectSuccess(await call(remote.voidPayment(voided, null)), 'void', '100');
    env.fake.clearLog();
    expect(await status(remote, voided, 'void')).to.deep.include({ isSuccess: true, kind: 'void' });
    expect(requests().map(([method, , account, code]) => [method, account, code])).to.deep.equal([
      ['GET', PROVIDER, 404],
      ['GET', null, 200],
    ]);
  });

  it('a pending refund made on the platform (refund_ongoing, plain re_) settles from the platform', async () => {
    const token = await onPlatform(true, 'pm_card_pendingRefund');
    const remote = makePlugin(env.fake, REMOTE);
    const p = payment({ token, amount: dec('40.00'), idempotencyKey: key() });
    const ongoing = await call(remote.refundPayment(p, null));
    expect(ongoing).to.deep.include({ kind: 'refund_ongoing' });
    expect(ongoing.transactionId).to.match(/^re_/);
    env.fake.settleRefund(ongoing.transactionId, 'succeeded');
    const settled = await status(remote, p, 'refund_ongoing', { gatewayTransactionId: ongoing.transactionId });
    expect(settled).to.deep.include({ isSuccess: true, kind: 'refund', transactionId: ongoing.transactionId });
  });

  it('confirmPayment reads (and confirms) a platform intent charged before the switch', async () => {
    const res = await call(makePlugin(env.fake, { ...FORWARD, auto_capture: true }).processPayment(payment({ token: 'pm_card_threeDSecure2Required', amount: dec('100.00') }), null));
    expect(res.kind).to.equal('action_to_confirm');
    env.fake.completeThreeDSecure(res.pspReference ?? '');
    const confirmed = await call(makePlugin(env.fake, REMOTE).confirmPayment(payment({ token: res.transactionId, amount: dec('100.00'), idempotencyKey: key() }), null));
    expectSuccess(confirmed, 'capture', '100');
    expect(confirmed.transactionId).to.equal(res.transactionId);
  });
});
