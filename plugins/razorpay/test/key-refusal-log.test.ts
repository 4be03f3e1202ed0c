import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { RazorpayGatewayPlugin } from '@payhost/plugin-razorpay';
import { CHANNEL, GATEWAY, call, clientToken, configuration, makePlugin, payment, useFakeRazorpay } from './helpers.js';

/** A key id Razorpay does not know (revoked, or another account's), with the right secret: the Checkout signature verifies, the API answers 401. */
const WRONG_KEY_ID = 'rzp_test_revokedKeyId99';

// Keys Razorpay refused said so nowhere but in transaction rows: every payment failed, or (reads after the
// customer paid) was held for review, silently. Now the plugin logs one error line a minute at most.
describe('razorpay: refused keys are logged at error level, once a minute at most', () => {
  let fake: FakeRazorpay;
  useFakeRazorpay((started) => (fake = started));
  let clock: sinon.SinonFakeTimers | undefined;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: new Date('2031-05-01T10:00:00Z') });
  });
  afterEach(() => clock?.restore());

  function loggedPlugin() {
    const raw: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
    const config = { ...RazorpayGatewayPlugin.defaultConfiguration, ...configuration(fake, { key_id: WRONG_KEY_ID }) };
    const plugin = new RazorpayGatewayPlugin({ channel: CHANNEL, active: true, configuration: config, logger });
    const errors = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => (l['level'] as number) >= 50);
    return { plugin, raw, errors };
  }
  /** A Checkout payment (order made with the right keys), as the token processPayment gets. */
  async function paidToken(): Promise<string> {
    const { order_id } = await clientToken(makePlugin(fake), '499.50', 'INR');
    return JSON.stringify(fake.checkout(order_id));
  }
  const wrongAuth = () => `Basic ${Buffer.from(`${WRONG_KEY_ID}:${fake.keySecret}`).toString('base64')}`;
  /** Requests made since `mark`: all by the plugin with the wrong key id, so all answered 401. */
  let mark = 0;
  const refusals = () => fake.requests.length - mark;

  it('a 401 to a payment: one error line with gateway, channel, operation, status and key_id / key_secret to check; no key material', async () => {
    const token = await paidToken();
    mark = fake.requests.length;
    const { plugin, raw, errors } = loggedPlugin();
    const res = await call(plugin.processPayment(payment({ token }), null));
    expect(res.isSuccess).to.equal(false);
    expect(refusals()).to.be.greaterThan(0);
    expect(errors(), raw.join('')).to.have.length(1);
    const line = errors()[0] ?? {};
    expect(line).to.deep.include({
      gateway: GATEWAY,
      channel: CHANNEL,
      http_status: 401,
      config_fields: ['key_id', 'key_secret'],
      suppressed: 0,
      msg: 'Razorpay rejected the API key (HTTP 401): payments through this gateway fail or are held for review until key_id or key_secret is corrected',
    });
    expect(line['operation']).to.match(/^GET \/v1\/(orders|payments)\/(order|pay)_\w+$/);
    for (const leak of [WRONG_KEY_ID, 'revokedKeyId', fake.keySecret, wrongAuth(), 'Authentication failed']) expect(raw.join(''), leak).to.not.include(leak);
  });

  it('5 refusals within the minute: still one line; after the minute, another with the count held back', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 5; i += 1) tokens.push(await paidToken());
    mark = fake.requests.length;
    const { plugin, raw, errors } = loggedPlugin();
    for (const token of tokens) await call(plugin.processPayment(payment({ token }), null));
    expect(refusals()).to.be.at.least(5);
    expect(errors(), raw.join('')).to.have.length(1);

    clock?.tick(59_000);
    await call(plugin.capturePayment(payment({ token: 'pay_AnyPayment01' }), null));
    expect(errors()).to.have.length(1);

    clock?.tick(1_000);
    const held = refusals() - 1;
    await call(plugin.capturePayment(payment({ token: 'pay_AnyPayment01' }), null));
    const lines = errors();
    expect(lines).to.have.length(2);
    expect(lines[1]).to.deep.include({ gateway: GATEWAY, channel: CHANNEL, http_status: 401, suppressed: held });
    expect(lines[1]?.['msg']).to.match(new RegExp(`until key_id or key_secret is corrected \\(${held} more refusals since the last such line\\)$`));
    expect(raw.join('')).to.not.include(fake.keySecret);
  });
});
