import { expect } from 'chai';
import { BasePlugin, Decimal, PluginManager, gatewayConfigFromValues, type CustomerSource, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';
import { LEAK_KEY, ScriptedGateway, scriptedManager, success } from './support/scripted-gateway.js';

// A short secret (a 6-digit PIN) may occur inside a processor's id. The id is kept, and so is its
// quote where the customer's next step uses it (a 3DS redirect URL), and a payment source's id (the
// token a next payment sends); the secret anywhere else is still scrubbed.

const PIN = '123456';
const ID = '7123456789';

class PinGateway extends BasePlugin {
  static override id = 'acme.pin';
  static override defaultActive = true;
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    auto_capture: { type: 'Boolean' as const, label: 'Auto capture' },
    terminal_pin: { type: 'Password' as const, label: 'PIN' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', auto_capture: false, terminal_pin: PIN };
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(p: PaymentData): Promise<GatewayResponse> {
    return {
      isSuccess: true,
      actionRequired: true,
      kind: 'action_to_confirm',
      amount: new Decimal(p.amount),
      currency: p.currency,
      transactionId: ID,
      pspReference: ID,
      // The PIN inside the id's quotes, and on its own (once glued to the id's end: not inside it).
      error: `3DS for ${ID}; terminal pin ${PIN}`,
      actionRequiredData: { redirect_url: `https://acs.example/3ds?tx=${ID}&pin=${PIN}`, transaction_id: ID, tail: `${ID}${PIN}` },
      rawResponse: { id: ID, nested: [{ ref: `ref-${ID}` }], [`k_${ID}`]: true, [`pin_${PIN}`]: true },
    };
  }
  async listPaymentSources(): Promise<CustomerSource[]> {
    return [
      { id: `card_${ID}`, gateway: 'acme.pin', creditCardInfo: { last4: '4242', brand: 'visa', expMonth: 1, expYear: 2030, nameOnCard: `pin ${PIN}` } },
      { id: 'card_2', gateway: 'acme.pin', creditCardInfo: null },
    ];
  }
}

function pinManager(log = captureLogger()): PluginManager {
  return new PluginManager({ logger: log.logger, plugins: [PinGateway], config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: {} }] } });
}

describe("manager: a secret inside a kept id is kept where the answer quotes that id", () => {
  afterEach(() => ScriptedGateway.reset());

  it('processPayment: the action data and free text keep the id whole, the PIN elsewhere is [redacted]', async () => {
    const manager = pinManager();
    const response = await manager.processPayment({ channel: 'us', gateway: 'acme.pin', payment: payment() });
    expect(response).to.include({ transactionId: ID, pspReference: ID, error: `3DS for ${ID}; terminal pin [redacted]` });
    expect(response.actionRequiredData).to.deep.equal({ redirect_url: `https://acs.example/3ds?tx=${ID}&pin=[redacted]`, transaction_id: ID, tail: `${ID}[redacted]` });
    expect(response.rawResponse).to.deep.equal({ id: ID, nested: [{ ref: `ref-${ID}` }], [`k_${ID}`]: true, 'pin_[redacted]': true });
    await manager.close();
  });

  it("listPaymentSources: a source's id and gateway kept (warned, without the value), its card's text scrubbed", async () => {
    const log = captureLogger();
    const manager = pinManager(log);
    const sources = await manager.listPaymentSources({ channel: 'us', customerId: 'c1', gateway: 'acme.pin' });
    expect(sources.map((s) => s.id)).to.deep.equal([`card_${ID}`, 'card_2']);
    expect(sources[0]?.gateway).to.equal('acme.pin');
    expect(sources[0]?.creditCardInfo?.nameOnCard).to.equal('pin [redacted]');
    const warned = log.lines.filter((l) => l['code'] === 'secret_in_identifier');
    expect(warned.map((l) => l['field'])).to.deep.equal(['[0].id']);
    expect(warned[0]).to.include({ level: 40, plugin: 'acme.pin', channel: 'us', hook: 'listPaymentSources' });
    expect(log.text()).to.not.include(PIN);
    await manager.close();
  });

  it('an id that is the secret itself protects nothing: its quotes in free text are [redacted]', async () => {
    const manager = scriptedManager(captureLogger().logger);
    ScriptedGateway.answer = (p, key) => ({ ...success(p, key), error: `bad key ${key}`, rawResponse: { id: key } });
    const response = await manager.processPayment({ channel: 'web', gateway: ScriptedGateway.id, payment: payment() });
    expect(response.transactionId).to.equal(LEAK_KEY);
    expect(response.error).to.equal('bad key [redacted]');
    expect(response.rawResponse).to.deep.equal({ id: '[redacted]' });
    await manager.close();
  });

  it("webhook: an event response's free text keeps its own kept id whole", async () => {
    const manager = scriptedManager(captureLogger().logger);
    ScriptedGateway.webhookAnswer = (key) => ({
      status: 200,
      body: `ok ${key}`,
      events: [{ eventId: 'evt_1', type: 'charge.refunded', paymentId: 'p1', pspReference: 'pi_1', response: { ...success(payment(), `re_${key}`), kind: 'refund', error: `refund re_${key} for ${key}` } }],
    });
    const answer = await manager.webhook({ channel: 'web', plugin: ScriptedGateway.id, path: '/webhook', method: 'POST', headers: {}, rawBody: Buffer.from('{}') });
    expect(answer?.body).to.equal('ok [redacted]');
    expect(answer?.events?.[0]?.response?.error).to.equal(`refund re_${LEAK_KEY} for [redacted]`);
    await manager.close();
  });
});
