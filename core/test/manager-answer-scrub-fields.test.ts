import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService } from '@payhost/core';
import { payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';
import { LEAK_KEY, ScriptedGateway, scriptedManager, success } from './support/scripted-gateway.js';

// Only a GatewayResponse's ids are kept unscrubbed: its kind, amount, currency and errorCode are
// quoted into log lines and error messages when wrong, so a secret in one must not survive.

const GATEWAY = ScriptedGateway.id;

describe("manager: a plugin's answer keeps only its ids unscrubbed", () => {
  afterEach(() => ScriptedGateway.reset());

  const FIELDS: Array<[string, (key: string) => Record<string, unknown>]> = [
    ['amount', (key) => ({ amount: `bad ${key}` })],
    ['kind', (key) => ({ kind: `k_${key}` })],
    ['currency', (key) => ({ currency: key })],
    ['errorCode', (key) => ({ isSuccess: false, errorCode: `e_${key}`, error: 'declined' })],
  ];
  for (const [field, change] of FIELDS) {
    it(`${field} holding the key: no log line, answer or ledger record carries it`, async () => {
      const log = captureLogger();
      const manager = scriptedManager(log.logger);
      const store = new MemoryLedgerStore();
      const service = new PaymentService({ manager, store, logger: log.logger });
      ScriptedGateway.answer = (p, key) => ({ ...success(p, 'ch_1'), ...change(key) });
      let out: unknown;
      let paymentId: unknown;
      try {
        const paid = await service.pay({ idempotencyKey: 'k1', channel: 'web', total: '10.00', currency: 'USD', token: 'tok', customerEmail: 'a@b.c' });
        [out, paymentId] = [paid, paid.payment.id];
      } catch (err) {
        const details = (err as { details?: Record<string, unknown> }).details;
        [out, paymentId] = [{ message: (err as Error).message, details }, details?.['paymentId']];
      }
      expect(paymentId).to.be.a('string');
      const records = await store.listTransactions(String(paymentId));
      expect(records.length).to.be.greaterThan(0);
      expect(JSON.stringify(out)).to.not.include(LEAK_KEY);
      expect(JSON.stringify(records)).to.not.include(LEAK_KEY);
      // The answer did reach a log line (an error about the field, or the payment's own lines).
      expect(log.lines.length).to.be.greaterThan(0);
      expect(log.text()).to.not.include(LEAK_KEY);
      await manager.close();
    });
  }

  it("processPayment: kind, currency and errorCode holding the key come out [redacted] (ids kept)", async () => {
    const manager = scriptedManager(captureLogger().logger);
    ScriptedGateway.answer = (p, key) => ({ ...success(p, `ch_${key}`), kind: `k_${key}`, currency: key, errorCode: `e_${key}` });
    const response = await manager.processPayment({ channel: 'web', gateway: GATEWAY, payment: payment() });
    expect(response).to.include({ transactionId: `ch_${LEAK_KEY}`, kind: 'k_[redacted]', currency: '[redacted]', errorCode: 'e_[redacted]' });
    await manager.close();
  });

  it('an id that is not text (an object holding the key) is scrubbed like free text, not kept', async () => {
    const manager = scriptedManager(captureLogger().logger);
    ScriptedGateway.answer = (p, key) => ({ ...success(p, 'ch_1'), customerId: { k: key } });
    const response = await manager.processPayment({ channel: 'web', gateway: GATEWAY, payment: payment() });
    expect(JSON.stringify(response)).to.not.include(LEAK_KEY);
    await manager.close();
  });

  it("webhook: an event response's currency and amount, the event's type holding the key come out [redacted]", async () => {
    const log = captureLogger();
    const manager = scriptedManager(log.logger);
    ScriptedGateway.webhookAnswer = (key) => ({
      status: 200,
      body: 'ok',
      events: [
        { eventId: 'evt_1', type: `charge.${key}`, paymentId: 'p1', pspReference: 'pi_1', response: { ...success(payment(), 're_1'), kind: 'refund', currency: key } },
        { eventId: 'evt_2', type: 'charge.refunded', paymentId: 'p1', pspReference: 'pi_1', response: { ...success(payment(), 're_2'), kind: 'refund', amount: `x${key}` } },
      ],
    });
    const answer = await manager.webhook({ channel: 'web', plugin: GATEWAY, path: '/webhook', method: 'POST', headers: {}, rawBody: Buffer.from('{}') });
    const [first, second] = answer?.events ?? [];
    expect(first?.type).to.equal('charge.[redacted]');
    expect(first?.response?.currency).to.equal('[redacted]');
    expect(second?.response?.amount).to.equal('x[redacted]');
    expect(JSON.stringify(answer)).to.not.include(LEAK_KEY);
    // What is no text stays as it was.
    expect(Decimal.isDecimal(first?.response?.amount)).to.equal(true);
    expect(answer?.status).to.equal(200);
    expect(log.text()).to.not.include(LEAK_KEY);
    await manager.close();
  });
});
