import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { Decimal, PaymentService, type LedgerStore, type PluginManager } from '@payhost/core';
import { expectLedgerMatchesProcessor } from './support/assertions.js';
import { CHANNEL, openStore, processorManager } from './support/env.js';
import { ProcessorJournal } from './support/file-processor.js';

/**
 * Property (PGlite in memory, few runs): whatever batches of concurrent
 * partial captures and refunds run against one authorized payment, the
 * ledger never captures more than was authorized nor refunds more than was
 * captured, every rejection is a typed rule error with nothing written,
 * nothing is left pending, and the ledger agrees with the processor.
 */
type Op = { op: 'capture' | 'refund'; cents: number };

const opArb: fc.Arbitrary<Op> = fc.record({ op: fc.constantFrom('capture' as const, 'refund' as const), cents: fc.integer({ min: 1, max: 600 }) });
/** Batches run one after another; the operations of a batch run at once. */
const scriptArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 });

const TYPED = ['amount_exceeds', 'operation_not_allowed'];

describe('ledger properties on PGlite: concurrent partial captures and refunds', function () {
  this.timeout(180_000);
  let tmp: string;
  let store: LedgerStore;
  let manager: PluginManager;
  let service: PaymentService;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'payhost-ledger-prop-'));
    store = await openStore({ kind: 'pglite' });
    manager = processorManager({ stateDir: join(tmp, 'processor') });
    service = new PaymentService({ manager, store });
  });
  after(async () => {
    await manager?.close();
    await store?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('captured <= authorized, refunded <= captured, typed rejections, nothing pending, ledger == processor', async () => {
    const journal = new ProcessorJournal(join(tmp, 'processor'));
    await fc.assert(
      fc.asyncProperty(scriptArb, async (script) => {
        const payment = await service.createPayment({ idempotencyKey: `create-${randomUUID()}`, channel: CHANNEL, total: '10.00', currency: 'USD', token: 'fp_card' });
        await service.authorize({ paymentId: payment.id, idempotencyKey: `auth-${randomUUID()}` });
        for (const batch of script) {
          const keys = batch.map(() => `op-${randomUUID()}`);
          const settled = await Promise.allSettled(
            batch.map((o, i) => {
              const input = { paymentId: payment.id, idempotencyKey: keys[i] as string, amount: new Decimal(o.cents).div(100).toFixed(2) };
              return o.op === 'capture' ? service.capture(input) : service.refund(input);
            }),
          );
          for (const [i, s] of settled.entries()) {
            if (s.status === 'fulfilled') continue;
            const code = (s.reason as { code?: string }).code;
            expect(TYPED, `${batch[i]?.op} ${batch[i]?.cents}: ${String((s.reason as Error).message)}`).to.include(code);
            expect(await store.getIdempotencyRecord(keys[i] as string)).to.equal(null);
          }
        }
        const transactions = await store.listTransactions(payment.id);
        expect(transactions.filter((t) => t.state !== 'applied')).to.have.length(0);
        const sum = (kind: string) => transactions.filter((t) => t.kind === kind && t.isSuccess).reduce((a, t) => a.plus(t.amount), new Decimal(0));
        const captured = sum('capture');
        const refunded = sum('refund');
        expect(captured.lte(10), `captured ${captured.toString()}`).to.equal(true);
        expect(refunded.lte(captured), `refunded ${refunded.toString()} of ${captured.toString()}`).to.equal(true);
        const after = await store.getPayment(payment.id);
        expect(after?.capturedAmount.eq(captured.minus(refunded))).to.equal(true);
        // Refunded to zero, the payment is inactive and keeps no authorization (payment-lifecycle.md, Transitions).
        const authorized = after?.isActive ? new Decimal(10).minus(captured) : new Decimal(0);
        expect(after?.authorizedAmount.eq(authorized), `authorized ${after?.authorizedAmount.toString()}, active ${String(after?.isActive)}`).to.equal(true);
        await expectLedgerMatchesProcessor(store, journal, payment.id);
      }),
      { numRuns: 12 },
    );
    expect(await store.listPendingTransactions()).to.have.length(0);
  });
});
