import { expect } from 'chai';
import { CHANNEL, DUMMY_TOKENS, key, payInput, rejection, setup, type Setup } from './helpers.js';

// A JavaScript number is no amount (errors.md, invalid_amount), also under a key whose request was
// recorded with the same amount as a string: the number is refused before the key is looked up, so
// the same call does not replay for 10.5 and fail for 10.1 (or for a new key).
describe('ledger: a number amount is refused before a recorded key replays', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => s.close());

  it('refund "2.50" recorded, then 2.5 as a number under the same key: invalid_amount, nothing more refunded', async () => {
    const payment = await s.create();
    await s.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const refundKey = key();
    await s.service.refund({ paymentId: payment.id, idempotencyKey: refundKey, amount: '2.50' });
    const err = await rejection(s.service.refund({ paymentId: payment.id, idempotencyKey: refundKey, amount: 2.5 as never }));
    expect([err.code, err.message]).to.deep.equal(['invalid_amount', 'Amount 2.5 is a JavaScript number, a binary float that may not be the amount meant: pass a decimal string such as "10.50", or a Decimal']);
    expect(err.details).to.deep.equal({ amount: '2.5' });
    const refunds = (await s.store.listTransactions(payment.id)).filter((t) => t.kind === 'refund');
    expect(refunds.map((t) => t.amount.toFixed(2))).to.deep.equal(['2.50']);
  });

  it('pay and createPayment recorded with "10.00", repeated with 10 as a number: invalid_amount naming the currency', async () => {
    const paid = payInput();
    await s.service.pay(paid);
    const payErr = await rejection(s.service.pay({ ...paid, total: 10 as never }));
    expect([payErr.code, payErr.details]).to.deep.equal(['invalid_amount', { currency: 'USD', amount: '10' }]);

    const createKey = key();
    const created = { idempotencyKey: createKey, channel: CHANNEL, total: '10.00', currency: 'USD', token: DUMMY_TOKENS.success };
    await s.service.createPayment(created);
    const createErr = await rejection(s.service.createPayment({ ...created, total: 10 as never }));
    expect(createErr.code).to.equal('invalid_amount');
    // The string form still replays.
    expect((await s.service.createPayment(created)).total.toFixed(2)).to.equal('10.00');
  });
});

describe('ledger: a retry that went through JSON (undefined keys dropped) replays', () => {
  it('pay with metadata { coupon: undefined, b: 1 }, retried as { b: 1 } under the same key: the same payment', async () => {
    const s = setup();
    try {
      const first = payInput({ metadata: { coupon: undefined, b: 1 } });
      const paid = await s.service.pay(first);
      const retried = await s.service.pay(JSON.parse(JSON.stringify(first)) as typeof first);
      expect(retried.payment.id).to.equal(paid.payment.id);
      expect(retried.payment.metadata).to.deep.equal({ b: 1 });
    } finally {
      await s.close();
    }
  });

  it('metadata or data whose only keys are undefined, retried through JSON as {}: the same request (pay and process)', async () => {
    const s = setup();
    try {
      for (const extra of [{ metadata: { coupon: undefined } }, { data: { coupon: undefined } }]) {
        const first = payInput(extra);
        const paid = await s.service.pay(first);
        const retried = await s.service.pay(JSON.parse(JSON.stringify(first)) as typeof first);
        expect(retried.payment.id, JSON.stringify(Object.keys(extra))).to.equal(paid.payment.id);
      }
      const created = await s.create();
      const processKey = key();
      const processed = await s.service.process({ paymentId: created.id, idempotencyKey: processKey, data: { coupon: undefined } });
      const again = await s.service.process({ paymentId: created.id, idempotencyKey: processKey, data: {} });
      expect(again.transaction?.id).to.equal(processed.transaction?.id);
    } finally {
      await s.close();
    }
  });
});
