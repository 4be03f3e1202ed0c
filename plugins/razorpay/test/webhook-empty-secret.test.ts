import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, type PluginManager } from '@payhost/core';
import { FakeRazorpay, razorpayWebhookSignature, type RazorpayWebhookDelivery } from '@payhost/testkit/razorpay';
import { verifyWebhookSignature } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, blockOutsideNetwork, makeManager } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;
// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

/** The delivery re-signed with HMAC-SHA256 under the empty key, which anyone can compute. */
function signedWithEmptyKey(delivery: RazorpayWebhookDelivery): Pick<RazorpayWebhookDelivery, 'rawBody' | 'headers'> {
  return { rawBody: delivery.rawBody, headers: { ...delivery.headers, 'x-razorpay-signature': razorpayWebhookSignature(delivery.rawBody, '') } };
}

// Mutation audit P01: previous_webhook_secret is '' when no secret change is under way, and a delivery is taken when
// it verifies under either secret. Dropping the empty-key guard survived every test, and let anyone's event in.
describe('razorpay: a webhook signed under the empty key is refused', () => {
  blockOutsideNetwork();
  let fake: FakeRazorpay;
  let manager: PluginManager | undefined;
  before(async () => {
    fake = await FakeRazorpay.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
  });

  it('verifyWebhookSignature refuses the empty secret, even with the signature it gives', () => {
    const body = Buffer.from('{"event":"payment.captured","created_at":1700000000}', 'utf8');
    expect(verifyWebhookSignature(body, razorpayWebhookSignature(body, ''), '')).to.equal(false);
    expect(verifyWebhookSignature(body, razorpayWebhookSignature(body, 'whsec_set'), 'whsec_set')).to.equal(true);
  });

  for (const [label, overrides] of [
    ['previous_webhook_secret not given', {}],
    ['previous_webhook_secret null (the default)', { previous_webhook_secret: null }],
    ['previous_webhook_secret blank', { previous_webhook_secret: '   ' }],
  ] as const) {
    it(`only webhook_secret set (${label}): a valid event signed under '' is 401 invalid_signature and changes no ledger`, async () => {
      manager = makeManager(fake, overrides);
      const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
      const token = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
      const { payment: _p, ...checkout } = fake.checkout(token.order_id);
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token: JSON.stringify(checkout) });
      const { payment } = await service.process({ paymentId: created.id, idempotencyKey: key() });
      // A refund made outside payhost (dashboard): its event is the only way the ledger learns of it.
      const refund = fake.state.refund(checkout.razorpay_payment_id, { amount: 5000 });
      const genuine = fake.webhook('refund.processed', { refundId: refund.id, paymentId: checkout.razorpay_payment_id }, { eventId: 'evt_empty_key' });
      const deliver = async (delivery: Pick<RazorpayWebhookDelivery, 'rawBody' | 'headers'>) => {
        const response = (await manager!.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
        for (const event of response.events ?? []) await service.applyGatewayEvent({ ...event, gateway: GATEWAY });
        return response;
      };

      const forged = await deliver(signedWithEmptyKey(genuine));
      expect(forged.status).to.equal(401);
      expect(forged.body).to.deep.include({ code: 'invalid_signature' });
      expect(forged.events).to.deep.equal([]);
      const after = await service.getPayment(payment.id);
      expect(after.capturedAmount.eq('499.5')).to.equal(true);
      expect(after.chargeStatus).to.equal('fully-charged');
      expect(await service.listTransactions(payment.id)).to.have.length(1);

      // The same body under the configured secret is applied: the refusal was the signature's.
      const applied = await deliver(genuine);
      expect(applied.status).to.equal(200);
      expect((await service.getPayment(payment.id)).capturedAmount.eq('449.5')).to.equal(true);
    });
  }
});
