import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, type PaymentData } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { key, startTestServer, type TestServer } from './support/harness.js';

/**
 * POST /payments takes `billing`, `shipping` (AddressData) and `customerIpAddress`: the gateway gets them in
 * the PaymentData of the charge and of every later operation; no answer shows them and no log line prints them.
 */
describe('payment API: billing, shipping and customerIpAddress', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });
  afterEach(() => sinon.restore());

  const BILLING = { firstName: 'Grace', lastName: 'Hopper', streetAddress1: '742 Evergreen Terrace', city: 'Arlington', postalCode: '22201', country: 'US', countryArea: 'VA' };
  const SHIPPING = { streetAddress1: '1600 Ocean Parkway', city: 'Brooklyn', postalCode: '11230', country: 'US' };
  const IP = '2001:db8:85a3::8a2e:370:7334';
  const body = (overrides: Record<string, unknown> = {}) => ({ channel: 'eu-store', currency: 'EUR', amount: '20.00', token: DUMMY_TOKENS.success, ...overrides });

  it('201: the authorization and a later capture get them in PaymentData; the answers and the log lines do not show them', async () => {
    const seen: Array<Pick<PaymentData, 'billing' | 'shipping' | 'customerIpAddress'>> = [];
    for (const hook of ['authorizePayment', 'processPayment', 'capturePayment'] as const) {
      const original = DummyGatewayPlugin.prototype[hook];
      sinon.stub(DummyGatewayPlugin.prototype, hook).callsFake(function (this: DummyGatewayPlugin, p, previous) {
        seen.push({ billing: p.billing, shipping: p.shipping, customerIpAddress: p.customerIpAddress });
        return original.call(this, p, previous);
      });
    }
    const logsBefore = t.logs.length;
    const created = await t.request('POST', '/payments', { body: body({ billing: BILLING, shipping: SHIPPING, customerIpAddress: IP }), idempotencyKey: key('addr') });
    expect(created.status, created.text).to.equal(201);
    const id = created.body.payment.id as string;
    const captured = await t.request('POST', `/payments/${id}/capture`, { body: { amount: '5.00' }, idempotencyKey: key('addr-capture') });
    expect(captured.status, captured.text).to.equal(200);
    const read = await t.request('GET', `/payments/${id}`);

    const full = (given: Record<string, string>) => ({ firstName: '', lastName: '', companyName: '', streetAddress1: '', streetAddress2: '', city: '', cityArea: '', postalCode: '', country: '', countryArea: '', phone: '', ...given });
    expect(seen).to.have.length(2);
    for (const s of seen) expect(s).to.deep.equal({ billing: full(BILLING), shipping: full(SHIPPING), customerIpAddress: IP });
    // Kept with the payment, not shown: personal data is not in the payment API's answers, nor in the logs (debug level here).
    for (const text of [created.text, captured.text, read.text, ...t.logs.slice(logsBefore)]) {
      for (const value of ['Evergreen', 'Ocean Parkway', '22201', IP]) expect(text).to.not.include(value);
    }
    expect(t.logs.length).to.be.greaterThan(logsBefore);
  });

  it('400 invalid_input naming the field: an unknown or non-string address field, a too long one, an IP address that is not one, a card number in an address line', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ billing: { ...BILLING, zip: '22201' } }, { in: 'body', field: 'billing.zip', keyword: 'additionalProperties' }],
      [{ shipping: { postal_code: '11230' } }, { in: 'body', field: 'shipping.postal_code', keyword: 'additionalProperties' }],
      [{ billing: { postalCode: 22201 } }, { in: 'body', field: 'billing.postalCode', keyword: 'type' }],
      [{ billing: { city: 'x'.repeat(257) } }, { in: 'body', field: 'billing.city', keyword: 'maxLength' }],
      [{ shipping: '1600 Ocean Parkway' }, { in: 'body', field: 'shipping', keyword: 'type' }],
      [{ customerIpAddress: '999.1.1.1' }, { field: 'customerIpAddress' }],
      [{ customerIpAddress: 'x'.repeat(65) }, { in: 'body', field: 'customerIpAddress', keyword: 'maxLength' }],
      [{ billing: { ...BILLING, streetAddress2: 'card 4242 4242 4242 4242' } }, { field: 'billing.streetAddress2', reason: 'card_number' }],
    ];
    for (const [overrides, details] of cases) {
      const res = await t.request('POST', '/payments', { body: body(overrides), idempotencyKey: key('addr-bad') });
      expect(res.status, JSON.stringify(overrides)).to.equal(400);
      expect(res.body.code).to.equal('invalid_input');
      expect(res.body.details, JSON.stringify(overrides)).to.deep.equal(details);
      expect(res.text).to.not.include('4242');
    }
  });

  it('a repeat of the key with another billing address is another request (409 idempotency_key_reused); with the same one, the same answer', async () => {
    const idempotencyKey = key('addr-repeat');
    const first = await t.request('POST', '/payments', { body: body({ billing: BILLING }), idempotencyKey });
    expect(first.status).to.equal(201);
    const same = await t.request('POST', '/payments', { body: body({ billing: { ...BILLING, companyName: '' } }), idempotencyKey });
    expect(same.status).to.equal(201);
    expect(same.body).to.deep.equal(first.body);
    const other = await t.request('POST', '/payments', { body: body({ billing: { ...BILLING, postalCode: '22202' } }), idempotencyKey });
    expect(other.status).to.equal(409);
    expect(other.body.code).to.equal('idempotency_key_reused');
  });
});
