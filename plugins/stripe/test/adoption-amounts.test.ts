import { expect } from 'chai';
import Stripe from 'stripe';
import { GatewayDeclinedError, type PaymentService } from '@payhost/core';
import type { FakeStripe } from '@payhost/testkit/stripe';
import { CHANNEL, SECRET_KEY, call, dec, key, makeLedger, makePlugin, rejection, useFakeStripe, RETURN_URL } from './helpers.js';

/** A client-token intent the customer confirmed in the browser (Stripe.js with the client secret); manual capture, so it waits for capture. */
async function confirmedIntent(fake: FakeStripe, amount: string, currency: string): Promise<string> {
  const secret = await call(makePlugin(fake, { auto_capture: false }).getClientToken({ amount: dec(amount), currency }, null));
  const id = secret.split('_secret_')[0] ?? '';
  await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
  return id;
}

// Mutation audit P08: a pi_ token pays a payment only for exactly its amount and currency. Refusing only an
// intent for less survived every test: an intent for more, or for the same number of minor units in another
// currency, paid the payment (the customer charged one thing, the ledger recording another).
describe('stripe: an adopted PaymentIntent must be for the payment\'s amount and currency', () => {
  const env = useFakeStripe();

  /** A payment brought with the intent, processed through the ledger: refused, nothing charged or bound. */
  async function expectRefused(service: PaymentService, intentId: string, total: string, currency: string, message: RegExp): Promise<void> {
    const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total, currency, token: intentId });
    const err = await rejection(service.process({ paymentId: created.id, idempotencyKey: key() }));
    expect(err).to.be.instanceOf(GatewayDeclinedError);
    expect(err.message).to.match(message);
    const [tx, ...more] = await service.listTransactions(created.id);
    expect(more).to.deep.equal([]);
    expect(tx).to.deep.include({ isSuccess: false, errorCode: 'processing_error', pspReference: null });
    const after = await service.getPayment(created.id);
    expect(after).to.deep.include({ chargeStatus: 'not-charged', pspReference: null });
    expect(after.authorizedAmount.isZero() && after.capturedAmount.isZero()).to.equal(true);
    // The intent is left as the customer confirmed it: not captured, not bound to the payment.
    const intent = env.fake.paymentIntent(intentId);
    expect(intent).to.deep.include({ status: 'requires_capture', amount_received: 0 });
    expect(intent['metadata']).to.not.have.property('payhost_payment_id');
    expect(env.fake.requestsTo(`/v1/payment_intents/${intentId}/capture`)).to.deep.equal([]);
  }

  it('another currency is refused, even for the same number of minor units (10.00 USD for 10.00 EUR, 1000 JPY for 10.00 USD)', async () => {
    const { manager, service } = makeLedger(env.fake, { auto_capture: false });
    try {
      const usd = await confirmedIntent(env.fake, '10.00', 'USD');
      await expectRefused(service, usd, '10.00', 'EUR', /is for 1000 usd, not 1000 eur/);
      const jpy = await confirmedIntent(env.fake, '1000', 'JPY');
      await expectRefused(service, jpy, '10.00', 'USD', /is for 1000 jpy, not 1000 usd/);
      // The same intent does pay a payment of its own amount and currency: the refusals above were for the currency.
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: usd });
      const paid = await service.process({ paymentId: created.id, idempotencyKey: key() });
      expect(paid.payment.authorizedAmount.eq('10')).to.equal(true);
      expect(paid.payment.pspReference).to.equal(usd);
    } finally {
      await manager.close();
    }
  });

  it('an intent for more than the payment is refused (20.00 USD for a 10.00 USD payment), as one for less is', async () => {
    const { manager, service } = makeLedger(env.fake, { auto_capture: false });
    try {
      const more = await confirmedIntent(env.fake, '20.00', 'USD');
      await expectRefused(service, more, '10.00', 'USD', /is for 2000 usd, not 1000 usd/);
      const less = await confirmedIntent(env.fake, '5.00', 'USD');
      await expectRefused(service, less, '10.00', 'USD', /is for 500 usd, not 1000 usd/);
    } finally {
      await manager.close();
    }
  });
});
