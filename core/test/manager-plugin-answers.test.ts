import { expect } from 'chai';
import { BasePlugin, Decimal, MemoryLedgerStore, PaymentService, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';
import { LEAK_KEY, ScriptedGateway, scriptedManager, success } from './support/scripted-gateway.js';

const CHANNEL = 'web';
const GATEWAY = ScriptedGateway.id;

function statusInput(): TransactionStatusInput {
  const p = payment();
  return {
    transaction: { id: 't1', paymentId: p.paymentId, kind: 'capture', amount: p.amount, currency: 'USD', gatewayIdempotencyKey: 'k1', gatewayTransactionId: null, pspReference: null, createdAt: new Date() },
    payment: p,
  };
}

/** What an SDK's error hands a plugin: the key quoted in text, at every depth a raw response has. */
function leakyDecline(key: string): Record<string, unknown> {
  return {
    isSuccess: false,
    actionRequired: false,
    kind: 'capture',
    amount: new Decimal('10.00'),
    currency: 'USD',
    transactionId: '',
    error: `processor error for key ${key}`,
    errorCode: 'processing_error',
    rawResponse: { message: `Invalid API key provided: ${key}`, errors: [{ detail: `key ${key} revoked` }], [`seen-${key}`]: true, amount: new Decimal('10.00') },
    actionRequiredData: { hint: `retry with ${key}` },
  };
}

describe('manager: what a gateway plugin answers', () => {
  afterEach(() => ScriptedGateway.reset());

  describe("the plugin's secrets are scrubbed out of its answers", () => {
    it('a decline quoting its Secret key: error, raw response (text, keys, arrays) and action data carry [redacted] instead', async () => {
      const manager = scriptedManager(captureLogger().logger);
      ScriptedGateway.answer = (_p, key) => leakyDecline(key);
      const response = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      const text = JSON.stringify(response);
      expect(text).to.not.include(LEAK_KEY);
      expect(response.error).to.equal('processor error for key [redacted]');
      expect(response.rawResponse).to.deep.include({ message: 'Invalid API key provided: [redacted]', errors: [{ detail: 'key [redacted] revoked' }], 'seen-[redacted]': true });
      // What is not text stays as the plugin made it.
      expect(Decimal.isDecimal(response.rawResponse?.['amount'])).to.equal(true);
      expect(response.actionRequiredData).to.deep.equal({ hint: 'retry with [redacted]' });
      await manager.close();
    });

    it('an answer holding no secret is handed over as it is, not copied', async () => {
      const manager = scriptedManager(captureLogger().logger);
      const answer = { ...success(payment(), 'ch_1'), rawResponse: { id: 'ch_1', nested: { note: 'fine' } } };
      ScriptedGateway.answer = () => answer;
      const response = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      expect(response).to.equal(answer);
      await manager.close();
    });

    it('a cyclic raw response is scrubbed all the way round (the copy points at itself, not at the original)', async () => {
      const manager = scriptedManager(captureLogger().logger);
      ScriptedGateway.answer = (_p, key) => {
        const raw: Record<string, unknown> = { message: `bad key ${key}` };
        raw['self'] = raw;
        return { ...leakyDecline(key), rawResponse: raw };
      };
      const response = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      const raw = response.rawResponse as Record<string, unknown>;
      expect(raw['message']).to.equal('bad key [redacted]');
      expect(raw['self']).to.equal(raw);
      await manager.close();
    });

    it('getTransactionStatus: its answer is scrubbed as well', async () => {
      const manager = scriptedManager(captureLogger().logger);
      ScriptedGateway.status = (_i, key) => leakyDecline(key);
      const status = await manager.getTransactionStatus({ channel: CHANNEL, gateway: GATEWAY, ...statusInput() });
      expect(status?.error).to.equal('processor error for key [redacted]');
      expect(JSON.stringify(status)).to.not.include(LEAK_KEY);
      await manager.close();
    });

    it("webhook: the body sent back to the caller (text, JSON or a Buffer), the headers and the events' responses", async () => {
      const manager = scriptedManager(captureLogger().logger);
      const request = { channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', headers: {}, rawBody: Buffer.from('{}') };
      ScriptedGateway.webhookAnswer = (key) => ({
        status: 400,
        headers: { 'x-debug': `signed with ${key}` },
        body: { code: 'invalid_signature', message: `expected HMAC with ${key}` },
        events: [{ eventId: 'e1', type: 'charge.failed', paymentId: 'p1', response: leakyDecline(key) }],
      });
      const json = await manager.webhook(request);
      expect(JSON.stringify(json)).to.not.include(LEAK_KEY);
      expect(json?.body).to.deep.equal({ code: 'invalid_signature', message: 'expected HMAC with [redacted]' });
      expect(json?.headers).to.deep.equal({ 'x-debug': 'signed with [redacted]' });
      expect(json?.events?.[0]?.response.error).to.equal('processor error for key [redacted]');

      ScriptedGateway.webhookAnswer = (key) => ({ status: 400, body: Buffer.from(`bad signature; key ${key}; again ${key}.`) });
      const buffer = await manager.webhook(request);
      expect(Buffer.isBuffer(buffer?.body)).to.equal(true);
      expect(String(buffer?.body)).to.equal('bad signature; key [redacted]; again [redacted].');
      await manager.close();
    });
  });

  describe("an id holding a secret value is kept (a capture sends it back), only free text is scrubbed", () => {
    it('processPayment: transactionId, pspReference and customerId kept, error and raw response scrubbed, one warning per field without the value', async () => {
      const log = captureLogger();
      const manager = scriptedManager(log.logger);
      ScriptedGateway.answer = (p, key) => ({ ...success(p, `ch_${key}_1`), pspReference: `pi_${key}`, customerId: `cus_${key}`, error: `note ${key}`, rawResponse: { id: `ch_${key}_1`, message: `key ${key}` } });
      const response = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      expect(response).to.include({ transactionId: `ch_${LEAK_KEY}_1`, pspReference: `pi_${LEAK_KEY}`, customerId: `cus_${LEAK_KEY}`, error: 'note [redacted]' });
      // The raw response's quote of the kept transactionId is kept with it; the key elsewhere is not.
      expect(response.rawResponse).to.deep.equal({ id: `ch_${LEAK_KEY}_1`, message: 'key [redacted]' });
      const warned = log.lines.filter((l) => l['code'] === 'secret_in_identifier');
      expect(warned.map((l) => l['field'])).to.deep.equal(['transactionId', 'pspReference', 'customerId']);
      expect(warned[0]).to.include({ level: 40, plugin: GATEWAY, channel: CHANNEL, hook: 'processPayment' });
      expect(log.text()).to.not.include(LEAK_KEY);
      await manager.close();
    });

    it("webhook: an event's eventId, paymentId, pspReference, gatewayIdempotencyKey and its response's ids kept, its free text scrubbed", async () => {
      const log = captureLogger();
      const manager = scriptedManager(log.logger);
      const request = { channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', headers: {}, rawBody: Buffer.from('{}') };
      ScriptedGateway.webhookAnswer = (key) => ({
        status: 200,
        body: `ok ${key}`,
        events: [{ eventId: `evt_${key}`, type: 'charge.succeeded', paymentId: `p_${key}`, pspReference: `pi_${key}`, gatewayIdempotencyKey: `k_${key}`, response: { ...success(payment(), `ch_${key}`), error: `x ${key}` } }],
      });
      const answer = await manager.webhook(request);
      expect(answer?.body).to.equal('ok [redacted]');
      const event = answer?.events?.[0];
      expect(event).to.include({ eventId: `evt_${LEAK_KEY}`, paymentId: `p_${LEAK_KEY}`, pspReference: `pi_${LEAK_KEY}`, gatewayIdempotencyKey: `k_${LEAK_KEY}` });
      expect(event?.response).to.include({ transactionId: `ch_${LEAK_KEY}`, error: 'x [redacted]' });
      expect(log.lines.filter((l) => l['code'] === 'secret_in_identifier').map((l) => l['field'])).to.deep.equal([
        'events[0].eventId',
        'events[0].paymentId',
        'events[0].pspReference',
        'events[0].gatewayIdempotencyKey',
        'events[0].response.transactionId',
      ]);
      expect(log.text()).to.not.include(LEAK_KEY);
      await manager.close();
    });

    it("authorize then capture through PaymentService: a 6-digit PIN inside the processor's id, the capture is sent the id itself", async () => {
      const sent: string[] = [];
      class PinGateway extends BasePlugin {
        static override id = 'acme.pin';
        static override defaultActive = true;
        static override configStructure = {
          supported_currencies: { type: 'String' as const, label: 'Currencies' },
          auto_capture: { type: 'Boolean' as const, label: 'Auto capture' },
          terminal_pin: { type: 'Password' as const, label: 'PIN' },
        };
        static override defaultConfiguration = { supported_currencies: 'USD', auto_capture: false, terminal_pin: '123456' };
        override gatewayConfig(): GatewayConfig {
          return gatewayConfigFromValues(this.id, this.configuration);
        }
        async authorizePayment(p: PaymentData): Promise<GatewayResponse> {
          return { isSuccess: true, actionRequired: false, kind: 'auth', amount: new Decimal(p.amount), currency: p.currency, transactionId: '7123456789', pspReference: '7123456789', error: null };
        }
        async processPayment(p: PaymentData): Promise<GatewayResponse> {
          return this.authorizePayment(p);
        }
        async capturePayment(p: PaymentData): Promise<GatewayResponse> {
          sent.push(String(p.token));
          const known = p.token === '7123456789';
          return { isSuccess: known, actionRequired: false, kind: 'capture', amount: new Decimal(p.amount), currency: p.currency, transactionId: 'c1', error: known ? null : 'no such authorization', errorCode: known ? null : 'processing_error' };
        }
      }
      const manager = new PluginManager({ logger: captureLogger().logger, plugins: [PinGateway], config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: {} }] } });
      const service = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: manager.logger });
      const paid = await service.pay({ idempotencyKey: 'k1', channel: 'us', total: '10.00', currency: 'USD', token: 'tok', customerEmail: 'a@b.c' });
      expect(paid.payment.pspReference).to.equal('7123456789');
      const captured = await service.capture({ paymentId: paid.payment.id, idempotencyKey: 'k2' });
      expect(sent).to.deep.equal(['7123456789']);
      expect(captured.payment.chargeStatus).to.equal('fully-charged');
      await manager.close();
    });
  });

  describe('an answer that is not a GatewayResponse is a plugin bug of unknown outcome', () => {
    const INVALID: Array<[string, (key: string) => unknown, string]> = [
      ['a string', () => 'ok', 'the string "ok", not a GatewayResponse object'],
      ['a number', () => 42, 'the number 42, not a GatewayResponse object'],
      ['false', () => false, 'the boolean false, not a GatewayResponse object'],
      ['an array', () => [], 'an array, not a GatewayResponse object'],
      ['isSuccess "true"', () => ({ ...success(payment(), 'ch_1'), isSuccess: 'true' }), 'isSuccess the string "true", not a boolean'],
      ['no isSuccess', () => ({ ...success(payment(), 'ch_1'), isSuccess: undefined }), 'isSuccess nothing, not a boolean'],
      ['isSuccess 1', () => ({ ...success(payment(), 'ch_1'), isSuccess: 1 }), 'isSuccess the number 1, not a boolean'],
      // The description of the answer is scrubbed like the answer itself.
      ['a string quoting the key', (key) => `failed: ${key}`, 'the string "failed: [redacted]", not a GatewayResponse object'],
    ];
    for (const [label, answer, problem] of INVALID) {
      it(`${label}: a failed processing_error marked outcome_unknown, logged at error naming the plugin`, async () => {
        const log = captureLogger();
        const manager = scriptedManager(log.logger);
        ScriptedGateway.answer = (_p, key) => answer(key);
        const response = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
        expect(response).to.include({ isSuccess: false, errorCode: 'processing_error', kind: 'capture', currency: 'USD' });
        expect(response.amount.eq('10.00')).to.equal(true);
        expect(response.rawResponse).to.deep.equal({
          pluginFailure: { code: 'plugin_failed', reason: 'invalid_answer', plugin: GATEWAY, hook: 'processPayment', problem },
          outcome_unknown: true,
        });
        const line = log.lines.find((l) => l['reason'] === 'invalid_answer');
        expect(line).to.include({ level: 50, plugin: GATEWAY, channel: CHANNEL, hook: 'processPayment', code: 'plugin_failed', problem });
        expect(String(line?.['msg'])).to.match(/^Plugin "acme\.scripted" answered processPayment with .* a plugin bug; taken as an unknown outcome/);
        expect(log.text()).to.not.include(LEAK_KEY);
        await manager.close();
      });
    }

    it('getTransactionStatus answering one: "cannot tell" (null), logged', async () => {
      const log = captureLogger();
      const manager = scriptedManager(log.logger);
      ScriptedGateway.status = () => ({ ...success(payment(), 'ch_1'), isSuccess: 'yes' });
      expect(await manager.getTransactionStatus({ channel: CHANNEL, gateway: GATEWAY, ...statusInput() })).to.equal(null);
      expect(log.lines.find((l) => l['reason'] === 'invalid_answer')).to.include({ plugin: GATEWAY, hook: 'getTransactionStatus', msg: 'Plugin "acme.scripted" answered getTransactionStatus with isSuccess the string "yes", not a boolean: a plugin bug; taken as "cannot tell"' });
      await manager.close();
    });

    it('null still means the operation is not supported', async () => {
      const manager = scriptedManager(captureLogger().logger);
      ScriptedGateway.answer = () => null;
      const err = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() }).then(
        () => expect.fail('resolved'),
        (e: unknown) => e as { code?: string },
      );
      expect(err.code).to.equal('operation_not_supported');
      await manager.close();
    });
  });

  describe('a success without a transactionId', () => {
    for (const pspReference of ['pi_123', null]) {
      it(`is handed over, and logged at warn as a plugin bug (pspReference ${pspReference ?? 'none'})`, async () => {
        const log = captureLogger();
        const manager = scriptedManager(log.logger);
        ScriptedGateway.answer = (p) => ({ ...success(p, ''), pspReference });
        const response: GatewayResponse = await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
        expect(response).to.include({ isSuccess: true, transactionId: '' });
        const line = log.lines.find((l) => l['code'] === 'transaction_id_missing');
        expect(line).to.include({ level: 40, plugin: GATEWAY, hook: 'processPayment', hasPspReference: pspReference !== null });
        expect(String(line?.['msg'])).to.include(pspReference ? "will send the payment's pspReference instead" : 'nor a pspReference');
        await manager.close();
      });
    }

    it('a success with one logs nothing', async () => {
      const log = captureLogger();
      const manager = scriptedManager(log.logger);
      await manager.processPayment({ channel: CHANNEL, gateway: GATEWAY, payment: payment() });
      expect(log.lines.filter((l) => (l['level'] as number) >= 40)).to.deep.equal([]);
      await manager.close();
    });
  });

  it('manager.logger is the logger it was given', async () => {
    const log = captureLogger();
    const manager = scriptedManager(log.logger);
    expect(manager.logger).to.equal(log.logger);
    await manager.close();
  });
});
