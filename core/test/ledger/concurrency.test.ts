import { expect } from 'chai';
import { Decimal } from '@payhost/core';
import { GatedDummy, codeOf, dummyStore, expectAmount, key, setup, successful, sum, type Setup } from './helpers.js';

function codes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const code = r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: string }).code ?? (r.reason as Error).message);
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}

describe('ledger: concurrent operations on one payment (MemoryLedgerStore)', () => {
  let env: Setup;
  afterEach(async () => {
    GatedDummy.gate.open();
    await env?.close();
  });

  it('while a process is in flight, every other operation on the payment is payment_busy', async () => {
    env = setup({ plugin: GatedDummy });
    const payment = await env.create();
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const running = env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    await arrived;
    const base = () => ({ paymentId: payment.id, idempotencyKey: key() });
    expect(await codeOf(env.service.process(base()))).to.equal('payment_busy');
    expect(await codeOf(env.service.authorize(base()))).to.equal('payment_busy');
    expect(await codeOf(env.service.capture({ ...base(), amount: '1' }))).to.equal('payment_busy');
    expect(await codeOf(env.service.refund({ ...base(), amount: '1' }))).to.equal('payment_busy');
    expect(await codeOf(env.service.void(base()))).to.equal('payment_busy');
    expect(await codeOf(env.service.confirm(base()))).to.equal('payment_busy');
    GatedDummy.gate.open();
    expect((await running).payment.chargeStatus).to.equal('fully-charged');
    expect(await env.service.listTransactions(payment.id)).to.have.length(1);
  });

  it('50 parallel refunds of 1.00 against a captured 10.00: exactly 10 succeed, 10.00 refunded', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' })),
    );
    const count = codes(results);
    expect(count['ok']).to.equal(10);
    expect(Object.keys(count).every((c) => ['ok', 'amount_exceeds', 'operation_not_allowed', 'payment_busy'].includes(c)), JSON.stringify(count)).to.equal(true);
    const after = await env.service.getPayment(payment.id);
    expect(after).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
    expectAmount(after.capturedAmount, '0');
    const txs = await env.service.listTransactions(payment.id);
    expectAmount(sum(successful(txs, 'refund')), '10');
    expect(txs.filter((t) => t.state !== 'applied')).to.have.length(0);
    const charge = dummyStore.findCharge('web', after.pspReference ?? '');
    expectAmount(charge?.refunded ?? new Decimal(-1), '10');
  });

  it('30 parallel captures of 1.00 against an authorized 10.00: exactly 10 succeed', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' })),
    );
    expect(codes(results)['ok']).to.equal(10);
    const after = await env.service.getPayment(payment.id);
    expect(after.chargeStatus).to.equal('fully-charged');
    expectAmount(after.capturedAmount, '10');
    expectAmount(after.authorizedAmount, '0');
  });

  it('captures and refunds interleaved never refund more than was captured', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '2.00' });
    const ops = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' })
        : env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }),
    );
    await Promise.allSettled(ops);
    const after = await env.service.getPayment(payment.id);
    const txs = await env.service.listTransactions(payment.id);
    const captured = sum(successful(txs, 'capture'));
    const refunded = sum(successful(txs, 'refund'));
    expect(captured.lte(10)).to.equal(true);
    expect(refunded.lte(captured)).to.equal(true);
    expectAmount(after.capturedAmount, captured.minus(refunded).toString());
  });

  it('a void racing captures: either the void or the captures win, never both', async () => {
    env = setup();
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const results = await Promise.allSettled([
      env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }),
      env.service.void({ paymentId: payment.id, idempotencyKey: key() }),
      env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' }),
    ]);
    const voided = results[1]?.status === 'fulfilled';
    const capturedCount = [results[0], results[2]].filter((r) => r?.status === 'fulfilled').length;
    expect(voided && capturedCount > 0).to.equal(false);
    const after = await env.service.getPayment(payment.id);
    if (voided) expect(after.isActive).to.equal(false);
    else expectAmount(after.capturedAmount, String(capturedCount));
  });
});
