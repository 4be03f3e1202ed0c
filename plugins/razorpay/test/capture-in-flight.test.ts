import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, isPayhostError, type PluginManager } from '@payhost/core';
import { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;

/**
 * A capture whose HTTP request got no answer may still be carried out by
 * Razorpay after the ledger's status check: the payment still only authorized
 * then is "cannot tell", not "the capture did not happen". Taken as a failed
 * capture, the ledger showed an authorization Razorpay had meanwhile captured.
 */
describe('razorpay through the ledger: a capture whose request may still land', () => {
  blockOutsideNetwork();
  let fake: FakeRazorpay;
  let manager: PluginManager;
  let service: PaymentService;

  before(async () => {
    fake = await FakeRazorpay.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());
  afterEach(() => manager?.close());

  async function authorized() {
    manager = makeManager(fake, { auto_capture: false, request_timeout_ms: '400' });
    service = new PaymentService({ manager, store: new MemoryLedgerStore(), idempotency: { waitTimeoutMs: 500 } });
    const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
    const { payment: _p, ...result } = fake.checkout(token.order_id);
    const payment = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: JSON.stringify(result) });
    await service.process({ paymentId: payment.id, idempotencyKey: key() });
    return { payment, razorpayPaymentId: result.razorpay_payment_id };
  }

  it('is held for review with the authorization reserved, and reconciliation records the capture Razorpay then made', async () => {
    const { payment, razorpayPaymentId } = await authorized();
    // The capture request goes unanswered; Razorpay has not carried it out when the ledger asks at once.
    fake.injectNetworkError({ method: 'POST', path: '/capture' });
    const error = await service.capture({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('no answer'), (e: unknown) => e);
    expect(error).to.not.be.instanceOf(GatewayDeclinedError);
    expect(isPayhostError(error) && error.code, String(error)).to.equal('outcome_unknown');
    const held = (await service.listTransactions(payment.id)).find((t) => t.kind === 'capture');
    expect(held).to.deep.include({ state: 'review' });
    expect(fake.state.payment(razorpayPaymentId).status).to.equal('authorized');
    // Not recorded as a failed capture: the authorization is not offered to a second capture meanwhile.
    const again = await service.capture({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('held'), (e: unknown) => e);
    expect(isPayhostError(again) && again.code, String(again)).to.be.oneOf(['payment_busy', 'amount_exceeds', 'operation_not_allowed']);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/capture')), 'capture requests sent').to.have.length(1);

    // Razorpay carries the request out after all.
    fake.state.capture(razorpayPaymentId, { amount: 49950, currency: 'INR' });
    const report = await service.reconcile({ minAgeMs: 0 });
    expect(report.applied).to.deep.equal([held?.id]);
    const after = await service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
    expect(after.capturedAmount.eq('499.5')).to.equal(true);
    const captures = (await service.listTransactions(payment.id)).filter((t) => t.kind === 'capture' && t.isSuccess);
    expect(captures.map((t) => t.id)).to.deep.equal([held?.id]);
  });

  it('a capture that never reached Razorpay (a 4xx with its error body) is still a definite failure at once', async () => {
    const { payment } = await authorized();
    fake.injectError({ method: 'POST', path: '/capture' }, 400, { description: 'Capture amount must be equal to the amount authorized' });
    const error = await service.capture({ paymentId: payment.id, idempotencyKey: key() }).then(() => expect.fail('refused'), (e: unknown) => e);
    expect(error).to.be.instanceOf(GatewayDeclinedError);
    const failed = (await service.listTransactions(payment.id)).find((t) => t.kind === 'capture');
    expect(failed).to.deep.include({ state: 'applied', isSuccess: false });
  });
});
