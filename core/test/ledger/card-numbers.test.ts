import { expect } from 'chai';
import { CARD_NUMBER_REASON, containsCardNumber, maskCardNumbers, redactRawResponse, type GatewayResponse, type PaymentData } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, key, payInput, rejection, setup, type Setup } from './helpers.js';

/** A card number with its digits in full-width form (U+FF10..U+FF19). */
const fullWidth = (digits: string) => digits.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));

/** Card numbers hidden in text, as a client could send them by mistake. */
const CARD_TEXTS = [
  'tok_dummy_success.visa.4242424242424242.12.2034',
  'x4242424242424242',
  fullWidth('4242424242424242'),
  'card 4242 4242 4242 4242 exp 12/30',
  'card 4242-4242-4242-4242 12 30',
  '\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662', // Arabic-Indic digits
  'amex 3782 822463 10005.',
  'ref:6011111111111117',
  'mc 5555 5555 5555 4444',
  'mc2 2223003122003222',
  'jcb 3530111333300000',
  'diners 3056 930902 5904',
  'unionpay 6200000000000005',
];

/**
 * Ids and numbers that are not card numbers, several with a 12-19 digit stretch that passes
 * the Luhn check (so it is the rule, not luck, that lets them through).
 */
const NOT_CARDS = [
  'tok_dummy_success.visa.4242.12.2034',
  'pm_1NqFjK2eZvKYlo2C0Jx4R2Qb',
  'pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_x',
  'pay_29QQoUBi66xm2f',
  'order_EKwxwAgItmmXdp',
  'FLW-MOCK-539111aa4a9ad9d14ae1d5cbe8ad2c6e',
  'MC-1585230950502', // Flutterwave-style reference: a millisecond timestamp (Luhn-valid; no card starts with 1 at 13 digits)
  '1717171717174', // the same, bare
  '1234567890123456785', // a 19-digit snowflake id (Luhn-valid)
  '123e4567-e89b-12d3-8456-412345678907', // a UUID whose last groups read 8456412345678907 (Luhn-valid)
  '9f3a5273184069253715c0de77ab', // a hex id holding a Luhn-valid 16-digit stretch
  'call +49 1512 3456787', // a phone number: 4915123456787 is Luhn-valid
  '2348031234561', // a Nigerian phone number as Flutterwave takes it (Luhn-valid; no card starts with 2 at 13 digits)
  '51.507351123456787', // a coordinate: 507351123456787 is Luhn-valid
  'ORD-4242424242424241', // a long order number failing Luhn
  'order 4000000000000001',
  'invoice 42424242424242424242', // 20 digits: not a card
  '2030-01-01T12:00:00.000Z',
  'order 2030-01-01 12:00, ref 12.50',
  // A Flutterwave tx_ref in an Inline token: "504525-31161" joined is Luhn-valid (1 such token in ~200 was refused).
  '{"tx_ref":"ph-7804ce504525-31161.15NGN-31278ada694133cf","transaction_id":4089776}',
  'ref 5045-25311611 5', // side-by-side numbers not grouped as a card is (fours, or 4-6-5): joined, 5045253116115 is Luhn-valid
  'nonce 7f3c504525123452c1', // a short hex id with letters: its Luhn-valid 504525123452 is chance
  // Merchants' numbers a Luhn check alone takes for cards one time in ten (each of these passes it):
  '5527259357397', // a 13-digit shop order number (no network issues 13 digits under 5)
  '4006381333932', // an EAN-13 barcode (Visa's 13-digit numbers are retired)
  '601234567894', // a 12-digit bank retrieval reference number (Maestro's 12-15 digits left out)
];

