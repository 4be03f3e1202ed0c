import { expect } from 'chai';
import sinon from 'sinon';
import { Decimal, MemoryLedgerStore, PaymentService, type PaymentGateways, type PayInput, type PluginManager } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { LEAK_KEY, ScriptedGateway, scriptedManager, success } from '../support/scripted-gateway.js';
import { expectAmount, key, rejection } from './helpers.js';

function payInput(overrides: Partial<PayInput> = {}): PayInput {
  return { idempotencyKey: key(), channel: 'web', total: '10.00', currency: 'USD', token: 'tok_1', ...overrides };
}

/** Lines written to process.stderr while `fn` runs. */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  const saved = process.env['PAYHOST_LOG_LEVEL'];
  delete process.env['PAYHOST_LOG_LEVEL'];
  const written: string[] = [];
  const stub = sinon.stub(process.stderr, 'write').callsFake((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  try {
    await fn();
  } finally {
    stub.restore();
    if (saved !== undefined) process.env['PAYHOST_LOG_LEVEL'] = saved;
  }
  return written.join('');
}

describe('ledger: what a gateway plugin answers', () => {
  let manager: PluginManager | undefined;
  afterEach(async () => {
    ScriptedGateway.reset();
    sinon.restore();
    await manager?.close();
    manager = undefined;
  });

  it("a decline quoting the plugin's Secret key: the key is in neither the caller's error, its replay, nor the stored transaction", async () => {
    manager = scriptedManager(captureLogger().logger);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    ScriptedGateway.answer = (p, k) => ({
      isSuccess: false,
      actionRequired: false,
      kind: 'capture',
      amount: new Decimal(p.amount),
      currency: p.currency,
      transactionId: '',
      error: `processor error for key ${k}`,
      errorCode: 'processing_error',
      rawResponse: { message: `Invalid API key provided: ${k}` },
    });
    const input = payInput();
    const err = await rejection(service.pay(input));
    expect(err.code).to.equal('gateway_declined');
    expect(err.message).to.equal('processor error for key [redacted]');
    const paymentId = err.details?.['paymentId'] as string;
    const [stored] = await service.listTransactions(paymentId);
    expect(stored).to.include({ isSuccess: false, error: 'processor error for key [redacted]' });
    expect(stored?.rawResponse).to.deep.equal({ message: 'Invalid API key provided: [redacted]' });
    expect(JSON.stringify(await service.listTransactions(paymentId))).to.not.include(LEAK_KEY);
    const replayed = await rejection(service.pay(input));
    expect(replayed.message).to.not.include(LEAK_KEY);
  });

  it("an action required whose data quotes the key: the browser's data carries [redacted], stored and answered", async () => {
    manager = scriptedManager(captureLogger().logger);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    ScriptedGateway.answer = (p, k) => ({
      ...success(p, 'pi_1'),
      actionRequired: true,
      kind: 'action_to_confirm',
      actionRequiredData: { redirectUrl: `https://acme.example/3ds?key=${k}` },
    });
    const result = await service.pay(payInput());
    expect(result.transaction.actionRequiredData).to.deep.equal({ redirectUrl: 'https://acme.example/3ds?key=[redacted]' });
    expect(JSON.stringify(await service.listTransactions(result.payment.id))).to.not.include(LEAK_KEY);
  });

  describe('isSuccess "true" (not a boolean) is an unknown outcome, not a decline', () => {
    it('the processor cannot tell: outcome_unknown, held for review with the amount reserved; the manager and the ledger log it in one place', async () => {
      const log = captureLogger();
      manager = scriptedManager(log.logger);
      // No logger of its own: the ledger logs to the manager's.
      const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
      ScriptedGateway.answer = (p) => ({ ...success(p, 'ch_1'), isSuccess: 'true' });
      const err = await rejection(service.pay(payInput()));
      expect(err.code).to.equal('outcome_unknown');
      const paymentId = err.details?.['paymentId'] as string;
      const [held] = await service.listTransactions(paymentId);
      expect(held).to.include({ state: 'review', isSuccess: false });
      expectAmount(held!.amount, '10');
      expect((await service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');
      expect(log.lines.find((l) => l['reason'] === 'invalid_answer')).to.include({ plugin: ScriptedGateway.id, hook: 'processPayment' });
      expect(log.lines.find((l) => l['msg'] === 'gateway outcome unknown; transaction held for review')).to.include({ paymentId });
    });

    it('the processor tells it charged: the charge is recorded', async () => {
      manager = scriptedManager(captureLogger().logger);
      const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
      ScriptedGateway.answer = (p) => ({ ...success(p, 'ch_1'), isSuccess: 'true' });
      ScriptedGateway.status = (input) => success(input.payment, 'ch_1');
      const result = await service.pay(payInput());
      expect(result.transaction).to.include({ isSuccess: true, state: 'applied', gatewayTransactionId: 'ch_1' });
      expect(result.payment.chargeStatus).to.equal('fully-charged');
    });
  });

  it('a gateway event with isSuccess "true" is refused (invalid_input), recording nothing; the same event id then applies', async () => {
    manager = scriptedManager(captureLogger().logger);
    const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
    const { payment } = await service.pay(payInput());
    const base = { gateway: ScriptedGateway.id, eventId: 'evt-1', paymentId: payment.id };
    const refused = await rejection(service.applyGatewayEvent({ ...base, response: { isSuccess: 'true' as never, kind: 'refund', amount: '3.00', transactionId: 're_1' } }));
    expect(refused.code).to.equal('invalid_input');
    expect(await service.listTransactions(payment.id)).to.have.length(1);
    const applied = await service.applyGatewayEvent({ ...base, response: { isSuccess: true, kind: 'refund', amount: '3.00', transactionId: 're_1' } });
    expect(applied.status).to.equal('applied');
    expectAmount(applied.payment.capturedAmount, '7');
  });

  describe('a PaymentService given no logger', () => {
    it('with a manager given none either: the ledger writes to stderr, as the manager does', async () => {
      ScriptedGateway.answer = (p) => ({ ...success(p, 'ch_1'), isSuccess: 'true' });
      const stderr = await stderrOf(async () => {
        manager = scriptedManager();
        const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
        expect((await rejection(service.pay(payInput()))).code).to.equal('outcome_unknown');
      });
      const messages = stderr.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).to.include('gateway outcome unknown; transaction held for review');
      expect(messages.some((m) => m.startsWith('Plugin "acme.scripted" answered processPayment with isSuccess'))).to.equal(true);
    });

    it('with a stand-in manager that has no logger: the same stderr default', async () => {
      const real = scriptedManager(captureLogger().logger);
      manager = real;
      const gateways: PaymentGateways = {
        runOperation: (operation, request) => real.runOperation(operation, request),
        resolveGateway: (...args) => real.resolveGateway(...args),
        getTransactionStatus: (request) => real.getTransactionStatus(request),
      };
      ScriptedGateway.answer = (p) => ({ ...success(p, 'ch_1'), isSuccess: 'true' });
      const stderr = await stderrOf(async () => {
        const service = new PaymentService({ manager: gateways, store: new MemoryLedgerStore() });
        expect((await rejection(service.pay(payInput()))).code).to.equal('outcome_unknown');
      });
      expect(stderr).to.include('gateway outcome unknown; transaction held for review');
    });
  });
});
