import { expect } from 'chai';
import { Decimal, redactRawResponse, type GatewayResponse, type PaymentData } from '@payhost/core';
import { DummyGatewayPlugin, key, setup, type Setup } from './helpers.js';

describe('ledger: raw responses are redacted before they are stored', () => {
  let env: Setup;
  afterEach(async () => env?.close());

  it('drops secrets, client secrets, tokens and card data, keeps the rest JSON-safe', () => {
    const raw = {
      id: 'pi_123',
      client_secret: 'pi_123_secret_abc',
      clientSecret: 'x',
      apiKey: 'k',
      'secret-key': 's',
      password: 'p',
      access_token: 't',
      Authorization: 'Bearer x',
      amount: new Decimal('10.50'),
      created: new Date('2030-01-01T00:00:00Z'),
      card: { last4: '4242', number: '4242424242424242', cvc: '123', brand: 'visa', exp_month: 12 },
      note: 'card 4000 0000 0000 0002, order 12345',
      pan_like: '4000-0000-0000-0002',
      publishable: 'pk_test_abc',
      leaked: 'sk_live_abcdef',
      nested: [{ cvv: '999', ok: true }, 'pi_9_secret_z', 5],
      fn: () => 1,
    };
    expect(redactRawResponse(raw)).to.deep.equal({
      id: 'pi_123',
      amount: '10.5',
      created: '2030-01-01T00:00:00.000Z',
      card: { last4: '4242', brand: 'visa', exp_month: 12 },
      note: 'card [redacted], order 12345',
      publishable: 'pk_test_abc',
      nested: [{ ok: true }, 5],
    });
    expect(redactRawResponse(null)).to.equal(null);
    expect(redactRawResponse('text')).to.equal(null);
  });

  it('drops Stripe secrets by their value whatever the key: client secrets, secret and restricted keys, webhook secrets', () => {
    // Innocent key names: only the value's shape says it is a secret.
    const secrets = {
      a: 'pi_3Nx_secret_Qz',
      b: 'sk_live_51Habc',
      c: 'sk_test_51Habc',
      d: 'rk_live_51Habc',
      e: 'rk_test_51Habc',
      f: 'whsec_5f0b1c2d',
    };
    const kept = { publishable: 'pk_live_51Habc', id: 'whsec', note: 'see sk_live_ docs', ref: 'rk_prod_1' };
    expect(redactRawResponse({ ...secrets, ...kept, list: Object.values(secrets) })).to.deep.equal({ ...kept, list: [] });
  });

  it('recognizes card numbers written with dots, double spaces or line breaks, in values and inside texts', () => {
    expect(
      redactRawResponse({
        dotted: '4242.4242.4242.4242',
        spaced: '4000  0000  0000  0002',
        note: 'card 4242.4242.4242.4242 refused; retry with 4000\n0000\n0000\n0002',
        order: 'order 2030-01-01 12:00, ref 12.50',
      }),
    ).to.deep.equal({ note: 'card [redacted] refused; retry with [redacted]', order: 'order 2030-01-01 12:00, ref 12.50' });
  });

  it('stores the redacted form of what the gateway returned', async () => {
    class LeakyDummy extends DummyGatewayPlugin {
      override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
        const response = await super.processPayment(p, v);
        return response && { ...response, rawResponse: { ...response.rawResponse, client_secret: 'pi_1_secret_2', card_number: '4242424242424242' } };
      }
    }
    env = setup({ plugin: LeakyDummy });
    const payment = await env.create();
    const { transaction } = await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    expect(transaction.rawResponse).to.include({ object: 'dummy_charge' });
    const stored = JSON.stringify(await env.service.listTransactions(payment.id));
    expect(stored).to.not.match(/secret|4242424242424242/);
  });
});
