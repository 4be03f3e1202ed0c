import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryLedgerStore, PaymentService, type AddressData, type FaultHooks, type LedgerStore, type PaymentData } from '@payhost/core';
import { createPgliteStore } from '@payhost/store-postgres';
import { DUMMY_TOKENS, GatedDummy, key, payInput, rejection, setup, type Setup } from './helpers.js';

/**
 * Billing and shipping addresses and the customer's IP address (seed 001's PaymentData.billing, .shipping,
 * .customerIpAddress): taken by pay/createPayment, kept with the payment, and sent in the PaymentData of
 * every later call on it, so an address-verifying or IP-checking plugin gets them.
 */
const BILLING = { firstName: 'Ada', lastName: 'Lovelace', streetAddress1: '1 Main St', city: 'San Francisco', postalCode: '94103', country: 'US' };
const SHIPPING = { city: 'Oakland', postalCode: '94607', country: 'US', phone: '+1 510 555 0100' };
const IP = '203.0.113.9';

/** AddressData as the plugin gets it: every field, '' for those not given. */
function asAddressData(given: Partial<AddressData>): AddressData {
  return { firstName: '', lastName: '', companyName: '', streetAddress1: '', streetAddress2: '', city: '', cityArea: '', postalCode: '', country: '', countryArea: '', phone: '', ...given };
}

interface Seen {
  hook: string;
  billing: AddressData | null;
  shipping: AddressData | null;
  customerIpAddress: string | null;
}

/** Records what every hook got (a copy: a plugin's changes to it must not reach the ledger, checked below). */
function recordHooks(): Seen[] {
  const seen: Seen[] = [];
  const record = (hook: string, p: PaymentData) => seen.push({ hook, billing: p.billing ? { ...p.billing } : null, shipping: p.shipping ? { ...p.shipping } : null, customerIpAddress: p.customerIpAddress });
  for (const hook of ['processPayment', 'authorizePayment', 'capturePayment', 'refundPayment', 'voidPayment', 'confirmPayment'] as const) {
    const original = GatedDummy.prototype[hook];
    sinon.stub(GatedDummy.prototype, hook).callsFake(function (this: GatedDummy, p, previous) {
      record(hook, p);
      // A plugin that changes what it got: the next call still gets what was stored.
      if (p.billing) p.billing.postalCode = 'changed by the plugin';
      return original.call(this, p, previous);
    });
  }
  const status = GatedDummy.prototype.getTransactionStatus;
  sinon.stub(GatedDummy.prototype, 'getTransactionStatus').callsFake(function (this: GatedDummy, input, previous) {
    record('getTransactionStatus', input.payment);
    return status.call(this, input, previous);
  });
  return seen;
}

const expected = { billing: asAddressData(BILLING), shipping: asAddressData(SHIPPING), customerIpAddress: IP };

function lifecycle(storeName: string, makeStore: () => Promise<LedgerStore>): void {
  describe(`ledger: billing, shipping and customer IP address reach every PaymentData (${storeName})`, function () {
    this.timeout(60_000);
    let env: Setup | undefined;
    let store: LedgerStore;
    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
    });
    afterEach(async () => {
      sinon.restore();
      GatedDummy.gate.open();
      await env?.close();
      await store.close();
    });

    it('pay, capture, refund, void, confirm and a reconciliation status check all carry the values pay was given', async () => {
      const seen = recordHooks();
      let crash = false;
      const faults: FaultHooks = {
        'after-gateway': () => {
          if (crash) throw new Error('crash at after-gateway');
        },
      };
      env = setup({ plugin: GatedDummy, store, faults, configuration: { auto_capture: false } });
      const details = { billing: BILLING, shipping: SHIPPING, customerIpAddress: IP };

      const authorized = await env.service.pay(payInput({ ...details, action: 'authorize' }));
      expect(authorized.payment).to.deep.include(expected);
      expect(await env.service.getPayment(authorized.payment.id)).to.deep.include(expected);
      await env.service.capture({ paymentId: authorized.payment.id, idempotencyKey: key(), amount: '4.00' });
      await env.service.refund({ paymentId: authorized.payment.id, idempotencyKey: key(), amount: '1.00' });

      const voided = await env.service.pay(payInput({ ...details, action: 'authorize' }));
      await env.service.void({ paymentId: voided.payment.id, idempotencyKey: key() });

      const charged = await env.service.pay(payInput({ ...details }));
      const threeDs = await env.service.pay(payInput({ ...details, token: DUMMY_TOKENS.threeDSecure }));
      expect(threeDs.payment.toConfirm).to.equal(true);
      await env.service.confirm({ paymentId: threeDs.payment.id, idempotencyKey: key() });

      // A capture whose answer is lost (a crash after the call): reconciliation asks the gateway with the same PaymentData.
      crash = true;
      await rejection(env.service.capture({ paymentId: charged.payment.id, idempotencyKey: key() }));
      crash = false;
      const report = await new PaymentService({ manager: env.manager, store }).reconcile({ minAgeMs: 0 });
      expect(report.checked).to.equal(1);

      expect(seen.map((s) => s.hook)).to.deep.equal([
        'authorizePayment',
        'capturePayment',
        'refundPayment',
        'authorizePayment',
        'voidPayment',
        'processPayment',
        'processPayment',
        'confirmPayment',
        'capturePayment',
        'getTransactionStatus',
      ]);
      for (const s of seen) expect({ billing: s.billing, shipping: s.shipping, customerIpAddress: s.customerIpAddress }, s.hook).to.deep.equal(expected);
    });

    it('a payment made without them sends null, as before', async () => {
      const seen = recordHooks();
      env = setup({ plugin: GatedDummy, store });
      const { payment } = await env.service.pay(payInput({ billing: {}, shipping: null }));
      await env.service.refund({ paymentId: payment.id, idempotencyKey: key() });
      expect(seen.map((s) => [s.hook, s.billing, s.shipping, s.customerIpAddress])).to.deep.equal([
        ['processPayment', null, null, null],
        ['refundPayment', null, null, null],
      ]);
      expect(await env.service.getPayment(payment.id)).to.deep.include({ billing: null, shipping: null, customerIpAddress: null });
    });
  });
}

