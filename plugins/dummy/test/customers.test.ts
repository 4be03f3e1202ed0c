import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { DUMMY_TOKENS, tokenizeCard } from '@payhost/plugin-dummy';
import { call, expectFailure, expectSuccess, makePlugin, payment, resetDummy } from './helpers.js';

describe('dummy: stored customer cards', () => {
  beforeEach(resetDummy);

  const mastercard = tokenizeCard('5555555555554444', 8, 2033, '321');

  it('stores the card when data.storePaymentMethod is true, then charges it with reuseSource and no token', async () => {
    const plugin = makePlugin();
    const first = await call(plugin.processPayment(payment({ token: mastercard, customerId: 'user-1', data: { storePaymentMethod: true, nameOnCard: 'Ada' } }), null));
    expectSuccess(first, 'capture', '10');
    expect(first.customerId).to.match(/^dummy_cus_/);

    const reused = await call(plugin.processPayment(payment({ token: null, customerId: 'user-1', reuseSource: true, amount: new Decimal('25.00') }), null));
    expectSuccess(reused, 'capture', '25');
    expect(reused.customerId).to.equal(first.customerId);
    expect(reused.cardInfo).to.deep.equal({ last4: '4444', brand: 'mastercard', expMonth: 8, expYear: 2033, nameOnCard: 'Ada' });
    expect(reused.pspReference).to.not.equal(first.pspReference);
  });

  it('stores cards for every customer payment when store_customer is on', async () => {
    const plugin = makePlugin({ store_customer: true });
    const res = await call(plugin.authorizePayment(payment({ token: mastercard, customerId: 'user-2' }), null));
    expect(res.customerId).to.match(/^dummy_cus_/);
    const sources = await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'user-2' }, []));
    expect(sources).to.have.length(1);
  });

  it('does not store without a customer, without the flag, or for a declined card', async () => {
    const plugin = makePlugin();
    expect((await call(plugin.processPayment(payment({ customerId: 'user-3' }), null))).customerId).to.equal(null);
    await call(makePlugin({ store_customer: true }).processPayment(payment({ customerId: null }), null));
    await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.declined, customerId: 'user-3', data: { storePaymentMethod: true } }), null));
    expect(await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'user-3' }, []))).to.deep.equal([]);
  });

  it('listPaymentSources returns stored cards as CustomerSource[] appended to previousValue, once per card', async () => {
    const plugin = makePlugin({ store_customer: true });
    await call(plugin.processPayment(payment({ token: mastercard, customerId: 'u' }), null));
    await call(plugin.processPayment(payment({ token: mastercard, customerId: 'u' }), null));
    await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.success, customerId: 'u' }), null));
    const previous = [{ id: 'other', gateway: 'x.other', creditCardInfo: null }];
    const sources = await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, previous));
    expect(sources).to.have.length(3);
    expect(sources[0]).to.deep.equal(previous[0]);
    expect(sources[1]).to.deep.include({ gateway: 'payhost.dummy' });
    expect(sources[1]?.id).to.match(/^dummy_pm_/);
    expect(sources[1]?.creditCardInfo).to.deep.equal({ last4: '4444', brand: 'mastercard', expMonth: 8, expYear: 2033, nameOnCard: null });
    expect(sources[2]?.creditCardInfo?.last4).to.equal('4242');
  });

  it('charges a specific stored source when its id is passed as the token', async () => {
    const plugin = makePlugin({ store_customer: true });
    await call(plugin.processPayment(payment({ token: mastercard, customerId: 'u' }), null));
    await call(plugin.processPayment(payment({ token: DUMMY_TOKENS.success, customerId: 'u' }), null));
    const [master] = await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, []));
    const res = await call(plugin.processPayment(payment({ token: master?.id ?? '', customerId: 'u' }), null));
    expectSuccess(res, 'capture', '10');
    expect(res.cardInfo?.last4).to.equal('4444');
    const stranger = await call(plugin.processPayment(payment({ token: master?.id ?? '', customerId: 'someone-else' }), null));
    expectFailure(stranger, 'processing_error', /Unknown payment source/);
  });

  it('reuseSource with nothing stored fails with processing_error', async () => {
    const res = await call(makePlugin().processPayment(payment({ token: null, customerId: 'nobody', reuseSource: true }), null));
    expectFailure(res, 'processing_error', /nobody is not associated to an account on the processor and no token was passed/);
  });

  it('scopes stored cards by channel', async () => {
    await call(makePlugin({ store_customer: true }, 'ch-a').processPayment(payment({ customerId: 'u' }), null));
    expect(await call(makePlugin({}, 'ch-b').listPaymentSources({ channel: 'ch-b', customerId: 'u' }, []))).to.deep.equal([]);
    const reuse = await call(makePlugin({}, 'ch-b').processPayment(payment({ token: null, customerId: 'u', reuseSource: true }), null));
    expectFailure(reuse, 'processing_error', /not associated/);
  });

  it('stores a 3-D Secure card only once the payment is confirmed', async () => {
    const plugin = makePlugin();
    const p = payment({ token: DUMMY_TOKENS.threeDSecure, customerId: 'u', data: { storePaymentMethod: true } });
    const action = await call(plugin.processPayment(p, null));
    expect(await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, []))).to.deep.equal([]);
    const confirmed = await call(plugin.confirmPayment(payment({ token: action.transactionId }), null));
    expect(confirmed.customerId).to.match(/^dummy_cus_/);
    const sources = await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, []));
    expect(sources.map((s) => s.creditCardInfo?.last4)).to.deep.equal(['3220']);
  });
});
