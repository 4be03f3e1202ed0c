import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { GatewayDeclinedError, PaymentService, type LedgerStore } from '@payhost/core';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import {
  DUMMY_TOKENS,
  GatedDummy,
  CHANNEL,
  codeOf,
  dec,
  expectAmount,
  key,
  rejection,
  setup,
  successful,
  sum,
  type Setup,
} from '../../core/test/ledger/helpers.js';
import { openMigratedPgliteStore } from '../support/pglite-template.js';

/** The payment service on the embedded PostgreSQL store (PGlite), end to end with the dummy gateway. */
describe('ledger service on PGlite', function () {
  this.timeout(120_000);
  let store: LedgerStore;
  let env: Setup;

  before(async () => {
    store = await openMigratedPgliteStore(); // A copy of a migrated database: creating one takes seconds.
  });
  after(async () => {
    await store?.close();
  });
  afterEach(async () => {
    sinon.restore();
    GatedDummy.gate.open();
    await env?.close();
  });

  it('runs the lifecycle: authorize, partial captures, refunds, the amount rules, declines recorded', async () => {
    env = setup({ store });
    const payment = await env.create({ currency: 'KWD', total: '10.125' });
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    await env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '0.125' });
    const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expectAmount(captured.payment.capturedAmount, '10.125');
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
    expect(await codeOf(env.service.void({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('operation_not_allowed');
    expect(await codeOf(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '10.126' }))).to.equal('amount_exceeds');
    const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '0.001' });
    expectAmount(refunded.payment.capturedAmount, '10.124');
    expect(refunded.payment.chargeStatus).to.equal('partially-refunded');

    const declined = await env.create({ token: DUMMY_TOKENS.incorrectCvv });
    const err = await rejection(env.service.process({ paymentId: declined.id, idempotencyKey: key() }));
    expect((err as GatewayDeclinedError).errorCode).to.equal('incorrect_cvv');
    const [tx] = await env.service.listTransactions(declined.id);
    expect(tx).to.deep.include({ isSuccess: false, errorCode: 'incorrect_cvv', state: 'applied' });
  });

  it('50 parallel refunds of 1.00 against a captured 10.00: exactly 10 succeed', async () => {
    env = setup({ store });
    const payment = await env.create();
    await env.service.process({ paymentId: payment.id, idempotencyKey: key() });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '1.00' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(10);
    const txs = await env.service.listTransactions(payment.id);
    expectAmount(sum(successful(txs, 'refund')), '10');
    expect((await env.service.getPayment(payment.id)).chargeStatus).to.equal('fully-refunded');
  });

  it('20 concurrent calls with one key: one gateway call, identical results', async () => {
    const spy = sinon.spy(GatedDummy.prototype, 'processPayment');
    env = setup({ store, plugin: GatedDummy });
    const payment = await env.create();
    const k = key();
    const results = await Promise.all(Array.from({ length: 20 }, () => env.service.process({ paymentId: payment.id, idempotencyKey: k })));
    expect(spy.callCount).to.equal(1);
    for (const r of results) expect(r).to.deep.equal(results[0]);
  });

  it('finds payments by PSP reference for gateway events, and applies an early event once', async () => {
    env = setup({ store, plugin: GatedDummy });
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    GatedDummy.gate.close();
    const arrived = GatedDummy.gate.nextArrival();
    const capture = env.service.capture({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' });
    await arrived;
    const { pspReference } = await env.service.getPayment(payment.id);
    const event = { gateway: 'payhost.dummy', eventId: `evt-${payment.id}`, pspReference, response: { isSuccess: true, kind: 'capture' as const, amount: '4.00', transactionId: 'gw-early' } };
    expect((await env.service.applyGatewayEvent(event)).status).to.equal('applied');
    expect((await env.service.applyGatewayEvent(event)).status).to.equal('duplicate');
    GatedDummy.gate.open();
    const result = await capture;
    expectAmount(result.payment.capturedAmount, '4');
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '4');
  });

  it('keeps a gateway answer with text PostgreSQL refuses (NUL, unpaired surrogates), each such character as U+FFFD', async () => {
    env = setup({ store, plugin: GatedDummy });
    // The gateway has acted: its answer must be recorded, not lost to a database error.
    sinon.stub(GatedDummy.prototype, 'processPayment').resolves({
      isSuccess: false,
      kind: 'capture',
      amount: dec('10.00'),
      currency: 'USD',
      errorCode: 'declined',
      error: 'Declined\u0000 by the \ud800issuer',
      transactionId: 'txn\u0000-1',
      pspReference: 'psp\udc00',
      rawResponse: { 'odd\u0000key': 'value\u0000', list: ['\ud83d'], ok: 'caf\u00e9 \ud83d\ude00' },
    } as never);
    const payment = await env.create();
    expect(await codeOf(env.service.process({ paymentId: payment.id, idempotencyKey: key() }))).to.equal('gateway_declined');
    const [tx] = await env.service.listTransactions(payment.id);
    expect(tx).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'declined', error: 'Declined\ufffd by the \ufffdissuer' });
    expect(tx?.gatewayTransactionId).to.equal('txn\ufffd-1');
    expect(tx?.pspReference).to.equal('psp\ufffd');
    // A well-formed pair (the emoji) is kept as it is.
    expect(tx?.rawResponse).to.deep.equal({ 'odd\ufffdkey': 'value\ufffd', list: ['\ufffd'], ok: 'caf\u00e9 \ud83d\ude00' });

    // A processor event with such an id and reference is applied once, and its duplicate recognized.
    const event = { gateway: 'payhost.dummy', eventId: 'evt\u0000-1', paymentId: payment.id, response: { isSuccess: true, kind: 'refund' as const, amount: '1.00', transactionId: 're\u0000' } };
    expect((await env.service.applyGatewayEvent(event)).status).to.not.equal('duplicate');
    expect((await env.service.applyGatewayEvent(event)).status).to.equal('duplicate');
    const unknown = await rejection(env.service.applyGatewayEvent({ ...event, eventId: 'evt-2', paymentId: undefined, pspReference: 'nothing\u0000' }));
    expect(unknown.code).to.equal('payment_not_found');
  });

  it('refuses, before writing anything, caller input it could not store', async () => {
    env = setup({ store });
    const rows = () => (store as SqlLedgerStore).driver.session((c) => c.query<{ n: string }>('SELECT (SELECT count(*) FROM payments) + (SELECT count(*) FROM idempotency_keys) AS n'));
    const before = await rows();
    for (const overrides of [{ metadata: { note: 'a\u0000' } }, { customerEmail: 'x\ud800@example.com' }, { metadata: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }, { metadata: { n: Infinity } }, { metadata: { list: [1, NaN] } }, { metadata: { big: 10n } }]) {
      expect(await codeOf(env.create(overrides)), JSON.stringify(Object.keys(overrides))).to.equal('invalid_input');
      expect(await codeOf(env.service.pay({ idempotencyKey: key(), channel: CHANNEL, total: '1.00', currency: 'USD', token: DUMMY_TOKENS.success, ...overrides })), 'pay').to.equal('invalid_input');
    }
    expect(await codeOf(env.service.capture({ paymentId: 'x\u0000', idempotencyKey: key() }))).to.equal('invalid_input');
    expect(await codeOf(env.service.capture({ paymentId: randomUUID(), idempotencyKey: 'key\u0000key' }))).to.equal('invalid_input');
    expect(await rows()).to.deep.equal(before);
  });
});