lifecycle('memory', async () => new MemoryLedgerStore());
lifecycle('PGlite', () => createPgliteStore());

describe('ledger: billing, shipping and customer IP address input', () => {
  let env: Setup;
  afterEach(async () => {
    sinon.restore();
    await env?.close();
  });

  /** The refusal of `input`, and that nothing was written under its key. */
  async function refused(input: Record<string, unknown>): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> {
    const request = payInput(input);
    const err = await rejection(env.service.pay(request));
    expect(await env.store.getIdempotencyRecord(request.idempotencyKey)).to.equal(null);
    const created = await rejection(env.service.createPayment({ ...request, idempotencyKey: key() }));
    expect({ code: created.code, details: created.details }).to.deep.equal({ code: err.code, details: err.details });
    return err;
  }

  it('refuses an unknown address field, a non-string or too long one, a non-object, and an IP address that is not one, naming the field', async () => {
    env = setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ billing: { ...BILLING, zip: '94103' } }, 'billing.zip'],
      [{ shipping: { street_address_1: '1 Main St' } }, 'shipping.street_address_1'],
      [{ billing: { postalCode: 94103 } }, 'billing.postalCode'],
      [{ billing: { city: 'x'.repeat(257) } }, 'billing.city'],
      [{ billing: 'San Francisco' }, 'billing'],
      [{ shipping: ['1 Main St'] }, 'shipping'],
      [{ customerIpAddress: '203.0.113.999' }, 'customerIpAddress'],
      [{ customerIpAddress: 'localhost' }, 'customerIpAddress'],
      [{ customerIpAddress: '' }, 'customerIpAddress'],
      [{ customerIpAddress: 3405803785 }, 'customerIpAddress'],
    ];
    for (const [input, field] of cases) {
      const err = await refused(input);
      expect(err.code, JSON.stringify(input)).to.equal('invalid_input');
      expect(err.details?.['field'], JSON.stringify(input)).to.equal(field);
    }
    // 256 characters is the bound, not past it; IPv6 is taken.
    const { payment } = await env.service.pay(payInput({ billing: { city: 'x'.repeat(256) }, customerIpAddress: '2001:db8::1' }));
    expect(payment.billing?.city).to.have.length(256);
    expect(payment.customerIpAddress).to.equal('2001:db8::1');
  });

  it('counts a field\'s length in characters (code points), as the REST schema does: 200 emoji are 200 characters', async () => {
    env = setup();
    const { payment } = await env.service.pay(payInput({ billing: { firstName: '😀'.repeat(200), city: '😀'.repeat(256) } }));
    expect(payment.billing?.firstName).to.equal('😀'.repeat(200));
    const err = await refused({ billing: { city: `${'😀'.repeat(256)}x` } });
    expect(err.details).to.deep.equal({ field: 'billing.city' });
  });

  it('refuses a control character or a bidirectional override in an address field, naming the field, not repeating the value', async () => {
    env = setup();
    const c0AndBidi = ['A\r\nX-Injected: 1', 'tab\there', 'bell\u0007', 'esc\u001b[31m', 'abc\u202Efed', 'x\u2066y\u2069', '\u202Aleft'];
    // DEL and the C1 controls too: U+0085 (next line), U+009B (a terminal's escape), both ends of the range.
    const delAndC1 = ['del\u007F', 'a\u0080b', 'line\u0085X-Injected: 1', 'csi\u009B31m', 'end\u009F'];
    // The line and paragraph separators: a line break to JavaScript and Unicode-aware readers.
    const separators = ['line\u2028X-Injected: 1', 'para\u2029graph'];
    for (const text of [...c0AndBidi, ...delAndC1, ...separators]) {
      const err = await refused({ billing: { ...BILLING, companyName: text } });
      expect(err.code, JSON.stringify(text)).to.equal('invalid_input');
      expect(err.details, JSON.stringify(text)).to.deep.equal({ field: 'billing.companyName', reason: 'control_character' });
      expect(err.message).to.include('control character').and.not.include(text);
    }
    // Other formatting characters stay: a zero-width joiner in an emoji, a right-to-left mark, a right-to-left script.
    const { payment } = await env.service.pay(payInput({ shipping: { firstName: '👩\u200D💻', city: 'תל אביב\u200F' } }));
    expect(payment.shipping?.firstName).to.equal('👩\u200D💻');
    // Latin-1 letters just past the C1 range stay.
    const latin = await env.service.pay(payInput({ billing: { city: 'Málaga\u00A0Öre' } }));
    expect(latin.payment.billing?.city).to.equal('Málaga\u00A0Öre');
  });

  it('names an unknown address field only when its name is a plain identifier; any other name is not repeated', async () => {
    env = setup();
    const longest = `z${'x'.repeat(63)}`;
    for (const name of ['zip', 'street_address_1', longest]) {
      const err = await refused({ billing: { [name]: 'x' } });
      expect(err.details, name).to.deep.equal({ field: `billing.${name}`, reason: 'unknown_field' });
      expect(err.message).to.include(`"${name}"`);
    }
    for (const name of ['x\u202Eyz', 'city\r\nX-Injected: 1', 'del\u007F', 'nel\u0085', 'two words', '1zip', `${longest}x`, 'ORD-4242424242424241', 'zip"', '']) {
      const err = await refused({ shipping: { [name]: 'x' } });
      expect(err.code, JSON.stringify(name)).to.equal('invalid_input');
      expect(err.details, JSON.stringify(name)).to.deep.equal({ field: 'shipping', reason: 'unknown_field' });
      expect(err.message, JSON.stringify(name)).to.match(/^shipping has an unknown field: an address has firstName/);
    }
  });

  it('refuses an IPv6 zone index in customerIpAddress, and a card number in one as a card number', async () => {
    env = setup();
    const zone = await refused({ customerIpAddress: 'fe80::1%eth0' });
    expect(zone.details).to.deep.equal({ field: 'customerIpAddress' });
    const card = await refused({ customerIpAddress: 'fe80::1%4111111111111111' });
    expect(card.details).to.deep.equal({ field: 'customerIpAddress', reason: 'card_number' });
    expect(card.message).to.not.include('4111');
  });

  it('refuses a card number typed into an address line (or as a field name), without repeating it; nothing is written', async () => {
    env = setup({ plugin: GatedDummy });
    const spy = sinon.spy(GatedDummy.prototype, 'processPayment');
    for (const [input, field] of [
      [{ billing: { ...BILLING, streetAddress2: 'card 4242 4242 4242 4242 exp 12/30' } }, 'billing.streetAddress2'],
      [{ shipping: { firstName: '4111111111111111' } }, 'shipping.firstName'],
      [{ shipping: { '4242424242424242': 'x' } }, 'shipping'],
    ] as const) {
      const err = await refused(input);
      expect(err.code).to.equal('invalid_input');
      expect(err.details).to.include({ reason: 'card_number' });
      expect(String(err.details?.['field'])).to.satisfy((f: string) => f.startsWith(field));
      expect(JSON.stringify(err)).to.not.match(/4242|4111/);
      expect(err.message).to.not.match(/4242|4111/);
    }
    expect(spy.callCount).to.equal(0);
  });

  it('idempotency: the same addresses spelt otherwise replay; other addresses or another IP are another request (idempotency_key_reused)', async () => {
    env = setup({ plugin: GatedDummy });
    const spy = sinon.spy(GatedDummy.prototype, 'processPayment');
    const request = payInput({ billing: BILLING, shipping: SHIPPING, customerIpAddress: IP });
    const result = await env.service.pay(request);
    // A field left out, given as '' or as null: the same stored address. JSON round trip (undefined dropped) too.
    const spelt = { ...request, billing: { ...BILLING, companyName: '', phone: null } as unknown as AddressData, shipping: { ...SHIPPING, cityArea: undefined } };
    expect(await env.service.pay(spelt)).to.deep.equal(result);
    expect(await env.service.pay(JSON.parse(JSON.stringify(request)))).to.deep.equal(result);
    expect(spy.callCount).to.equal(1);
    for (const other of [{ billing: { ...BILLING, postalCode: '94104' } }, { shipping: null }, { customerIpAddress: '203.0.113.10' }, { billing: undefined }]) {
      expect((await rejection(env.service.pay({ ...request, ...other }))).code, JSON.stringify(other)).to.equal('idempotency_key_reused');
    }
    // No address, and an address with no field given, are one request (as `data: {}` and no data are).
    const bare = payInput();
    const none = await env.service.pay(bare);
    expect(await env.service.pay({ ...bare, billing: {}, shipping: { city: '' }, customerIpAddress: null })).to.deep.equal(none);
    // createPayment alike.
    const createKey = key();
    const created = await env.service.createPayment({ ...request, idempotencyKey: createKey });
    expect(created).to.deep.include(expected);
    expect(await env.service.createPayment({ ...spelt, idempotencyKey: createKey })).to.deep.equal(created);
    expect((await rejection(env.service.createPayment({ ...request, idempotencyKey: createKey, customerIpAddress: '::1' }))).code).to.equal('idempotency_key_reused');
  });
});
