import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, GatewayDeclinedError, MemoryLedgerStore, PaymentService, type TransactionStatusInput } from '@payhost/core';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { CHANNEL, GATEWAY, blockOutsideNetwork, call, clientToken, expectFailure, inlinePayment, makeManager, makePlugin, payment } from './helpers.js';

const key = (): string => `key-${randomUUID()}`;

/**
 * A transaction for another amount than the payment's is refused (over or under), and the failure says
 * what an operator needs to put it right on Flutterwave: paid, charged (fees), expected, the difference.
 */
describe('flutterwave: a payment for another amount says what was paid, charged and expected', () => {
  blockOutsideNetwork();
  let fake: FakeFlutterwave;
  before(async () => {
    fake = await FakeFlutterwave.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it('an overpayment: the message and rawResponse.amount_mismatch give paid, expected and the excess, and say to refund', async () => {
    const plugin = makePlugin(fake);
    const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paid: '1600' });
    const response = await call(plugin.processPayment(payment({ token }), null));
    expectFailure(response, 'processing_error', /is for 1600 NGN, the payment expects 1500.5 NGN: 99.5 NGN more than asked; nothing is captured: refund the 1600 NGN the customer paid on Flutterwave/, 'amount_mismatch');
    expect(response.kind).to.equal('capture');
    expect(response.rawResponse?.['amount_mismatch']).to.deep.equal({ expected: '1500.5', paid: '1600', charged: '1600', difference: '99.5', direction: 'over', currency: 'NGN' });
  });

  it('an underpayment with fees passed to the customer: what was paid and what was charged, and how much is missing', async () => {
    const plugin = makePlugin(fake);
    const ct = await clientToken(plugin, '1500.50', 'NGN');
    const short = fake.pay({ tx_ref: ct.tx_ref, amount: '1479.79', chargedAmount: '1500.50', currency: 'NGN' });
    const response = await call(plugin.processPayment(payment({ token: String(short.transaction_id) }), null));
    expectFailure(response, 'processing_error', /is for 1479.79 NGN \(charged 1500.5 NGN with fees\), the payment expects 1500.5 NGN: 20.71 NGN short; nothing is captured: refund/, 'amount_mismatch');
    expect(response.rawResponse?.['amount_mismatch']).to.deep.equal({ expected: '1500.5', paid: '1479.79', charged: '1500.5', difference: '20.71', direction: 'under', currency: 'NGN' });
  });

  it('a transaction that did not succeed is not said to need a refund', async () => {
    const plugin = makePlugin(fake);
    const { token } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paid: '1600', status: 'failed', processorResponse: 'Insufficient funds' });
    const response = await call(plugin.processPayment(payment({ token }), null));
    expectFailure(response, 'processing_error', /99.5 NGN more than asked; nothing is captured \(the transaction is failed\)$/, 'amount_mismatch');
  });

  it('reconciliation and the charge.completed webhook (a tx_ref signed with its amount) say the same', async () => {
    const plugin = makePlugin(fake);
    const { token, transaction } = await inlinePayment(fake, plugin, '1500.50', 'NGN', { paid: '1600' });
    const k = 'payhost:process:pay-host-1:tx-1';
    const input: TransactionStatusInput = {
      transaction: { id: 'tx-1', paymentId: 'pay-host-1', kind: 'capture', amount: new Decimal('1500.50'), currency: 'NGN', gatewayIdempotencyKey: k, gatewayTransactionId: null, pspReference: null, createdAt: new Date() },
      payment: payment({ token, idempotencyKey: k }),
    };
    expectFailure((await plugin.getTransactionStatus(input, null))!, 'processing_error', /99.5 NGN more than asked/, 'amount_mismatch');
    const delivery = fake.webhook('charge.completed', transaction.id);
    const delivered = (await plugin.webhook({ method: 'POST', path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody }, null))!;
    expect(delivered.events?.map((e) => [e.paymentId, e.response.isSuccess, e.response.rawResponse?.['amount_mismatch']])).to.deep.equal([
      ['pay-host-1', false, { expected: '1500.5', paid: '1600', charged: '1600', difference: '99.5', direction: 'over', currency: 'NGN' }],
    ]);
  });

  it('through the ledger: the failed transaction keeps the figures; the payment stays not charged', async () => {
    const manager = makeManager(fake);
    try {
      const service = new PaymentService({ manager, store: new MemoryLedgerStore() });
      const ct = JSON.parse(await manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('1500.50'), currency: 'NGN' })) as { tx_ref: string };
      const { transaction: _t, ...callback } = fake.pay({ tx_ref: ct.tx_ref, amount: '1600', currency: 'NGN' });
      const created = await service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '1500.50', currency: 'NGN', token: JSON.stringify(callback) });
      const error = await service.process({ paymentId: created.id, idempotencyKey: key(), data: { txRef: ct.tx_ref } }).then(() => expect.fail('mismatch'), (e: unknown) => e);
      expect(error).to.be.instanceOf(GatewayDeclinedError);
      expect((error as Error).message).to.match(/99.5 NGN more than asked/);
      expect((await service.getPayment(created.id)).chargeStatus).to.equal('not-charged');
      const [tx] = await service.listTransactions(created.id);
      expect(tx?.rawResponse?.['amount_mismatch']).to.deep.include({ paid: '1600', expected: '1500.5', difference: '99.5' });
    } finally {
      await manager.close();
    }
  });
});
