import { expect } from 'chai';
import { type PluginManager, type WebhookResponse } from '@payhost/core';
import { FakeFlutterwave, type FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin, issueTxRef } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, clientToken, expectSuccess, inlinePayment, makeManager, makePlugin, payment } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';
/** The secret key before the rotation; the fake (Flutterwave) only accepts its current one, fake.secretKey. */
const OLD_KEY = 'FLWSECK_TEST-rotatedaway000000000000000000-X';
const TX_REF_SECRET = 'a-stable-random-value-kept-across-rotations';

/**
 * Rotating secret_key must not orphan the checkouts in flight: their tx_refs
 * were signed before the rotation, and their webhooks and processPayment come
 * after it. A tx_ref signed with neither secret is still refused.
 */
describe('flutterwave: rotating the secret key', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  const managers: PluginManager[] = [];
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(async () => {
    await Promise.all(managers.map((m) => m.close()));
    await fake.close();
  });
  beforeEach(() => fake.reset());

  /** The plugin as configured after the rotation: the new secret key (the fake's), and `tx_ref_secret`. */
  function rotated(txRefSecret: string) {
    const manager = makeManager(fake, { tx_ref_secret: txRefSecret });
    managers.push(manager);
    const deliver = (delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>): Promise<WebhookResponse | null> =>
      manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', headers: delivery.headers, rawBody: delivery.rawBody });
    return { plugin: makePlugin(fake, { tx_ref_secret: txRefSecret }), deliver };
  }

  it('with tx_ref_secret set, tx_refs issued before the rotation still bind their payment (webhook and processPayment)', async () => {
    const before = makePlugin(fake, { secret_key: OLD_KEY, tx_ref_secret: TX_REF_SECRET });
    const { transaction, token } = await inlinePayment(fake, before, '1500.50', 'NGN');
    const after = rotated(TX_REF_SECRET);
    const response = (await after.deliver(fake.webhook('charge.completed', transaction.id)))!;
    expect(response.status).to.equal(200);
    expect(response.events?.map((e) => [e.paymentId, e.response.kind, e.response.isSuccess])).to.deep.equal([['pay-host-1', 'capture', true]]);
    expectSuccess(await call(after.plugin.processPayment(payment({ token }), null)), 'capture', '1500.50');
  });

  it('without tx_ref_secret before the rotation: putting the old secret key in tx_ref_secret keeps the tx_refs it signed', async () => {
    const before = makePlugin(fake, { secret_key: OLD_KEY });
    const { transaction } = await inlinePayment(fake, before, '1500.50', 'NGN');
    const response = (await rotated(OLD_KEY).deliver(fake.webhook('charge.completed', transaction.id)))!;
    expect(response.events?.map((e) => e.paymentId)).to.deep.equal(['pay-host-1']);
  });

  it('a tx_ref signed with another secret, or with its amount changed, is still refused', async () => {
    const after = rotated(TX_REF_SECRET);
    const forged = issueTxRef('an-attacker-guess', CHANNEL, 'pay-host-1', null);
    const paidForged = fake.pay({ tx_ref: forged, amount: '1500.50', currency: 'NGN' });
    expect((await after.deliver(fake.webhook('charge.completed', paidForged.transaction_id)))!).to.deep.include({ status: 200, events: [] });
    const genuine = await clientToken(after.plugin, '1500.50', 'NGN');
    const cheaper = genuine.tx_ref.replace('-1500.50NGN-', '-1.00NGN-');
    expect(cheaper).to.not.equal(genuine.tx_ref);
    const paidCheaper = fake.pay({ tx_ref: cheaper, amount: '1.00', currency: 'NGN' });
    expect((await after.deliver(fake.webhook('charge.completed', paidCheaper.transaction_id)))!).to.deep.include({ status: 200, events: [] });
  });

  it('tx_ref_secret is a secret: masked on read', () => {
    expect(FlutterwaveGatewayPlugin.configStructure['tx_ref_secret']?.type).to.equal('Secret');
  });
});
