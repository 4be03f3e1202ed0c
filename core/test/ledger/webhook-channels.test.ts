import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, PluginManager, silentLogger, type Payment } from '@payhost/core';
import { CHANNEL, DummyGatewayPlugin, GATEWAY, expectAmount, key, rejection } from './helpers.js';

/** The channel a processor account shared with CHANNEL also sends its events to. */
const OTHER = 'other-store';

function twoChannelManager(): PluginManager {
  const channel = (slug: string) => ({
    slug,
    currencies: ['USD'],
    plugins: { [GATEWAY]: { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } },
  });
  return new PluginManager({ plugins: [DummyGatewayPlugin], config: { channels: [channel(CHANNEL), channel(OTHER)] }, logger: silentLogger() });
}

/**
 * An event scoped to a channel (`event.channel`: the endpoint that verified it) only changes that
 * channel's payments: another configured channel's is `other_channel` (acknowledged, its own endpoint
 * applies it); a channel the manager does not configure at all is refused (unknown_channel), so a
 * mistyped slug is not acknowledged and the event lost.
 */
describe('ledger: webhook events and channels', () => {
  let manager: PluginManager;
  let service: PaymentService;
  let payment: Payment;

  beforeEach(async () => {
    manager = twoChannelManager();
    service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    payment = (await service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '10.00', currency: 'USD', token: 'tok_dummy_success' })).payment;
  });
  afterEach(() => manager.close());

  const refund = (eventId: string, transactionId: string) => ({ isSuccess: true, kind: 'refund' as const, amount: '2.00', transactionId, eventId });

  it("an event received on another channel's endpoint changes nothing, and the payment's own channel still applies it", async () => {
    const { eventId, ...response } = refund('evt-x', 'dash-refund-x');
    const byId = { gateway: GATEWAY, eventId, paymentId: payment.id, response };
    const byPsp = { gateway: GATEWAY, eventId, pspReference: payment.pspReference ?? '', response };
    for (const event of [byId, byPsp]) {
      const elsewhere = await service.applyGatewayEvent({ ...event, channel: OTHER });
      expect(elsewhere.status).to.equal('other_channel');
      expectAmount((await service.getPayment(payment.id)).capturedAmount, '10');
      expect(await service.listTransactions(payment.id)).to.have.length(1);
    }
    const own = await service.applyGatewayEvent({ ...byId, channel: payment.channel });
    expect(own.status).to.equal('applied');
    expectAmount(own.payment.capturedAmount, '8');
    // A global plugin's endpoint (no channel) reaches every channel's payments.
    const global = await service.applyGatewayEvent({ ...byId, eventId: 'evt-y', response: { ...response, transactionId: 'dash-refund-y' }, channel: null });
    expect(global.status).to.equal('applied');
    expectAmount(global.payment.capturedAmount, '6');
  });

  it('a channel that is not configured (a mistyped slug) is unknown_channel, records nothing, and the event can be applied again', async () => {
    const { eventId, ...response } = refund('evt-typo', 'dash-refund-typo');
    const event = { gateway: GATEWAY, eventId, paymentId: payment.id, response };
    const err = await rejection(service.applyGatewayEvent({ ...event, channel: 'wbe' }));
    expect([err.code, err.details]).to.deep.equal(['unknown_channel', { channel: 'wbe' }]);
    expect(await service.listTransactions(payment.id)).to.have.length(1);
    // The event id was not recorded: the processor's retry, to the right endpoint, applies it.
    const applied = await service.applyGatewayEvent({ ...event, channel: CHANNEL });
    expect(applied.status).to.equal('applied');
    expectAmount(applied.payment.capturedAmount, '8');
  });
});