describe('ledger service on PGlite: crash and restart', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payhost-ledger-'));
  });
  after(async () => {
    GatedDummy.gate.open();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a crash after the gateway call leaves a pending row on disk that reconcile() resolves after a restart', async () => {
    const dir = join(dataDir, 'crash');
    let store = await createPgliteStore({ dataDir: dir });
    const env = setup({
      store,
      plugin: GatedDummy,
      faults: {
        'after-gateway': (ctx) => {
          if (ctx.operation === 'capture') throw new Error('simulated crash');
        },
      },
    });
    const payment = await env.create();
    await env.service.authorize({ paymentId: payment.id, idempotencyKey: key() });
    const k = key();
    await rejection(env.service.capture({ paymentId: payment.id, idempotencyKey: k, amount: '6.00' }));
    await store.close();

    store = await createPgliteStore({ dataDir: dir });
    try {
      const pending = await store.listPendingTransactions();
      expect(pending.map((t) => t.idempotencyKey)).to.deep.equal([k]);
      const restarted = new PaymentService({ manager: env.manager, store });
      const report = await restarted.reconcile({ minAgeMs: 0 });
      expect(report.applied).to.have.length(1);
      const after = await restarted.getPayment(payment.id);
      expect(after.chargeStatus).to.equal('partially-charged');
      expectAmount(after.capturedAmount, '6');
      const replay = await restarted.capture({ paymentId: payment.id, idempotencyKey: k, amount: '6.00' });
      expect(replay.transaction.id).to.equal(pending[0]?.id);
    } finally {
      await store.close();
      await env.close();
    }
  });

});
