import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { key, payInput, rejection, setup, type Setup } from './helpers.js';

// The ledger counts money with decimal.js's global constructor: a host lowering its precision
// (Decimal.set) would have amounts rounded silently (1234567.89 captured as 1234567.90). It is
// refused, typed, before anything is written.
describe('ledger: a lowered decimal.js global precision is refused, not used to count money', () => {
  let s: Setup;
  const defaultPrecision = Decimal.precision;
  beforeEach(() => {
    s = setup();
  });
  afterEach(async () => {
    Decimal.set({ precision: defaultPrecision });
    await s.close();
  });

  it('pay, capture, refund, reconcile and events answer invalid_configuration (decimal_precision); nothing is recorded', async () => {
    const paid = await s.service.pay(payInput({ total: '1234567.89' }));
    Decimal.set({ precision: 8 });
    const refused = await rejection(s.service.pay(payInput({ total: '1234567.89' })));
    expect([refused.code, refused.details]).to.deep.equal(['invalid_configuration', { reason: 'decimal_precision', precision: 8, required: 20 }]);
    expect(refused.message).to.include('Decimal.clone({ precision })');
    const refund = await rejection(s.service.refund({ paymentId: paid.payment.id, idempotencyKey: key(), amount: '0.01' }));
    expect(refund.details?.['reason']).to.equal('decimal_precision');
    expect((await rejection(s.service.reconcile())).details?.['reason']).to.equal('decimal_precision');
    const event = { gateway: 'payhost.dummy', eventId: 'evt-1', paymentId: paid.payment.id, response: { kind: 'refund' as const, isSuccess: true, amount: '0.01', currency: 'USD' } };
    expect((await rejection(s.service.applyGatewayEvent(event as never))).details?.['reason']).to.equal('decimal_precision');
    expect((await s.store.listTransactions(paid.payment.id)).map((t) => t.kind)).to.deep.equal(['capture']);

    // At the default precision again, the same refund counts exactly.
    Decimal.set({ precision: defaultPrecision });
    const refunded = await s.service.refund({ paymentId: paid.payment.id, idempotencyKey: key(), amount: '0.01' });
    expect(refunded.payment.capturedAmount.toFixed(2)).to.equal('1234567.88');
  });
  it("the manager's money hooks (processPayment, as a host calling the manager directly) are refused too: a plugin would send rounded minor units", async () => {
    Decimal.set({ precision: 8 });
    const refused = await rejection(
      s.manager.processPayment({ channel: 'web', gateway: 'payhost.dummy', payment: { paymentId: 'p-1', amount: new Decimal('1234567.89'), currency: 'USD', token: 'tok_dummy_success' } as never }),
    );
    expect([refused.code, refused.details?.['reason']]).to.deep.equal(['invalid_configuration', 'decimal_precision']);
  });
});
