import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, configuration, inlinePayment, payment, recordingLogger } from './helpers.js';

/** A revoked (or another account's) secret key: Flutterwave answers 401 "Invalid authorization key" to every call. */
const REVOKED_KEY = 'FLWSECK_TEST-revokedsecret1111111111111111-X';

// A secret_key Flutterwave refused said so nowhere but in transaction rows: every verification failed and, the
// customer having paid, was held for review, silently. Now the plugin logs one error line a minute at most.
describe('flutterwave: a refused secret_key is logged at error level, once a minute at most', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  let clock: sinon.SinonFakeTimers | undefined;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: new Date('2031-05-01T10:00:00Z') });
  });
  afterEach(() => clock?.restore());

  function loggedPlugin() {
    const { logger, lines } = recordingLogger('debug');
    const plugin = new FlutterwaveGatewayPlugin({ channel: CHANNEL, active: true, configuration: { ...FlutterwaveGatewayPlugin.defaultConfiguration, ...configuration(fake, { secret_key: REVOKED_KEY }) }, logger });
    const errors = () => lines.filter((l) => (l['level'] as number) >= 50);
    return { plugin, lines, errors };
  }
  /** Every request reaches the fake with the revoked key, so every one is answered 401. */
  const refusals = () => fake.requests.length;
  /** An Inline payment the customer made, and the plugin's processPayment of it (verify answers 401). */
  async function processPaid(plugin: FlutterwaveGatewayPlugin): Promise<void> {
    const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    const res = await call(plugin.processPayment(payment({ token, amount: new Decimal('1500.50'), currency: 'NGN' }), null));
    expect(res.isSuccess).to.equal(false);
  }

  it('a 401 to a payment: one error line with gateway, channel, operation, status and secret_key to check; no key, no Flutterwave message', async () => {
    const { plugin, lines, errors } = loggedPlugin();
    await processPaid(plugin);
    expect(refusals()).to.be.greaterThan(0);
    expect(errors(), JSON.stringify(lines)).to.have.length(1);
    expect(errors()[0]).to.deep.include({
      gateway: GATEWAY,
      channel: CHANNEL,
      operation: 'verify',
      http_status: 401,
      config_fields: ['secret_key'],
      suppressed: 0,
      msg: 'Flutterwave rejected the API key (HTTP 401): payments through this gateway fail or are held for review until secret_key is corrected',
    });
    const logged = JSON.stringify(lines);
    for (const leak of [REVOKED_KEY, 'revokedsecret', 'Invalid authorization key']) expect(logged, leak).to.not.include(leak);
  });

  it('5 refusals within the minute: still one line; after the minute, another with the count held back', async () => {
    const { plugin, lines, errors } = loggedPlugin();
    for (let i = 0; i < 5; i += 1) await processPaid(plugin);
    expect(refusals()).to.be.at.least(5);
    expect(errors(), JSON.stringify(lines)).to.have.length(1);

    clock?.tick(59_000);
    await call(plugin.refundPayment(payment({ token: '1234567', amount: new Decimal('100') }), null));
    expect(errors()).to.have.length(1);

    clock?.tick(1_000);
    const held = refusals() - 1;
    await call(plugin.refundPayment(payment({ token: '1234567', amount: new Decimal('100') }), null));
    expect(errors()).to.have.length(2);
    expect(errors()[1]).to.deep.include({ gateway: GATEWAY, channel: CHANNEL, operation: 'refund', http_status: 401, suppressed: held });
    expect(errors()[1]?.['msg']).to.match(new RegExp(`until secret_key is corrected \\(${held} more refusals since the last such line\\)$`));
    expect(JSON.stringify(lines)).to.not.include(REVOKED_KEY);
  });
});
