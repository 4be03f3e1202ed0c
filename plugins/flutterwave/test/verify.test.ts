import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Decimal, PluginManager, containsCardNumber } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveGatewayPlugin, META_PAYMENT_ID, checkTxRef, issueTxRef } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, clientToken, expectFailure, expectSuccess, inlinePayment, makeManager, makePlugin, payment } from './helpers.js';

describe('flutterwave: Inline checkout and verification (real SDK against the fake)', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it('getClientToken gives Inline what it needs: public key, a fresh signed tx_ref, amount, currency', async () => {
    const plugin = makePlugin(fake, { payment_options: 'card, ussd' });
    const token = JSON.parse((await plugin.getClientToken({ amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: 'pay-host-1', customerEmail: 'ada@example.com' } }, null)) as string) as Record<string, unknown>;
    expect(token).to.deep.include({ public_key: fake.publicKey, amount: 1500.5, currency: 'NGN', payment_options: 'card, ussd', customer: { email: 'ada@example.com' } });
    expect(token['tx_ref']).to.match(/^ph-pay-host-1-[0-9a-f]{12}-1500\.50NGN-[0-9a-f]{16}$/);
    expect(String(token['tx_ref']).length).to.be.at.most(100);
    const checked = checkTxRef(fake.secretKey, CHANNEL, token['tx_ref'] as string, 'pay-host-1');
    expect(checked).to.deep.include({ issued: true, boundTo: 'pay-host-1' });
    expect(checked.issuedFor?.currency).to.equal('NGN');
    expect(checked.issuedFor?.amount.eq('1500.50')).to.equal(true);
    const again = await clientToken(plugin, '1500.50', 'NGN');
    expect(again.tx_ref).to.not.equal(token['tx_ref']);
    expect(JSON.stringify(token)).to.not.include(fake.secretKey);
    expect(fake.requests, 'no API call needed').to.deep.equal([]);
  });

  it('getPaymentConfig gives the public key (never a secret); the gateway is listed for its currencies', async () => {
    const plugin = makePlugin(fake);
    const config = await call(plugin.getPaymentConfig({ channel: CHANNEL }, []));
    expect(config).to.deep.include({ field: 'public_key', value: fake.publicKey });
    const txRef = config.find((f) => f.field === 'tx_ref')?.value ?? '';
    expect(checkTxRef(fake.secretKey, CHANNEL, txRef, 'any-payment')).to.deep.equal({ issued: true, boundTo: null });
    // The browser knows the payment (seed 000's payment context) and names it in Inline's meta.
    const paid = fake.pay({ tx_ref: txRef, amount: '1500.50', currency: 'NGN', meta: { [META_PAYMENT_ID]: 'pay-host-1' } });
    expectSuccess(await call(plugin.processPayment(payment({ token: String(paid.transaction_id) }), null)), 'capture', '1500.50');
    expect(JSON.stringify(config)).to.not.include(fake.secretKey);
    const manager = makeManager(fake);
    expect((await manager.listPaymentGateways({ channel: CHANNEL, currency: 'KES' })).map((g) => g.id)).to.deep.equal([GATEWAY]);
    // volatilePaymentConfig: the listing is not kept, each one has its own tx_ref.
    const listedRef = async () => (await manager.listPaymentGateways({ channel: CHANNEL, currency: 'KES' }))[0]?.config.find((f) => f.field === 'tx_ref')?.value;
    expect(await listedRef()).to.not.equal(await listedRef());
    await manager.close();
  });

  it('tx_refs are bound to the channel and the payment; unbound ones (issued before the payment existed) are bound to none', () => {
    const bound = issueTxRef('secret', 'lagos', 'pay-1');
    expect(checkTxRef('secret', 'lagos', bound, 'pay-1').issued).to.equal(true);
    expect(checkTxRef('secret', 'lagos', bound, 'pay-2')).to.deep.equal({ issued: false, boundTo: 'pay-1' });
    expect(checkTxRef('secret', 'nairobi', bound, 'pay-1').issued).to.equal(false);
    expect(checkTxRef('other-secret', 'lagos', bound, 'pay-1').issued).to.equal(false);
    expect(checkTxRef('secret', 'lagos', bound.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 'pay-1').issued).to.equal(false);
    const unbound = issueTxRef('secret', 'lagos', null);
    expect(checkTxRef('secret', 'lagos', unbound, 'anything')).to.deep.equal({ issued: true, boundTo: null });
    // A longer id than the `ph-` form takes is written in the compact form, never left out.
    const long = issueTxRef('secret', 'lagos', 'x'.repeat(77));
    expect(long).to.match(/^pr-x{77}-[A-Za-z0-9_-]{19}$/);
    expect(checkTxRef('secret', 'lagos', long)).to.deep.equal({ issued: true, boundTo: 'x'.repeat(77) });
    expect(() => issueTxRef('secret', 'lagos', 'x'.repeat(78))).to.throw(/at most 77 characters/);
    expect(checkTxRef('secret', 'lagos', 'LiveCardTest', 'pay-1').issued).to.equal(false);
  });

  it('a tx_ref issued with an amount signs it: another amount or currency in its text is not one the plugin issued', () => {
    const ref = issueTxRef('secret', 'lagos', 'pay-1', { amount: new Decimal('1500.5'), currency: 'NGN' });
    expect(ref).to.match(/^ph-pay-1-[0-9a-f]{12}-1500\.50NGN-[0-9a-f]{16}$/);
    const checked = checkTxRef('secret', 'lagos', ref);
    expect(checked).to.deep.include({ issued: true, boundTo: 'pay-1' });
    expect(checked.issuedFor?.amount.eq('1500.5')).to.equal(true);
    expect(checkTxRef('secret', 'lagos', ref.replace('1500.50NGN', '1.00NGN')).issued).to.equal(false);
    expect(checkTxRef('secret', 'lagos', ref.replace('1500.50NGN', '1500.50KES')).issued).to.equal(false);
    expect(checkTxRef('secret', 'lagos', ref.replace('-1500.50NGN', '')).issued).to.equal(false);
    expect(issueTxRef('secret', 'lagos', null, { amount: new Decimal('50000'), currency: 'UGX' })).to.match(/^ph-[0-9a-f]{12}-50000UGX-[0-9a-f]{16}$/);
    // No room for the amount in the `ph-` form next to a 60-character id: the compact form keeps it signed.
    const crowded = issueTxRef('secret', 'lagos', 'y'.repeat(60), { amount: new Decimal('123456789.99'), currency: 'NGN' });
    expect(crowded).to.match(/^pr-y{60}-123456789\.99NGN-[A-Za-z0-9_-]{19}$/);
    expect(checkTxRef('secret', 'lagos', crowded)).to.deep.include({ issued: true, boundTo: 'y'.repeat(60) });
    expect(checkTxRef('secret', 'lagos', crowded).issuedFor?.amount.eq('123456789.99')).to.equal(true);
  });

  it('every payment id a tx_ref is issued for can be read back from it alone (what a webhook has); ids no tx_ref can carry are refused', async () => {
    const ngn = { amount: new Decimal('1500.5'), currency: 'NGN' };
    for (const id of ['order.42', 'p'.repeat(61), 'p'.repeat(66), 'commande/é 7', 'a-5NGN', '_-'.repeat(30), 'q'.repeat(40) + '.']) {
      for (const issued of [ngn, null]) {
        const ref = issueTxRef('secret', 'lagos', id, issued);
        expect(ref.length, ref).to.be.at.most(100);
        expect(ref, ref).to.match(/^[A-Za-z0-9_.-]+$/);
        const checked = checkTxRef('secret', 'lagos', ref);
        expect(checked, ref).to.deep.include({ issued: true, boundTo: id });
        expect(checked.issuedFor?.amount.toFixed(2) ?? null, ref).to.equal(issued ? '1500.50' : null);
        expect(checkTxRef('secret', 'lagos', ref, 'other')).to.deep.equal({ issued: false, boundTo: id });
        expect(checkTxRef('secret', 'nairobi', ref, id).issued).to.equal(false);
        if (issued) expect(checkTxRef('secret', 'lagos', ref.replace('1500.50NGN', '1.00NGN')).issued, ref).to.equal(false);
      }
    }
    // The id is what the signature covers: another id spelt in its place is not one the plugin issued.
    const dotted = issueTxRef('secret', 'lagos', 'order.42', ngn);
    expect(checkTxRef('secret', 'lagos', dotted.replace(/^pb-[^-]+/, `pb-${Buffer.from('order.43').toString('base64url')}`)).issued).to.equal(false);
    // Refused, with the rule, rather than issued without the id: 67 safe characters or 50 bytes beside 1500.50NGN.
    const plugin = makePlugin(fake);
    for (const id of ['p'.repeat(67), 'é'.repeat(25)]) {
      const err = await plugin.getClientToken({ amount: new Decimal('1500.50'), currency: 'NGN', data: { paymentId: id } }, null).then(() => null, (e: unknown) => e);
      expect(err).to.deep.include({ code: 'invalid_input' });
      expect((err as Error).message).to.match(/Payment id too long for a Flutterwave tx_ref.*beside the amount 1500\.50NGN: at most 66 characters of letters, digits, "_" and "-", or 49 bytes \(UTF-8\) of any other id/);
    }
  });

  it('a compact tx_ref signs its own unambiguous input: a ref cannot be respelt into another id, form or amount', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    // A ph- ref for order42 / 50000 XAF: `order42|<nonce>|50000XAF` was also pb-'s input for id `order42|<nonce>`, nonce `50000XAF`.
    const ph = issueTxRef('secret', 'lagos', 'order42', { amount: new Decimal('50000'), currency: 'XAF' });
    const [, id, nonce, tag, sig] = /^ph-(.*)-([0-9a-f]{12})-(\d+[A-Z]{3})-([0-9a-f]{16})$/.exec(ph) ?? [];
    expect(tag).to.equal('50000XAF');
    const fromClassic = `pb-${b64(`${id}|${nonce}`)}-${tag}${Buffer.from(sig ?? '', 'hex').toString('base64url')}`;
    expect(checkTxRef('secret', 'lagos', fromClassic)).to.deep.equal({ issued: false, boundTo: null });
    expect(checkTxRef('secret', 'lagos', fromClassic, `${id}|${nonce}`).issued).to.equal(false);
    // A compact ref with its amount respelt as one without: id `order.42|<nonce>`, the tag as nonce.
    const compact = issueTxRef('secret', 'lagos', 'order.42', { amount: new Decimal('50000'), currency: 'XAF' });
    const [, cid, ctag, cnonce, csig] = /^pb-([A-Za-z0-9_-]+)-(\d+[A-Z]{3})-([A-Za-z0-9_-]{8})([A-Za-z0-9_-]{11})$/.exec(compact) ?? [];
    expect(checkTxRef('secret', 'lagos', compact)).to.deep.include({ issued: true, boundTo: 'order.42' });
    const untagged = `pb-${b64(`${Buffer.from(cid ?? '', 'base64url').toString()}|${cnonce}`)}-${ctag}${csig}`;
    expect(checkTxRef('secret', 'lagos', untagged)).to.deep.equal({ issued: false, boundTo: null });
    // The compact form's input is not the classic one: a compact signature made over the classic input is refused.
    const classicInput = createHmac('sha256', 'secret').update('payhost.flutterwave.tx_ref|lagos|order.42|abcdefgh|50000XAF').digest().subarray(0, 8).toString('base64url');
    expect(checkTxRef('secret', 'lagos', `pb-${b64('order.42')}-50000XAF-abcdefgh${classicInput}`).issued).to.equal(false);
  });

  it('a payment id that is not valid text (a lone UTF-16 surrogate) is refused saying so, not as too long', () => {
    for (const id of ['order\ud800', '\udc00', 'a\ud83d.b']) {
      for (const issued of [{ amount: new Decimal('1500.5'), currency: 'NGN' }, null]) {
        expect(() => issueTxRef('secret', 'lagos', id, issued), JSON.stringify(id))
          .to.throw(/Payment id is not valid text for a Flutterwave tx_ref: it holds a lone UTF-16 surrogate/)
          .with.property('code', 'invalid_input');
      }
    }
    expect(issueTxRef('secret', 'lagos', 'order\ud83d\ude00')).to.match(/^pb-/);
  });

  it('tx_refs issued before every payment id was written (id signed, left out of the text) still verify when the payment is named', () => {
    const legacy = (id: string, nonce: string, tag: string | null) =>
      `ph-${nonce}${tag ? `-${tag}` : ''}-${createHmac('sha256', 'secret').update(`payhost.flutterwave.tx_ref|lagos|${id}|${nonce}${tag ? `|${tag}` : ''}`).digest('hex').slice(0, 16)}`;
    for (const [id, tag] of [['order.42', '1500.50NGN'], ['x'.repeat(80), null]] as const) {
      const ref = legacy(id, 'abcdef012345', tag);
      expect(checkTxRef('secret', 'lagos', ref, id)).to.deep.include({ issued: true, boundTo: id });
      expect(checkTxRef('secret', 'lagos', ref, 'order.43').issued).to.equal(false);
      expect(checkTxRef('secret', 'lagos', ref).issued, 'nothing in the text names the payment').to.equal(false);
    }
  });

  it('a tx_ref never has a nonce or signature of digits only, which a ledger could take for a card number (1 in ~250 did)', () => {
    for (let i = 0; i < 5000; i++) {
      const issued = i % 2 === 0 ? { amount: new Decimal('1500.5'), currency: 'NGN' } : null;
      const ref = issueTxRef('secret', 'lagos', i % 3 === 0 ? '123456789012' : null, issued);
      const [, nonce, sig] = /-([0-9a-f]{12})(?:-[0-9.]+[A-Z]{3})?-([0-9a-f]{16})$/.exec(ref) ?? [];
      expect([nonce, sig], ref).to.satisfy(([n, s]: string[]) => /[a-f]/.test(n ?? '') && /[a-f]/.test(s ?? ''));
      expect(checkTxRef('secret', 'lagos', ref).issued, ref).to.equal(true);
      expect(containsCardNumber(JSON.stringify({ tx_ref: ref, transaction_id: 4000000 + i })), ref).to.equal(false);
    }
  });

  it('processPayment verifies the transaction by id and records a capture when status, amount, currency and tx_ref match', async () => {
    const plugin = makePlugin(fake);
    const { token, transaction } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    const response = await call(plugin.processPayment(payment({ token }), null));
    expectSuccess(response, 'capture', '1500.50');
    expect(response).to.deep.include({ transactionId: String(transaction.id), pspReference: String(transaction.id) });
    expect(response.cardInfo).to.deep.equal({ last4: '2950', brand: 'mastercard', expMonth: 9, expYear: 2032, nameOnCard: null });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([`GET /v3/transactions/${transaction.id}/verify`]);
    expect(fake.requests[0]?.headers['authorization']).to.equal('Bearer');
  });

  it('accepts the bare transaction id as token', async () => {
    const plugin = makePlugin(fake);
    const { transaction } = await inlinePayment(fake, plugin, '200', 'NGN');
    expectSuccess(await call(plugin.processPayment(payment({ token: String(transaction.id), amount: new Decimal('200') }), null)), 'capture', '200');
  });

  it('an unbound tx_ref pays no payment unless Inline\'s meta names it or the host pinned it: one transaction cannot pay two payments', async () => {
    const plugin = makePlugin(fake);
    const { transaction, clientToken: ct } = await inlinePayment(fake, plugin, '200', 'NGN', { paymentId: null });
    const token = String(transaction.id);
    for (const paymentId of ['pay-host-1', 'pay-host-2']) {
      const refused = await call(plugin.processPayment(payment({ token, paymentId, amount: new Decimal('200') }), null));
      expectFailure(refused, 'processing_error', new RegExp(`bound to no payment, and its meta does not name payment ${paymentId}`), 'unbound_reference');
    }
    // The host pinned the tx_ref it handed this checkout: bound to that payment only.
    expectSuccess(await call(plugin.processPayment(payment({ token, paymentId: 'pay-host-1', amount: new Decimal('200'), data: { txRef: ct.tx_ref } }), null)), 'capture', '200');
    const other = await inlinePayment(fake, plugin, '200', 'NGN', { paymentId: null });
    expectFailure(await call(plugin.processPayment(payment({ token, paymentId: 'pay-host-2', amount: new Decimal('200'), data: { txRef: other.clientToken.tx_ref } }), null)), 'processing_error', /not issued for this payment/, 'reference_mismatch');
    // Inline's meta names the payment: that payment only.
    const unbound = await clientToken(plugin, '300', 'NGN', null);
    const named = fake.pay({ tx_ref: unbound.tx_ref, amount: '300', currency: 'NGN', meta: { [META_PAYMENT_ID]: 'pay-host-3' } });
    const byMeta = (paymentId: string) => call(plugin.processPayment(payment({ token: String(named.transaction_id), paymentId, amount: new Decimal('300') }), null));
    expectSuccess(await byMeta('pay-host-3'), 'capture', '300');
    expectFailure(await byMeta('pay-host-4'), 'processing_error', /its meta does not name payment pay-host-4/, 'unbound_reference');
    // meta never rescues a tx_ref bound to another payment.
    const bound = await clientToken(plugin, '300', 'NGN', 'pay-host-5');
    const crossed = fake.pay({ tx_ref: bound.tx_ref, amount: '300', currency: 'NGN', meta: { [META_PAYMENT_ID]: 'pay-host-6' } });
    expectFailure(await call(plugin.processPayment(payment({ token: String(crossed.transaction_id), paymentId: 'pay-host-6', amount: new Decimal('300') }), null)), 'processing_error', /not issued for this payment/, 'reference_mismatch');
  });

  const mismatches: Array<[string, Record<string, string>, Partial<Parameters<typeof payment>[0]>, RegExp, string]> = [
    ['a smaller amount paid', { paid: '1500.49' }, {}, /is for 1500.49 NGN, the payment expects 1500.5 NGN/, 'amount_mismatch'],
    ['a larger amount paid', { paid: '1600' }, {}, /is for 1600 NGN/, 'amount_mismatch'],
    ['another currency', { paidCurrency: 'KES' }, {}, /is in KES, the payment is in NGN/, 'currency_mismatch'],
    ['a tx_ref issued for another payment', {}, { paymentId: 'pay-host-2' }, /was not issued for this payment/, 'reference_mismatch'],
    ['a tx_ref other than the one the host pinned', {}, { data: { txRef: 'ph-pinned-000000000000-0000000000000000' } }, /was not issued for this payment/, 'reference_mismatch'],
  ];
  for (const [what, paid, overrides, message, reason] of mismatches) {
    it(`refuses ${what}: a typed failure, nothing recorded as paid`, async () => {
      const plugin = makePlugin(fake);
      const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN', paid);
      const response = await call(plugin.processPayment(payment({ token, ...overrides }), null));
      expectFailure(response, 'processing_error', message, reason);
      expect(response.kind).to.equal('capture');
    });
  }

  it('checks amount, not charged_amount: fees passed to the customer are not a mismatch, and do not make up a short amount', async () => {
    const plugin = makePlugin(fake);
    const withFees = async (amount: string, chargedAmount: string) => {
      const ct = await clientToken(plugin, '1500.50', 'NGN');
      const paid = fake.pay({ tx_ref: ct.tx_ref, amount, chargedAmount, currency: 'NGN' });
      return call(plugin.processPayment(payment({ token: String(paid.transaction_id) }), null));
    };
    const response = await withFees('1500.50', '1521.51');
    expectSuccess(response, 'capture', '1500.50');
    expect(response.rawResponse).to.deep.include({ amount: 1500.5, charged_amount: 1521.51 });
    expectFailure(await withFees('1479.79', '1500.50'), 'processing_error', /is for 1479.79 NGN \(charged 1500.5 NGN with fees\), the payment expects 1500.5 NGN/, 'amount_mismatch');
  });

  it('refuses a tx_ref the plugin did not issue, or issued for another channel, and a token whose claimed tx_ref differs', async () => {
    const plugin = makePlugin(fake);
    const foreign = fake.pay({ tx_ref: 'LiveCardTest', amount: '1500.50', currency: 'NGN' });
    expectFailure(await call(plugin.processPayment(payment({ token: String(foreign.transaction_id) }), null)), 'processing_error', /"LiveCardTest", which was not issued/, 'reference_mismatch');
    const otherChannel = makePlugin(fake, {}, 'nairobi');
    const { transaction } = await inlinePayment(fake, otherChannel, '1500.50', 'NGN');
    expectFailure(await call(plugin.processPayment(payment({ token: String(transaction.id) }), null)), 'processing_error', /not issued/, 'reference_mismatch');
    const { transaction: mine, clientToken: ct } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    const lying = JSON.stringify({ transaction_id: mine.id, tx_ref: `${ct.tx_ref}x` });
    expectFailure(await call(plugin.processPayment(payment({ token: lying }), null)), 'processing_error', /The checkout claimed tx_ref/, 'reference_mismatch');
  });

  it('a failed charge is a decline with the processor message; a pending one is recorded as pending, not paid', async () => {
    const plugin = makePlugin(fake);
    const failed = await inlinePayment(fake, plugin, '1500.50', 'NGN', { status: 'failed', processorResponse: 'Insufficient funds' });
    expectFailure(await call(plugin.processPayment(payment({ token: failed.token }), null)), 'declined', /^Insufficient funds$/);
    const pending = await inlinePayment(fake, plugin, '1500.50', 'NGN', { status: 'pending' });
    const response = await call(plugin.processPayment(payment({ token: pending.token }), null));
    expect(response).to.deep.include({ isSuccess: true, kind: 'pending' });
  });

  it('refuses malformed tokens before any API call', async () => {
    const plugin = makePlugin(fake);
    for (const token of [null, '', 'abc', '{"tx_ref":"x"}', '{"transaction_id":"12/../3"}', '-5']) {
      expectFailure(await call(plugin.processPayment(payment({ token }), null)), 'processing_error', /transaction/, 'invalid_token');
    }
    expect(fake.requests).to.deep.equal([]);
  });

  it('capture, authorize and void are not supported (Inline captures at once): operation_not_supported from the manager', async () => {
    const manager = makeManager(fake);
    for (const op of ['capturePayment', 'authorizePayment', 'voidPayment'] as const) {
      await manager[op]({ channel: CHANNEL, gateway: GATEWAY, payment: payment({ token: '4000001' }) }).then(
        () => expect.fail(`${op} should not be supported`),
        (err: Error & { code?: string }) => {
          expect(err.code).to.equal('operation_not_supported');
          expect(err.message).to.include(op);
        },
      );
    }
    expect(fake.requests).to.deep.equal([]);
    await manager.close();
  });

  it('hosts load it by package name (default export)', async () => {
    const manager = await PluginManager.create({
      plugins: ['@payhost/plugin-flutterwave'],
      config: { channels: [{ slug: CHANNEL, currencies: ['NGN'] }] },
      pluginBaseDir: fileURLToPath(new URL('../../..', import.meta.url)),
    });
    expect(manager.getPluginConfiguration(GATEWAY, CHANNEL).name).to.equal('Flutterwave');
    await manager.close();
  });

  it('an active plugin without keys, or with a non-https base URL, is rejected when the configuration loads', () => {
    const load = (configuration: Record<string, unknown>) => () =>
      new FlutterwaveGatewayPlugin({ channel: CHANNEL, active: true, configuration: { ...FlutterwaveGatewayPlugin.defaultConfiguration, ...configuration } as never, logger: undefined as never });
    expect(load({})).to.throw(/public_key is required; secret_key is required/);
    expect(load({ public_key: 'FLWPUBK-x', secret_key: 's', api_base_url: 'http://api.example.com/' })).to.throw(/must use https/);
    expect(() => makeManager(fake, { secret_key: '' })).to.throw(/secret_key is required/);
  });
});
