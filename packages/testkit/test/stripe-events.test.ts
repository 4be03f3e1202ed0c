import { expect } from 'chai';
import Stripe from 'stripe';
import { FakeStripe, type Json } from '@payhost/testkit/stripe';

/**
 * The shapes of the API version the fake claims (2026-10-28): since
 * 2022-11-15 a charge's `refunds` is no longer auto-expanded (only with
 * expand[]=refunds), and refunds are followed with refund.created /
 * refund.updated (charge.refund.updated is only sent for some payment
 * methods, not card refunds).
 */
describe('testkit: the fake Stripe\'s charges and refund events follow its API version', () => {
  let fake: FakeStripe;
  const sdk = (): Stripe => new Stripe('sk_test_testkitEvents', fake.sdkOptions());
  const objectOf = (event: Json): Json => (event['data'] as { object: Json }).object;

  before(async () => {
    fake = await FakeStripe.start();
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  it('charges carry no refunds list, in answers and in events, unless expand[]=refunds asks for it', async () => {
    const intent = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const refund = await sdk().refunds.create({ payment_intent: intent.id, amount: 300 });
    const chargeId = String(intent.latest_charge);
    const charge = await sdk().charges.retrieve(chargeId);
    expect(charge).to.not.have.property('refunds');
    expect(charge).to.include({ amount_refunded: 300, refunded: false });
    expect(objectOf(fake.lastEvent('charge.succeeded'))).to.not.have.property('refunds');
    const refunded = fake.lastEvent('charge.refunded');
    expect(objectOf(refunded)).to.not.have.property('refunds');
    expect((refunded['data'] as { previous_attributes: Json }).previous_attributes).to.deep.equal({ amount_refunded: 0, refunded: false });
    expect(fake.lastEvent('refund.created')['api_version']).to.equal(charge.lastResponse.headers['stripe-version']);

    const expanded = await sdk().charges.retrieve(chargeId, { expand: ['refunds'] });
    expect(expanded.refunds?.data.map((r) => r.id)).to.deep.equal([refund.id]);
  });

  it('a refund that settles sends refund.updated with the previous status (and refund.failed when it failed), never charge.refund.updated', async () => {
    const intent = await sdk().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_pendingRefund', confirm: true });
    const pending = await sdk().refunds.create({ payment_intent: intent.id, amount: 400 });
    const failing = await sdk().refunds.create({ payment_intent: intent.id, amount: 100 });
    expect([pending.status, failing.status]).to.deep.equal(['pending', 'pending']);
    fake.settleRefund(pending.id, 'succeeded');
    fake.settleRefund(failing.id, 'failed');
    const updated = fake.events('refund.updated');
    expect(updated.map((e) => [objectOf(e)['id'], objectOf(e)['status'], (e['data'] as { previous_attributes: Json }).previous_attributes])).to.deep.equal([
      [pending.id, 'succeeded', { status: 'pending' }],
      [failing.id, 'failed', { status: 'pending' }],
    ]);
    expect(fake.events('refund.failed').map((e) => objectOf(e)['id'])).to.deep.equal([failing.id]);
    expect(fake.events('charge.refund.updated')).to.deep.equal([]);
  });
});
