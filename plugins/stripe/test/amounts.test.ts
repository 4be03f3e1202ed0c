import { expect } from 'chai';
import Stripe from 'stripe';
import { normalizeEvent } from '@payhost/plugin-stripe';
import { LOCAL_SETTINGS, SECRET_KEY, call, dec, expectFailure, expectSuccess, intentCreations, key, makePlugin, payment, rejection, useFakeStripe } from './helpers.js';

const CURRENCIES = { supported_currencies: 'USD,ISK,UGX,MGA,KWD,BHD,JPY,HUF,TWD' };
const PROVIDER = 'acct_provider123';

// Stripe's exponents are not ISO 4217's: ISK has two decimals in the API (whole krónur only), MGA none.
describe('stripe: amounts in Stripe\'s units (not ISO 4217)', () => {
  const env = useFakeStripe();

  it('sends and reads ISK with two decimals, MGA with none, three-decimal and HUF/TWD amounts as Stripe takes them', async () => {
    const plugin = makePlugin(env.fake, CURRENCIES);
    const cases: Array<[string, string, string]> = [
      ['500', 'ISK', '50000'],
      ['1000', 'MGA', '1000'],
      ['1.23', 'KWD', '1230'],
      ['7.5', 'BHD', '7500'],
      ['1500', 'JPY', '1500'],
      ['10.55', 'HUF', '1055'],
      ['99.99', 'TWD', '9999'],
    ];
    for (const [amount, currency] of cases) {
      const res = await call(plugin.processPayment(payment({ amount: dec(amount), currency }), null));
      expectSuccess(res, 'capture', amount);
      expect(res.currency).to.equal(currency);
    }
    expect(intentCreations(env.fake).map((r) => [r.params['amount'], String(r.params['currency']).toUpperCase()])).to.deep.equal(cases.map(([, c, sent]) => [sent, c]));
  });

  // https://docs.stripe.com/currencies#special-cases: UGX, like ISK, became zero-decimal but the API still takes
  // it with two decimals that are always 00 ("to charge 5 UGX, provide an amount value of 500").
  it('sends UGX as ISK: two decimals in the API, whole shillings only (not a hundredth of the price)', async () => {
    const plugin = makePlugin(env.fake, CURRENCIES);
    const res = await call(plugin.processPayment(payment({ amount: dec('5'), currency: 'UGX' }), null));
    expectSuccess(res, 'capture', '5');
    expect(intentCreations(env.fake)[0]?.params).to.deep.include({ amount: '500', currency: 'ugx' });
    const auth = await call(plugin.authorizePayment(payment({ amount: dec('37000'), currency: 'UGX' }), null));
    expectSuccess(auth, 'auth', '37000');
    const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('20000'), currency: 'UGX', idempotencyKey: key() }), null));
    expectSuccess(cap, 'capture', '20000');
    expect(env.fake.requestsTo(/\/capture$/, 'POST')[0]?.params).to.deep.include({ amount_to_capture: '2000000' });
    const ref = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('1000'), currency: 'UGX', idempotencyKey: key() }), null));
    expectSuccess(ref, 'refund', '1000');
    expect(env.fake.requestsTo('/v1/refunds', 'POST')[0]?.params).to.deep.include({ amount: '100000' });
    env.fake.clearLog();
    expectFailure(await call(plugin.processPayment(payment({ amount: dec('5.5'), currency: 'UGX' }), null)), 'processing_error', /UGX in whole units only/);
    expect(env.fake.requests).to.deep.equal([]);
  });

  it('refuses, before any request, amounts Stripe cannot take instead of rounding them', async () => {
    // store_customer: without the early check the customer lookup would already reach Stripe.
    const plugin = makePlugin(env.fake, { ...CURRENCIES, store_customer: true });
    const cases: Array<[string, string, RegExp]> = [
      ['10.50', 'MGA', /MGA in whole units only/],
      ['5.5', 'ISK', /ISK in whole units only/],
      ['1.005', 'KWD', /KWD with at most 2 decimal places/],
      ['0.001', 'BHD', /BHD with at most 2 decimal places/],
      ['10.555', 'HUF', /HUF with at most 2 decimal places/],
    ];
    for (const [amount, currency, why] of cases) {
      const res = await call(plugin.processPayment(payment({ amount: dec(amount), currency, customerId: 'user-1' }), null));
      expectFailure(res, 'processing_error', why);
      expect(res.error).to.match(new RegExp(`^Stripe cannot take ${dec(amount).toString().replace('.', '\\.')} ${currency}`));
      expect(res.rawResponse).to.deep.include({ code: 'invalid_amount' });
      expect(res.amount.eq(amount)).to.equal(true);
    }
    expect(env.fake.requests).to.deep.equal([]);
  });

  it('captures and refunds ISK in Stripe\'s units; a refund of a fraction of a króna is refused', async () => {
    const plugin = makePlugin(env.fake, { ...CURRENCIES, auto_capture: false });
    const auth = await call(plugin.processPayment(payment({ amount: dec('500'), currency: 'ISK' }), null));
    expectSuccess(auth, 'auth', '500');
    const cap = await call(plugin.capturePayment(payment({ token: auth.transactionId, amount: dec('300'), currency: 'ISK', idempotencyKey: key() }), null));
    expectSuccess(cap, 'capture', '300');
    expect(env.fake.requestsTo(/\/capture$/)[0]?.params).to.deep.include({ amount_to_capture: '30000' });
    const ref = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('100'), currency: 'ISK', idempotencyKey: key() }), null));
    expectSuccess(ref, 'refund', '100');
    expect(env.fake.requestsTo('/v1/refunds', 'POST').map((r) => r.params['amount'])).to.deep.equal(['10000']);
    const half = await call(plugin.refundPayment(payment({ token: cap.transactionId, amount: dec('0.5'), currency: 'ISK', idempotencyKey: key() }), null));
    expectFailure(half, 'processing_error', /ISK in whole units only/);
    expect(half.kind).to.equal('refund');
    expect(env.fake.requestsTo('/v1/refunds', 'POST')).to.have.length(1);
  });

  it('application fees are in Stripe\'s units, the percent rounded to an amount Stripe takes, the fixed fee the currency\'s own; a given fee Stripe cannot take, or that is not an amount, is refused', async () => {
    const fixed = 'USD 0.40, ISK 40, UGX 1500, MGA 200, KWD 0.12, BHD 0.15, JPY 60, HUF 150, TWD 12';
    const fees = { ...CURRENCIES, mode: 'FORWARD', connected_account_id: PROVIDER, application_fee_percent: '2.5', application_fee_fixed: fixed };
    const plugin = makePlugin(env.fake, fees);
    // ISK 500 = 50000: 2.5 % = 1250 -> 1300 (whole krónur), + ISK 40 = 4000.
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('500'), currency: 'ISK' }), null)), 'capture', '500');
    // KWD 1.230 = 1230: 2.5 % = 30.75 -> 30 (tens of fils), + KWD 0.120 = 120.
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('1.23'), currency: 'KWD' }), null)), 'capture', '1.23');
    // MGA 1000 (zero-decimal): 25, + MGA 200.
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('1000'), currency: 'MGA' }), null)), 'capture', '1000');
    expect(intentCreations(env.fake).map((r) => r.params['application_fee_amount'])).to.deep.equal(['5300', '150', '225']);

    env.fake.clearLog();
    const given = await call(plugin.processPayment(payment({ amount: dec('1.23'), currency: 'KWD', data: { applicationFee: '0.005' } }), null));
    expectFailure(given, 'processing_error', /Stripe cannot take 0\.005 KWD/);
    const isk = await call(plugin.processPayment(payment({ amount: dec('500'), currency: 'ISK', data: { applicationFee: '2.5' } }), null));
    expectFailure(isk, 'processing_error', /Stripe cannot take 2\.5 ISK/);
    // Only an amount is a fee: an array or object is not read through its text (["5"] would be 5).
    for (const applicationFee of [['5'], { amount: '5' }, true, '5 USD', '']) {
      const odd = await call(plugin.processPayment(payment({ amount: dec('10.00'), currency: 'USD', data: { applicationFee } }), null));
      expectFailure(odd, 'processing_error', /data\.applicationFee must be an amount in major units/);
    }
    const negative = await call(plugin.processPayment(payment({ amount: dec('10.00'), currency: 'USD', data: { applicationFee: '-1' } }), null));
    expectFailure(negative, 'processing_error', /non-negative/);
    expect(env.fake.requests).to.deep.equal([]);
  });

  it('getClientToken refuses an amount Stripe cannot take (invalid_amount) without calling Stripe', async () => {
    const plugin = makePlugin(env.fake, CURRENCIES);
    const err = await rejection(plugin.getClientToken({ amount: dec('10.50'), currency: 'MGA' }, null));
    expect(err.code).to.equal('invalid_amount');
    expect(err.message).to.match(/MGA in whole units only/);
    expect(env.fake.requests).to.deep.equal([]);
    await call(plugin.getClientToken({ amount: dec('500'), currency: 'ISK' }, null));
    expect(intentCreations(env.fake)[0]?.params).to.deep.include({ amount: '50000', currency: 'isk' });
  });

  it('getClientToken refuses a data.idempotencyKey Stripe could not take (empty, or too long with a derived suffix) without calling Stripe', async () => {
    const plugin = makePlugin(env.fake, CURRENCIES);
    for (const idempotencyKey of ['', 'k'.repeat(241)]) {
      const err = await rejection(plugin.getClientToken({ amount: dec('10'), currency: 'USD', data: { idempotencyKey } }, null));
      expect(err.code, String(idempotencyKey.length)).to.equal('invalid_input');
      expect(err.message).to.equal(`data.idempotencyKey must be 1 to 240 characters long (got ${idempotencyKey.length})`);
    }
    expect(env.fake.requests).to.deep.equal([]);
    await call(plugin.getClientToken({ amount: dec('10'), currency: 'USD', data: { idempotencyKey: 'k'.repeat(240) } }, null));
    expect(intentCreations(env.fake)).to.have.length(1);
  });

  it('webhook amounts are read in Stripe\'s units too (ISK 50000 is 500 krónur)', async () => {
    // Made at Stripe directly, as Stripe writes 500 ISK.
    const stripe = new Stripe(SECRET_KEY, env.fake.sdkOptions());
    const intent = await stripe.paymentIntents.create({ amount: 50000, currency: 'isk', payment_method: 'pm_card_visa', confirm: true, metadata: { payhost_payment_id: 'p-isk' } });
    env.fake.openDispute(intent.id);
    const [dispute] = normalizeEvent(env.fake.lastEvent('charge.dispute.created') as never, LOCAL_SETTINGS);
    expect(dispute?.response.amount.eq('500')).to.equal(true);
    const [succeeded] = normalizeEvent(env.fake.lastEvent('payment_intent.succeeded') as never, LOCAL_SETTINGS);
    expect(succeeded?.response.amount.eq('500')).to.equal(true);
  });
});
