import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger } from '@payhost/core';
import { StripeGatewayPlugin } from '@payhost/plugin-stripe';
import { FakeStripe } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, SECRET_KEY, blockOutsideNetwork, call, config, payment } from './helpers.js';

// A wrong or revoked secret_key said so nowhere but in transaction rows and a debug line: every payment failed,
// or (reads after the customer paid) was held for review, silently. Now the plugin logs one error line a minute at most.
describe('stripe: a refused secret_key is logged at error level, once a minute at most', () => {
  blockOutsideNetwork();
  let fake: FakeStripe;
  let clock: sinon.SinonFakeTimers | undefined;
  before(async () => {
    // The fake accepts another key only: the plugin's SECRET_KEY gets Stripe's real 401 ("Invalid API Key provided: sk_test_***").
    fake = await FakeStripe.start({ secretKeys: ['sk_test_theKeyStripeKnows'] });
  });
  beforeEach(() => {
    fake.reset();
    clock = sinon.useFakeTimers({ toFake: ['Date'], now: new Date('2031-05-01T10:00:00Z') });
  });
  afterEach(() => clock?.restore());
  after(async () => fake?.close());

  function loggedPlugin() {
    const raw: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
    const plugin = new StripeGatewayPlugin({ channel: CHANNEL, active: true, configuration: config(fake), logger });
    const errors = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => (l['level'] as number) >= 50);
    return { plugin, raw, errors };
  }
  const refusals = () => fake.requests.filter((r) => r.status === 401).length;

  it('a 401 to a payment: one error line with gateway, channel, operation, status and secret_key to check; no key, no Stripe message', async () => {
    const { plugin, raw, errors } = loggedPlugin();
    const res = await call(plugin.processPayment(payment(), null));
    expect(res.isSuccess).to.equal(false);
    expect(res.error).to.match(/Stripe rejected the API key/);
    expect(refusals()).to.be.greaterThan(0);
    expect(errors(), raw.join('')).to.have.length(1);
    expect(errors()[0]).to.deep.include({
      gateway: GATEWAY,
      channel: CHANNEL,
      operation: 'POST /v1/payment_intents',
      http_status: 401,
      config_fields: ['secret_key'],
      suppressed: 0,
      msg: 'Stripe rejected the API key (HTTP 401): payments through this gateway fail or are held for review until secret_key is corrected',
    });
    // Neither the key, any fragment of it, nor Stripe's message (which echoes a masked key) reaches the log.
    for (const leak of [SECRET_KEY, SECRET_KEY.slice(0, 8), 'payhostFake', 'Invalid API Key']) expect(raw.join(''), leak).to.not.include(leak);
  });

  it('5 refusals within the minute: still one line; after the minute, another with the count held back', async () => {
    const { plugin, raw, errors } = loggedPlugin();
    for (let i = 0; i < 5; i += 1) await call(plugin.processPayment(payment(), null));
    expect(refusals()).to.be.at.least(5);
    expect(errors(), raw.join('')).to.have.length(1);

    clock?.tick(59_000);
    await call(plugin.processPayment(payment(), null));
    expect(errors()).to.have.length(1);

    clock?.tick(1_000);
    // Held back: every refusal since the first (logged) one, up to the one the next line is about.
    const held = refusals() - 1;
    await call(plugin.processPayment(payment(), null));
    const lines = errors();
    expect(lines).to.have.length(2);
    expect(lines[1]).to.deep.include({ gateway: GATEWAY, channel: CHANNEL, http_status: 401, suppressed: held });
    expect(lines[1]?.['msg']).to.match(new RegExp(`^Stripe rejected the API key \\(HTTP 401\\): .* until secret_key is corrected \\(${held} more refusals since the last such line\\)$`));
    expect(raw.join('')).to.not.include(SECRET_KEY);
  });

  it('a working key logs no such line', async () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
    const plugin = new StripeGatewayPlugin({ channel: CHANNEL, active: true, configuration: config(fake, { secret_key: 'sk_test_theKeyStripeKnows' }), logger });
    const res = await call(plugin.processPayment(payment(), null));
    expect(res.isSuccess, res.error ?? '').to.equal(true);
    expect(raw.join('')).to.not.include('rejected the API key');
  });
});
