import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import type { FlutterwaveWebhookDelivery } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, key, ledgerSuite } from './helpers.js';

// As the server passes it: the URL's rest after the plugin id.
const PATH = '/webhook';

/**
 * Deliveries Flutterwave must get a 200 for although nothing is applied: it
 * retries anything else and may disable the webhook. Each delivery is
 * answered as the reference server does: the plugin's status, unless applying
 * its events fails (payment_not_found -> 404).
 */
describe('flutterwave: webhook deliveries acknowledged without being applied', () => {
  const suite = ledgerSuite();

  async function answer(delivery: Pick<FlutterwaveWebhookDelivery, 'rawBody' | 'headers'>): Promise<{ status: number; body: unknown; applied: string[] }> {
    const response = (await suite.manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: PATH, method: 'POST', ...delivery }))!;
    const applied: string[] = [];
    try {
      for (const event of response.events ?? []) applied.push((await suite.service.applyGatewayEvent({ ...event, gateway: GATEWAY, channel: CHANNEL })).status);
    } catch (err) {
      return { status: 404, body: { code: (err as { code?: string }).code }, applied };
    }
    return { status: response.status, body: response.body, applied };
  }

  async function pay(paymentId: string | null, status: 'successful' | 'failed'): Promise<number> {
    const data = paymentId ? { paymentId } : null;
    const token = JSON.parse(await suite.manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN', data })) as { tx_ref: string };
    return suite.fake.pay({ tx_ref: token.tx_ref, amount: '1500.50', currency: 'NGN', status, processorResponse: status === 'failed' ? 'Insufficient funds' : undefined }).transaction_id;
  }

  it('a failed charge of an unbound tx_ref no payment processed: 200, no events, never 404 payment_not_found', async () => {
    const id = await pay(null, 'failed');
    const result = await answer(suite.fake.webhook('charge.completed', id));
    expect(result).to.deep.equal({ status: 200, body: { received: true, applied: 0, ignored: 'payment_not_matched' }, applied: [] });
  });

  it('a failed charge of a tx_ref bound to a payment is still recorded on it', async () => {
    const payment = await suite.service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: 'set-later' });
    const id = await pay(payment.id, 'failed');
    const result = await answer(suite.fake.webhook('charge.completed', id));
    expect(result).to.deep.include({ status: 200, applied: ['applied'] });
    expect((await suite.service.getPayment(payment.id)).chargeStatus).to.equal('not-charged');
  });

  it('a successful charge of an unbound tx_ref still waits (404) for the payment that will process it', async () => {
    const id = await pay(null, 'successful');
    const result = await answer(suite.fake.webhook('charge.completed', id));
    expect(result).to.deep.include({ status: 404, body: { code: 'payment_not_found' } });
  });
});