describe('ledger: card numbers are never stored', () => {
  let env: Setup;
  afterEach(async () => env?.close());

  it('finds a card number anywhere in a text (any Unicode digits, grouped), and not in ids, timestamps or failing order numbers', () => {
    for (const text of CARD_TEXTS) expect(containsCardNumber(text), text).to.equal(true);
    for (const text of NOT_CARDS) expect(containsCardNumber(text), text).to.equal(false);
    expect(maskCardNumbers('tok_dummy_success.visa.4242424242424242.12.2034')).to.equal('tok_dummy_success.visa.[redacted].12.2034');
    expect(maskCardNumbers(`paid with ${fullWidth('4242424242424242')}!`)).to.equal('paid with [redacted]!');
  });

  it('refuses a token holding a card number (invalid_input, reason card_number), without repeating it, and stores nothing', async () => {
    env = setup();
    for (const token of CARD_TEXTS) {
      const idempotencyKey = key();
      const err = await rejection(env.service.pay(payInput({ idempotencyKey, token })));
      expect(err.code, token).to.equal('invalid_input');
      expect(err.details, token).to.deep.equal({ field: 'token', reason: CARD_NUMBER_REASON });
      expect(err.message).to.match(/^token holds what looks like a card number: .*token/);
      expect(err.message).to.not.match(/\d{4}|[\uff10-\uff19]/);
      expect(await env.store.getIdempotencyRecord(idempotencyKey), token).to.equal(null);
    }
    expect((await rejection(env.create({ token: 'x4242424242424242' }))).details).to.include({ reason: CARD_NUMBER_REASON });
  });

  it('refuses metadata and data holding a card number, in any nested string, key or integer, naming where; takes ids and order numbers', async () => {
    env = setup();
    const refusals: Array<[Parameters<Setup['service']['pay']>[0], string]> = [
      [payInput({ metadata: { note: 'card 4242 4242 4242 4242 exp 12/30' } }), 'metadata.note'],
      [payInput({ metadata: { items: [{ sku: 'a' }, { sku: fullWidth('5555555555554444') }] } }), 'metadata.items[1].sku'],
      [payInput({ metadata: { pan: 4242424242424242 } }), 'metadata.pan'],
      [payInput({ metadata: { '4242424242424242': 'x' } }), 'metadata (a key)'],
      [payInput({ data: { nameOnCard: '4242424242424242' } }), 'data.nameOnCard'],
    ];
    for (const [input, field] of refusals) {
      const err = await rejection(env.service.pay(input));
      expect(err.code, field).to.equal('invalid_input');
      expect(err.details, field).to.deep.equal({ field, reason: CARD_NUMBER_REASON });
      expect(err.message).to.not.match(/4242|5555|[\uff10-\uff19]/);
      expect(await env.store.getIdempotencyRecord(input.idempotencyKey), field).to.equal(null);
    }
    expect((await rejection(env.create({ metadata: { note: 'x4242424242424242' } }))).details).to.deep.equal({ field: 'metadata.note', reason: CARD_NUMBER_REASON });
    // An operation's data too (confirm's 3-D Secure result, a process call's extras).
    const created = await env.create();
    const err = await rejection(env.service.process({ paymentId: created.id, idempotencyKey: key(), data: { note: 'tok.4242424242424242' } }));
    expect(err.details).to.deep.equal({ field: 'data.note', reason: CARD_NUMBER_REASON });
    expect(await env.service.listTransactions(created.id)).to.deep.equal([]);

    // Processor ids, timestamps and order numbers that are not card numbers are taken and stored as sent.
    const metadata = Object.fromEntries(NOT_CARDS.map((text, i) => [`ref${i}`, text]));
    const { payment } = await env.service.pay(payInput({ metadata: { ...metadata, orderNumber: 4242424242424241 }, data: { nameOnCard: 'Ada Lovelace', orderId: 'ORD-4242424242424241' } }));
    expect(payment.metadata).to.deep.equal({ ...metadata, orderNumber: 4242424242424241 });
    for (const token of ['tok_dummy_success', 'tok_dummy_success.visa.4242.12.2034']) {
      expect((await env.service.pay(payInput({ token }))).transaction.isSuccess).to.equal(true);
    }
  });

  it('refuses an operator note holding a card number (stored and logged with the resolution), and takes the last four', async () => {
    env = setup({ configuration: { auto_capture: false } });
    const lost = await rejection(env.service.pay(payInput({ token: DUMMY_TOKENS.outcomeUnknownNotCharged })));
    const { transactionId } = lost.details as { transactionId: string };
    const err = await rejection(env.service.resolveReview({ transactionId, outcome: 'failed', note: 'bank says card 4242 4242 4242 4242 was never charged (OPS-7)' }));
    expect([err.code, err.details]).to.deep.equal(['invalid_input', { field: 'note', reason: CARD_NUMBER_REASON }]);
    expect(err.message).to.not.include('4242 4242');
    expect((await env.service.listReview()).map((item) => item.transaction.id)).to.deep.equal([transactionId]);
    const { transaction } = await env.service.resolveReview({ transactionId, outcome: 'failed', note: 'bank says card ending 4242 was never charged (OPS-7)' });
    expect(transaction.state).to.equal('applied');
  });

  it("masks a card number inside a gateway's raw answer as the input check finds it (in a token, full-width, as a number)", async () => {
    expect(
      redactRawResponse({
        source: 'tok_dummy_success.visa.4242424242424242.12.2034',
        wide: `card ${fullWidth('4242424242424242')}`,
        bare: 'x4242424242424242',
        numeric: 4242424242424242,
        id: 'pm_1NqFjK2eZvKYlo2C0Jx4R2Qb',
        created: 1717171717174,
        ['card 4242424242424242']: true,
      }),
    ).to.deep.equal({ source: 'tok_dummy_success.visa.[redacted].12.2034', wide: 'card [redacted]', bare: 'x[redacted]', id: 'pm_1NqFjK2eZvKYlo2C0Jx4R2Qb', created: 1717171717174, 'card [redacted]': true });

    class EchoingDummy extends DummyGatewayPlugin {
      override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
        const response = await super.processPayment(p, v);
        return response && { ...response, rawResponse: { ...response.rawResponse, source: `src.${fullWidth('4242424242424242')}.12.2034` } };
      }
    }
    env = setup({ plugin: EchoingDummy });
    const { transaction } = await env.service.pay(payInput());
    expect(transaction.rawResponse).to.include({ source: 'src.[redacted].12.2034' });
  });
});
