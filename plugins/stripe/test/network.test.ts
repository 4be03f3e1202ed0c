import { expect } from 'chai';
import { request } from 'node:http';
import { silentLogger } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { PUBLISHABLE_KEY, SECRET_KEY, blockedHosts, call, expectFailure, payment, useFakeStripe } from './helpers.js';

describe('stripe: no test reaches the internet', () => {
  const env = useFakeStripe({ attemptsExpected: true });

  it('a plugin left pointing at api.stripe.com cannot connect (nock blocks it): processing_error', async () => {
    const plugin = new StripeGatewayPlugin({
      channel: 'web',
      active: true,
      configuration: { ...StripeGatewayPlugin.defaultConfiguration, secret_key: SECRET_KEY, publishable_key: PUBLISHABLE_KEY, max_network_retries: '0' },
      logger: silentLogger(),
    });
    const mark = blockedHosts.length;
    const res = await call(plugin.processPayment(payment(), null));
    expectFailure(res, 'processing_error', /Could not reach Stripe/);
    expect(blockedHosts.slice(mark)).to.include('api.stripe.com');
  });

  it('other hosts are blocked too; the loopback fake is reachable', async () => {
    let blocked: Error | undefined;
    const mark = blockedHosts.length;
    await fetch('https://example.com/').catch((err: Error) => (blocked = err));
    expect(blocked).to.be.instanceOf(Error);
    expect(blockedHosts.slice(mark)).to.include('example.com');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${env.fake.url}/v1/payment_intents/pi_missing`, { headers: { authorization: `Bearer ${SECRET_KEY}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(404);
  });
});
