import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Decimal, PaymentService, type LedgerStore, type Payment } from '@payhost/core';
import { LedgerChild } from './support/children.js';
import { CHANNEL, openStore, processorManager, type StoreSpec } from './support/env.js';
import { ProcessorJournal } from './support/file-processor.js';
import { describePostgres } from './support/postgres.js';
import type { StepResult } from './support/protocol.js';

/**
 * Issue 3, "Must show" 3: 50 parallel refunds of 1.00 against a captured
 * 10.00 — exactly 10 succeed and 10.00 is refunded — on PGlite (one process)
 * and on PostgreSQL from two separate processes, each with its own
 * PaymentService, store and plugin manager, against one (file-backed)
 * processor that records every refund it performs.
 */

/** A refund race loses with a typed rule error: the reservations (amount_exceeds) or the refunded-out payment (operation_not_allowed). */
const LOSING_CODES = ['amount_exceeds', 'operation_not_allowed'];

type Outcome = StepResult & { key: string };

function settle(keys: string[], settled: PromiseSettledResult<{ transaction: { id: string; amount: Decimal } }>[]): Outcome[] {
  return settled.map((s, i) => {
    const key = keys[i] as string;
    if (s.status === 'fulfilled') return { key, ok: true, transactionId: s.value.transaction.id, amount: s.value.transaction.amount.toString() };
    const reason = s.reason as { code?: unknown; message?: unknown };
    return { key, ok: false, code: typeof reason.code === 'string' ? reason.code : 'untyped', message: String(reason.message) };
  });
}

async function capturedPayment(service: PaymentService): Promise<Payment> {
  const payment = await service.createPayment({ idempotencyKey: `create-${randomUUID()}`, channel: CHANNEL, total: '10.00', currency: 'USD', token: 'fp_card' });
  const processed = await service.process({ paymentId: payment.id, idempotencyKey: `process-${randomUUID()}` });
  expect(processed.payment.chargeStatus).to.equal('fully-charged');
  expect(processed.payment.capturedAmount.eq(10)).to.equal(true);
  return processed.payment;
}

/** Everything "exactly 10 succeed, 10.00 refunded" means, in the ledger and at the processor. */
async function expectTenRefunds(store: LedgerStore, journal: ProcessorJournal, paymentId: string, outcomes: Outcome[]): Promise<void> {
  expect(outcomes).to.have.length(50);
  const won = outcomes.filter((o) => o.ok);
  const lost = outcomes.filter((o) => !o.ok);
  const codes = [...new Set(lost.map((o) => o.code))];
  expect(won, `codes: ${JSON.stringify(lost.map((o) => o.code))}`).to.have.length(10);
  expect(codes.every((c) => LOSING_CODES.includes(c ?? '')), `unexpected failure codes ${JSON.stringify(lost.filter((o) => !LOSING_CODES.includes(o.code ?? '')))}`).to.equal(true);
  expect(lost.filter((o) => o.code === 'amount_exceeds').length, 'some refunds lost on the reservations').to.be.greaterThan(0);
  for (const o of won) expect(new Decimal(o.amount ?? '0').eq(1)).to.equal(true);

  const payment = await store.getPayment(paymentId);
  expect(payment).to.deep.include({ chargeStatus: 'fully-refunded', isActive: false });
  expect(payment?.capturedAmount.eq(0)).to.equal(true);

  const transactions = await store.listTransactions(paymentId);
  expect(transactions.filter((t) => t.state !== 'applied'), 'nothing pending or under review').to.have.length(0);
  expect(await store.listPendingTransactions()).to.have.length(0);
  const refunds = transactions.filter((t) => t.kind === 'refund' && t.isSuccess);
  expect(refunds).to.have.length(10);
  expect(refunds.reduce((a, t) => a.plus(t.amount), new Decimal(0)).toFixed(2)).to.equal('10.00');
  // A losing request threw before writing anything: the capture and the ten refunds are all there is.
  expect(transactions).to.have.length(11);
  expect(new Set(refunds.map((t) => t.idempotencyKey))).to.deep.equal(new Set(won.map((o) => o.key)));
  for (const o of won) expect((await store.getIdempotencyRecord(o.key))?.state).to.equal('done');
  for (const o of lost) expect(await store.getIdempotencyRecord(o.key), `claim of ${o.key} rolled back`).to.equal(null);

  // The processor saw exactly those ten refunds, each once.
  const charged = journal.charges(paymentId).filter((c) => c.operation === 'refund');
  expect(charged).to.have.length(10);
  expect(charged.reduce((a, c) => a.plus(c.amount), new Decimal(0)).toFixed(2)).to.equal('10.00');
  expect(new Set(charged.map((c) => c.key))).to.deep.equal(new Set(refunds.map((t) => t.gatewayIdempotencyKey)));
  expect([...journal.chargesPerKey(paymentId).values()].every((n) => n === 1)).to.equal(true);
}

