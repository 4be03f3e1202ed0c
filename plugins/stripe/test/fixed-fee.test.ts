import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService } from '@payhost/core';
import { CHANNEL, GATEWAY, call, dec, expectSuccess, intentCreations, key, makeLedger, makeManager, makePlugin, payment, useFakeStripe } from './helpers.js';

const PROVIDER = 'acct_provider123';
const PER_CURRENCY = { supported_currencies: 'USD, JPY, KWD', application_fee_fixed: 'USD 0.30, JPY 30, KWD 0.09' };

function fees(fake: Parameters<typeof intentCreations>[0]): unknown[] {
  return intentCreations(fake).map((r) => r.params['application_fee_amount']);
}

// Review finding: one application_fee_fixed for every currency was rounded half up to what Stripe takes:
// "0.30" was no fee at all in JPY, ISK or UGX, and 0.300 KWD (about 1 USD) in KWD, without a word.
describe('stripe: fixed application fee per currency', () => {
  const env = useFakeStripe();

  it('FORWARD: each charge takes its currency\'s fixed fee, in Stripe\'s units (JPY 30, KWD 0.090, USD 0.30)', async () => {
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, ...PER_CURRENCY });
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('1000'), currency: 'JPY' }), null)), 'capture', '1000');
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('5.00'), currency: 'KWD' }), null)), 'capture', '5');
    expectSuccess(await call(plugin.processPayment(payment({ amount: dec('10.00'), currency: 'USD' }), null)), 'capture', '10');
    expect(fees(env.fake)).to.deep.equal(['30', '90', '30']);
    expect(intentCreations(env.fake).map((r) => r.params['transfer_data'])).to.deep.equal([{ destination: PROVIDER }, { destination: PROVIDER }, { destination: PROVIDER }]);
  });

  it('REMOTE through the ledger, with a percent: JPY 1000 takes 25 + 30, KWD 5.000 takes 130 (rounded to tens of fils) + 90', async () => {
    const { manager, service } = makeLedger(env.fake, { mode: 'REMOTE', connected_account_id: PROVIDER, application_fee_percent: '2.5', ...PER_CURRENCY });
    try {
      const jpy = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '1000', currency: 'JPY', token: 'pm_card_visa' });
      expect(jpy.payment.chargeStatus).to.equal('fully-charged');
      const kwd = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '5.00', currency: 'KWD', token: 'pm_card_visa' });
      expect(kwd.payment.chargeStatus).to.equal('fully-charged');
      expect(fees(env.fake)).to.deep.equal(['55', '220']);
      expect(intentCreations(env.fake).map((r) => r.account)).to.deep.equal([PROVIDER, PROVIDER]);
    } finally {
      await manager.close();
    }
  });

  it('getClientToken sets the currency\'s fixed fee on the intent', async () => {
    const plugin = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, ...PER_CURRENCY });
    await call(plugin.getClientToken({ amount: dec('1500'), currency: 'JPY' }, null));
    expect(intentCreations(env.fake)[0]?.params).to.deep.include({ amount: '1500', currency: 'jpy', application_fee_amount: '30' });
  });

  it('a single figure is still one amount in every supported currency: "0.30" for USD and EUR, or a KWD-only channel\'s 0.300 KWD', async () => {
    const twoCents = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, supported_currencies: 'USD, EUR', application_fee_fixed: '0.30' });
    expectSuccess(await call(twoCents.processPayment(payment({ amount: dec('10.00'), currency: 'EUR' }), null)), 'capture', '10');
    const kuwait = makePlugin(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, supported_currencies: 'KWD', application_fee_fixed: '0.30' });
    expectSuccess(await call(kuwait.processPayment(payment({ amount: dec('5.00'), currency: 'KWD' }), null)), 'capture', '5');
    expect(fees(env.fake)).to.deep.equal(['30', '300']);
  });

  it('admin round trip: adding JPY under a single "0.30" is refused and changes nothing; the per-currency form is kept as given and charged', async () => {
    const manager = makeManager(env.fake, { mode: 'FORWARD', connected_account_id: PROVIDER, supported_currencies: 'USD, EUR', application_fee_fixed: '0.30' });
    try {
      const refused = (() => {
        try {
          manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { supported_currencies: 'USD, EUR, JPY' } });
        } catch (err) {
          return err as { code?: string; message: string };
        }
        throw new Error('the update was accepted');
      })();
      expect(refused.code).to.equal('invalid_configuration');
      expect(refused.message).to.match(/application_fee_fixed "0\.30" is one amount for every supported currency, and Stripe cannot take it exactly in JPY .*give one amount per currency instead/);
      expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration).to.deep.include({ supported_currencies: 'USD, EUR', application_fee_fixed: '0.30' });
      // A currency left without its amount is refused as well ("JPY 0" would say "no fixed fee").
      expect(() => manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { supported_currencies: 'USD, EUR, JPY', application_fee_fixed: 'USD 0.30, EUR 0.25' } })).to.throw(/application_fee_fixed has no amount for JPY/);

      const fixed = 'USD 0.30, EUR 0.25, JPY 30';
      manager.updatePluginConfiguration(GATEWAY, CHANNEL, { configuration: { supported_currencies: 'USD, EUR, JPY', application_fee_fixed: fixed } });
      expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).configuration).to.deep.include({ supported_currencies: 'USD, EUR, JPY', application_fee_fixed: fixed });
      const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
      for (const [total, currency] of [['1000', 'JPY'], ['10.00', 'EUR']] as const) {
        const paid = await service.pay({ idempotencyKey: key(), channel: CHANNEL, total, currency, token: 'pm_card_visa' });
        expect(paid.payment.chargeStatus, currency).to.equal('fully-charged');
      }
      expect(fees(env.fake)).to.deep.equal(['30', '25']);
    } finally {
      await manager.close();
    }
  });
});
