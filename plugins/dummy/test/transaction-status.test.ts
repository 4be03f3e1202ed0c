import { expect } from 'chai';
import { Decimal, silentLogger, type GatewayResponse, type TransactionStatusInput } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { call, makePlugin, payment } from './helpers.js';

function statusInput(gatewayIdempotencyKey: string, kind: TransactionStatusInput['transaction']['kind'], amount = '10.00'): TransactionStatusInput {
  return {
    transaction: {
      id: 'tx-ledger-1',
      paymentId: '1',
      kind,
      amount: new Decimal(amount),
      currency: 'USD',
      gatewayIdempotencyKey,
      gatewayTransactionId: null,
      pspReference: null,
      createdAt: new Date(),
    },
    payment: payment({ idempotencyKey: gatewayIdempotencyKey, amount: new Decimal(amount) }),
  };
}

describe('dummy: getTransactionStatus (reconciliation)', () => {
  it('answers with what the dummy did for the call made with that gateway key', async () => {
    const plugin = makePlugin();
    const key = `gw-${Math.random()}`;
    const charged = await call(plugin.processPayment(payment({ idempotencyKey: key }), null));
    const status = await call(plugin.getTransactionStatus(statusInput(key, 'capture'), null));
    expect(status).to.deep.equal(charged);
    expect(status).to.not.equal(charged);

    const refundKey = `gw-${Math.random()}`;
    const refunded = await call(plugin.refundPayment(payment({ idempotencyKey: refundKey, token: charged.pspReference, amount: new Decimal('4.00') }), null));
    expect(refunded).to.include({ isSuccess: true, kind: 'refund' });
    expect(await call(plugin.getTransactionStatus(statusInput(refundKey, 'refund', '4.00'), null))).to.deep.equal(refunded);
  });

  it('says a call it has no record of never took effect: a failure of the transaction\'s kind and amount', async () => {
    const status: GatewayResponse = await call(makePlugin().getTransactionStatus(statusInput(`gw-never-${Math.random()}`, 'refund', '3.50'), null));
    expect(status).to.include({ isSuccess: false, kind: 'refund', errorCode: 'processing_error', currency: 'USD' });
    expect(status.amount.equals(new Decimal('3.50'))).to.equal(true);
    expect(status.error).to.match(/no record/);
  });

  it('keeps channels apart, and an inactive dummy passes the previous value through', async () => {
    const key = `gw-${Math.random()}`;
    await call(makePlugin({}, 'us').processPayment(payment({ idempotencyKey: key }), null));
    expect(await call(makePlugin({}, 'eu').getTransactionStatus(statusInput(key, 'capture'), null))).to.include({ isSuccess: false });
    const inactive = new DummyGatewayPlugin({ channel: 'us', active: false, configuration: DummyGatewayPlugin.defaultConfiguration, logger: silentLogger() });
    expect(await inactive.getTransactionStatus(statusInput(key, 'capture'), null)).to.equal(undefined);
  });
});