describe('ledger concurrency on PGlite: 50 parallel refunds of 1.00 against a captured 10.00', function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-ledger-conc-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const variants: Array<{ name: string; spec: () => StoreSpec }> = [
    { name: 'PGlite in memory', spec: () => ({ kind: 'pglite' }) },
    { name: 'PGlite in a data directory', spec: () => ({ kind: 'pglite', dataDir: join(tmp, 'pgdata') }) },
  ];
  for (const variant of variants) {
    it(`${variant.name}: exactly 10 succeed, the other 40 fail typed, 10.00 refunded, nothing pending`, async () => {
      const processorDir = join(tmp, `processor-${randomUUID()}`);
      const store = await openStore(variant.spec());
      const manager = processorManager({ stateDir: processorDir });
      try {
        const service = new PaymentService({ manager, store });
        const payment = await capturedPayment(service);
        const keys = Array.from({ length: 50 }, (_, i) => `refund-${i}-${randomUUID()}`);
        const settled = await Promise.allSettled(keys.map((key) => service.refund({ paymentId: payment.id, idempotencyKey: key, amount: '1.00' })));
        await expectTenRefunds(store, new ProcessorJournal(processorDir), payment.id, settle(keys, settled));
      } finally {
        await manager.close();
        await store.close();
      }
    });
  }
});

describePostgres('ledger concurrency: 50 refunds of 1.00 against a captured 10.00 from two processes', ({ url, newSchema }) => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-ledger-conc-pg-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('two host processes x 25 parallel refunds: exactly 10 succeed in total, 10.00 refunded, nothing pending', async () => {
    const spec: StoreSpec = { kind: 'postgres', url, schema: newSchema('conc') };
    const processorDir = join(tmp, 'processor');
    const store = await openStore(spec);
    const manager = processorManager({ stateDir: processorDir });
    const children: LedgerChild[] = [];
    try {
      const service = new PaymentService({ manager, store });
      const payment = await capturedPayment(service);
      for (const name of ['a', 'b']) {
        children.push(
          new LedgerChild({
            task: 'refunds',
            store: spec,
            processorDir,
            paymentId: payment.id,
            count: 25,
            amount: '1.00',
            keyPrefix: `refund-${name}-${randomUUID()}`,
          }),
        );
      }
      // Both processes are up, with their stores open, before either starts: then they race.
      const ready = await Promise.all(children.map((c) => c.waitFor('ready')));
      expect(new Set(ready.map((r) => r.pid)).size).to.equal(2);
      for (const c of children) c.send('go');
      const reports = await Promise.all(children.map((c) => c.waitFor('results')));
      const exits = await Promise.all(children.map((c) => c.exited));
      for (const [i, exit] of exits.entries()) expect(exit.code, children[i]?.describe()).to.equal(0);
      for (const r of reports) expect(r.results).to.have.length(25);
      await expectTenRefunds(store, new ProcessorJournal(processorDir), payment.id, reports.flatMap((r) => r.results));
      // The refunds the processor performed came from the two children, not from this process.
      const pids = new Set(new ProcessorJournal(processorDir).charges(payment.id).filter((c) => c.operation === 'refund').map((c) => c.pid));
      expect(pids.has(process.pid)).to.equal(false);
      for (const pid of pids) expect(ready.map((r) => r.pid)).to.include(pid);
    } finally {
      for (const c of children) c.kill();
      await manager.close();
      await store.close();
    }
  });
});
