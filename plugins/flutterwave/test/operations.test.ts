import { expect } from 'chai';
import { Decimal, type TransactionStatusInput } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { FlutterwaveFailure, mapChargeFailure, mapFlutterwaveError } from '@payhost/plugin-flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, expectFailure, expectSuccess, inlinePayment, makeManager, makePlugin, payment } from './helpers.js';

describe('flutterwave: refunds, reconciliation, listing and error mapping', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  async function paid(amount = '1500.50', currency = 'NGN') {
    const plugin = makePlugin(fake);
    const { token, transaction } = await inlinePayment(fake, plugin, amount, currency);
    expectSuccess(await call(plugin.processPayment(payment({ token, amount: new Decimal(amount), currency }), null)), 'capture', amount);
    return { plugin, id: String(transaction.id) };
  }

  it('refunds partially, several times, then refuses more than is left with Flutterwave\'s message', async () => {
    const { plugin, id } = await paid();
    const first = await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('500.25'), idempotencyKey: 'payhost:refund:p:t1' }), null));
    expectSuccess(first, 'refund', '500.25');
    expect(first.pspReference).to.equal(id);
    expect(first.transactionId).to.not.equal(id);
    expect(fake.requests.at(-1)?.body).to.deep.equal({ id, amount: 500.25 });
    expectSuccess(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('500.25') }), null)), 'refund', '500.25');
    const tooMuch = await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('500.01') }), null));
    expectFailure(tooMuch, 'processing_error', /^Refund amount cannot be greater than the amount left on the transaction$/);
    expectSuccess(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('500') }), null)), 'refund', '500');
  });

  it('records the amount asked for when a refund answers more (a running total of the transaction\'s refunds), never more', async () => {
    const { plugin, id } = await paid();
    expectSuccess(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('500.25') }), null)), 'refund', '500.25');
    const answer = (amountRefunded: number) => ({
      status: 'success',
      message: 'Transaction refund initiated',
      data: { id: 90210 + amountRefunded, account_id: 1, tx_id: Number(id), flw_ref: 'URF_1', wallet_id: 1, amount_refunded: amountRefunded, status: 'completed', destination: 'payment_source', meta: { source: 'availablebalance' }, created_at: '2026-01-24T09:18:37.000Z' },
    });
    fake.injectReply({ method: 'POST', path: '/refund' }, 200, answer(800.25));
    expectSuccess(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('300') }), null)), 'refund', '300');
    fake.injectReply({ method: 'POST', path: '/refund' }, 200, answer(99.5));
    expectSuccess(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('100') }), null)), 'refund', '99.5');
  });

  it('maps refund statuses: completed -> refund, pending -> refund_ongoing, failed -> refund_failed', async () => {
    const { plugin, id } = await paid();
    const refund = () => call(plugin.refundPayment(payment({ token: id, amount: new Decimal('100') }), null));
    expectSuccess(await refund(), 'refund', '100');
    fake.state.refundStatus = 'pending';
    const pending = await refund();
    expectSuccess(pending, 'refund_ongoing', '100');
    expect(pending).to.deep.include({ pspReference: id, transactionId: String([...fake.state.refunds.keys()].at(-1)) });
    expect(pending.rawResponse).to.deep.include({ status: 'pending' });
    fake.state.refundStatus = 'failed';
    const failed = await refund();
    expectFailure(failed, 'processing_error', /^Flutterwave refund \d+ failed$/);
    expect(failed).to.deep.include({ kind: 'refund_failed', pspReference: id });
  });

  it('refund finds the transaction id in the Inline result, the pspReference data, or fails clearly', async () => {
    const { plugin, id } = await paid();
    const inline = JSON.stringify({ transaction_id: Number(id), tx_ref: 'whatever' });
    expectSuccess(await call(plugin.refundPayment(payment({ token: inline, amount: new Decimal('1') }), null)), 'refund', '1');
    expectSuccess(await call(plugin.refundPayment(payment({ token: null, data: { pspReference: id }, amount: new Decimal('1') }), null)), 'refund', '1');
    expectFailure(await call(plugin.refundPayment(payment({ token: 'x' }), null)), 'processing_error', /No Flutterwave transaction id/, 'unknown_transaction');
  });

  it('HTTP errors resolve in this SDK: every status is checked (401, 404, 500 HTML, empty body)', async () => {
    const { id } = await paid();
    const wrongKey = makePlugin(fake, { secret_key: 'FLWSECK_TEST-wrong' });
    expectFailure(await call(wrongKey.refundPayment(payment({ token: id, amount: new Decimal('1') }), null)), 'processing_error', /^Invalid authorization key$/);
    const plugin = makePlugin(fake);
    expectFailure(await call(plugin.refundPayment(payment({ token: '999999999', amount: new Decimal('1') }), null)), 'processing_error', /No transaction was found/);
    fake.injectReply({ path: '/refund' }, 502, '<html>Bad Gateway</html>');
    expectFailure(await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('1') }), null)), 'processing_error', /non-JSON body: <html>Bad Gateway/);
    fake.injectReply({ path: '/verify' }, 500, {});
    expectFailure(await call(plugin.processPayment(payment({ token: id }), null)), 'processing_error', /verify failed \(status undefined\)/);
  });

  it('a dropped connection or a refused port is a network failure (processing_error), never an exception', async () => {
    const { plugin, id } = await paid();
    fake.injectNetworkError({ path: '/refund' });
    const dropped = await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('1') }), null));
    expectFailure(dropped, 'processing_error', /^Could not reach Flutterwave: fetch failed/);
    expect(dropped.rawResponse?.['flutterwave']).to.deep.include({ kind: 'network' });
    const closed = await FakeFlutterwave.start();
    await closed.close();
    const offline = makePlugin(closed);
    expectFailure(await call(offline.processPayment(payment({ token: '123' }), null)), 'processing_error', /Could not reach Flutterwave: fetch failed \(ECONNREFUSED/);
  });

  it('a refund whose answer is lost (timeout, dropped connection, 5xx) is flagged outcome_unknown: Flutterwave may have refunded', async () => {
    const { id } = await paid();
    const plugin = makePlugin(fake, { request_timeout_ms: '200' });
    const refund = () => call(plugin.refundPayment(payment({ token: id, amount: new Decimal('1') }), null));
    const lost: Array<[string, () => void, RegExp]> = [
      ['timeout', () => fake.loseAnswer({ path: '/refund' }, { delayMs: 600 }), /did not answer refund within 200 ms/],
      ['dropped connection', () => fake.loseAnswer({ path: '/refund' }, 'network'), /Could not reach Flutterwave/],
      ['503 after the refund was made', () => fake.loseAnswer({ path: '/refund' }, { status: 503, message: 'Service unavailable' }), /^Service unavailable$/],
      ['502 before it was made', () => fake.injectError({ path: '/refund' }, 502, 'Bad gateway'), /^Bad gateway$/],
    ];
    for (const [what, inject, message] of lost) {
      inject();
      const response = await refund();
      expectFailure(response, 'processing_error', message);
      expect(response.rawResponse?.['outcome_unknown'], what).to.equal(true);
    }
    expect(fake.state.refunds.size, 'the fake made the refunds whose answers were lost').to.equal(3);
  });

  it('a 4xx answer, a refused connection or an invalid amount is a definite refund failure (not outcome_unknown)', async () => {
    const { plugin, id } = await paid();
    const tooMuch = await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('5000') }), null));
    expectFailure(tooMuch, 'processing_error', /greater than the amount left/);
    expect(tooMuch.rawResponse?.['outcome_unknown']).to.equal(false);
    expect(tooMuch.rawResponse?.['flutterwave']).to.deep.include({ http_status: 400 });
    const wrongKey = await call(makePlugin(fake, { secret_key: 'FLWSECK_TEST-wrong' }).refundPayment(payment({ token: id, amount: new Decimal('1') }), null));
    expect(wrongKey.rawResponse?.['outcome_unknown']).to.equal(false);
    const badAmount = await call(plugin.refundPayment(payment({ token: id, amount: new Decimal('1.001') }), null));
    expect(badAmount.rawResponse?.['outcome_unknown']).to.equal(false);
    const closed = await FakeFlutterwave.start();
    await closed.close();
    const refused = await call(makePlugin(closed).refundPayment(payment({ token: id, amount: new Decimal('1') }), null));
    expectFailure(refused, 'processing_error', /ECONNREFUSED/);
    expect(refused.rawResponse?.['outcome_unknown'], 'a refused connection never reached Flutterwave').to.equal(false);
    expect(fake.state.refunds.size).to.equal(0);
  });

  it('a verify without an answer (timeout, dropped or refused connection, 5xx) is outcome_unknown; "not found" (4xx) is a failure', async () => {
    const plugin = makePlugin(fake, { request_timeout_ms: '200' });
    const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN');
    const process = () => call(plugin.processPayment(payment({ token }), null));
    for (const inject of [
      () => fake.loseAnswer({ path: '/verify' }, { delayMs: 600 }),
      () => fake.injectNetworkError({ path: '/verify' }),
      () => fake.injectError({ path: '/verify' }, 503, 'Service unavailable'),
      () => fake.injectReply({ path: '/verify' }, 500, {}),
    ]) {
      inject();
      const response = await process();
      expect(response).to.deep.include({ isSuccess: false, kind: 'capture' });
      expect(response.rawResponse?.['outcome_unknown']).to.equal(true);
    }
    const closed = await FakeFlutterwave.start();
    await closed.close();
    const refused = await call(makePlugin(closed).processPayment(payment({ token }), null));
    expect(refused.rawResponse?.['outcome_unknown'], 'whether the customer paid is still unknown').to.equal(true);
    const missing = await call(plugin.processPayment(payment({ token: '999999999' }), null));
    expectFailure(missing, 'processing_error', /No transaction was found/);
    expect(missing.rawResponse?.['outcome_unknown']).to.equal(false);
    expectSuccess(await process(), 'capture', '1500.50');
  });

  it('maps processor messages of failed charges onto the unified codes, keeping the message', () => {
    const cases: Array<[string, string]> = [
      ['Insufficient funds', 'declined'],
      ['Transaction declined by issuer', 'declined'],
      ['Do not honour', 'declined'],
      ['Expired card', 'expired'],
      ['Invalid card number', 'invalid_number'],
      ['Incorrect card number', 'incorrect_number'],
      ['Invalid CVV', 'invalid_cvv'],
      ['Incorrect CVV provided', 'incorrect_cvv'],
      ['Invalid expiry date', 'invalid_expiry_date'],
      // A card with a wrongly typed expiry, not one that is past it.
      ['Invalid card expiry date', 'invalid_expiry_date'],
      ['Incorrect card expiry', 'invalid_expiry_date'],
      ['Your card has expired', 'expired'],
      ['Card is expired', 'expired'],
      ['AVS: address does not match', 'incorrect_address'],
      ['Postal code mismatch', 'incorrect_zip'],
      ['Something else entirely', 'declined'],
    ];
    for (const [message, code] of cases) expect(mapChargeFailure(message), message).to.deep.include({ errorCode: code, message });
    expect(mapChargeFailure('').message).to.equal('The charge failed');
    expect(mapFlutterwaveError(new FlutterwaveFailure('api', 'Invalid authorization key'))).to.deep.include({ errorCode: 'processing_error', message: 'Invalid authorization key' });
    expect(mapFlutterwaveError(new Error('boom')).message).to.equal('Flutterwave request failed: boom');
  });

  for (const [message, code] of [['Insufficient funds', 'declined'], ['Expired card', 'expired'], ['Incorrect CVV provided', 'incorrect_cvv']] as const) {
    it(`a failed Inline charge "${message}" -> ${code} through the real SDK`, async () => {
      const plugin = makePlugin(fake);
      const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { status: 'failed', processorResponse: message });
      expectFailure(await call(plugin.processPayment(payment({ token }), null)), code, new RegExp(`^${message}$`));
    });
  }

  it('a slow Flutterwave is a timeout failure after request_timeout_ms', async () => {
    const plugin = makePlugin(fake, { request_timeout_ms: '50' });
    const { token } = await inlinePayment(fake, plugin, '10', 'NGN');
    const original = globalThis.fetch;
    globalThis.fetch = (() => new Promise(() => undefined)) as typeof fetch;
    try {
      const response = await call(plugin.processPayment(payment({ token, amount: new Decimal('10') }), null));
      expectFailure(response, 'processing_error', /did not answer verify within 50 ms/);
      expect(response.rawResponse?.['outcome_unknown']).to.equal(true);
    } finally {
      globalThis.fetch = original;
    }
  });

  describe('getTransactionStatus (reconciliation)', () => {
    function input(op: string, kind: TransactionStatusInput['transaction']['kind'], token: string | null, pspReference: string | null = null): TransactionStatusInput {
      const key = `payhost:${op}:pay-host-1:tx-1`;
      return {
        transaction: { id: 'tx-1', paymentId: 'pay-host-1', kind, amount: new Decimal('1500.50'), currency: 'NGN', gatewayIdempotencyKey: key, gatewayTransactionId: null, pspReference, createdAt: new Date() },
        payment: payment({ token, idempotencyKey: key }),
      };
    }

    it('verifies a process transaction again: paid, mismatched, not found, or cannot tell', async () => {
      const plugin = makePlugin(fake);
      const ok = await inlinePayment(fake, plugin, '1500.50', 'NGN');
      expectSuccess((await plugin.getTransactionStatus(input('process', 'capture', ok.token), null))!, 'capture', '1500.50');
      const cheap = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paid: '15' });
      expectFailure((await plugin.getTransactionStatus(input('process', 'capture', cheap.token), null))!, 'processing_error', /expects 1500.5/, 'amount_mismatch');
      expectFailure((await plugin.getTransactionStatus(input('process', 'capture', '999999'), null))!, 'processing_error', /No transaction was found/);
      fake.injectNetworkError({ path: '/verify' });
      expect(await plugin.getTransactionStatus(input('process', 'capture', ok.token), null)).to.equal(null);
      expect(await plugin.getTransactionStatus(input('refund', 'refund', ok.token, String(ok.transaction.id)), null)).to.equal(null);
    });

    it('falls back on the tx_ref the token carried when it has no usable id, through the manager', async () => {
      const manager = makeManager(fake);
      const plugin = makePlugin(fake);
      const ok = await inlinePayment(fake, plugin, '1500.50', 'NGN');
      const status = await manager.getTransactionStatus({ channel: CHANNEL, gateway: GATEWAY, ...input('process', 'capture', ok.token) });
      expectSuccess(status!, 'capture', '1500.50');
      await manager.close();
    });
  });

  it('lists transactions for reconciliation, amounts as Decimals and the bound payment id', async () => {
    const { plugin } = await paid('1500.50');
    const list = await plugin.listTransactions({ status: 'successful' });
    expect(list).to.have.length(1);
    expect(list[0]).to.deep.include({ status: 'successful', currency: 'NGN', paymentId: 'pay-host-1' });
    expect(list[0]?.amount.eq('1500.5')).to.equal(true);
    expect(fake.requests.at(-1)).to.deep.include({ method: 'GET', path: '/v3/transactions' });
    expect(fake.requests.at(-1)?.query).to.include({ status: 'successful' });
  });
});
