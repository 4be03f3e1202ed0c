import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, type PluginManager } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { DUMMY_TOKENS, key, makeManager, payInput, rejection } from './helpers.js';

/**
 * What clients see of a transaction held for review: its payment's other operations wait (payment_busy,
 * 409: it clears once the review is settled), as the held operation's own retry does; and a person's
 * resolution answers them in the processor's terms, never with the person's note.
 */
describe('ledger: what clients get while a transaction is held for review, and once a person resolved it', () => {
  let manager: PluginManager;
  afterEach(async () => {
    await manager.close();
  });

  /** A checkout on the dummy, authorize only, whose answer was lost: its `auth` is held for review. */
  async function heldAuthorization() {
    manager = makeManager({ configuration: { auto_capture: false } });
    const log = captureLogger();
    const payments = new PaymentService({ manager, store: new MemoryLedgerStore(), logger: log.logger, idempotency: { waitTimeoutMs: 60_000 } });
    const input = payInput({ token: DUMMY_TOKENS.outcomeUnknownNotCharged });
    const lost = await rejection(payments.pay(input));
    expect(lost.code).to.equal('outcome_unknown');
    const { transactionId, paymentId } = lost.details as { transactionId: string; paymentId: string };
    return { payments, log, input, transactionId, paymentId };
  }

  it("another operation under a new key is payment_busy (reason held_for_review) naming the transaction's kind, as the held key's retry is; both clear once resolved", async () => {
    const { payments, input, transactionId, paymentId } = await heldAuthorization();
    for (const attempt of [() => payments.void({ paymentId, idempotencyKey: key() }), () => payments.capture({ paymentId, idempotencyKey: key() }), () => payments.process({ paymentId, idempotencyKey: key() })]) {
      const busy = await rejection(attempt());
      expect(busy.code).to.equal('payment_busy');
      expect(busy.details).to.deep.include({ paymentId, transactionId, kind: 'auth', reason: 'held_for_review' });
      // The pending row of a process on a gateway that does not auto-capture is an auth: it is named so.
      expect(busy.message).to.include(`transaction ${transactionId} (auth, operation process) is held for review`).and.to.include('/admin/review');
    }
    const retry = await rejection(payments.pay(input));
    expect(retry.code).to.equal('payment_busy');
    expect(retry.details).to.deep.include({ reason: 'held_for_review', transactionId });

    // Settled (nothing was charged): the payment's own state answers again, and the held key gets its outcome.
    await payments.resolveReview({ transactionId, outcome: 'failed', note: 'not charged (test)' });
    const refused = await rejection(payments.void({ paymentId, idempotencyKey: key() }));
    expect(refused.code).to.equal('operation_not_allowed');
    expect(refused.message).to.include('nothing is authorized');
    expect((await rejection(payments.pay(input))).code).to.equal('gateway_declined');
  });

  it("a failure a person records carries the errorCode's own message; the note stays in rawResponse and the log", async () => {
    const { payments, log, input, transactionId } = await heldAuthorization();
    const note = 'No charge in the dashboard (ana.smith@shop-staff, ticket OPS-4411)';
    const resolved = await payments.resolveReview({ transactionId, outcome: 'failed', errorCode: 'declined', note });
    expect(resolved.transaction).to.deep.include({ state: 'applied', isSuccess: false, errorCode: 'declined', error: 'The payment was declined' });
    expect(resolved.transaction.rawResponse?.['resolvedByOperator']).to.deep.include({ outcome: 'failed', note });
    const line = log.lines.find((l) => l['msg'] === 'transaction held for review resolved by an operator');
    expect(line).to.deep.include({ transactionId, outcome: 'failed', note });

    // The checkout's retry (what the shopper's page shows) and the recorded transaction say nothing of the note.
    const replay = await rejection(payments.pay(input));
    expect(replay.code).to.equal('gateway_declined');
    expect(replay.message).to.equal('The payment was declined');
    expect(replay.details).to.deep.include({ transactionId, errorCode: 'declined' });
    const [recorded] = await payments.listTransactions(resolved.payment.id);
    expect(JSON.stringify({ ...recorded, rawResponse: null })).to.not.include('OPS-4411');
  });

  it('a failure without an errorCode is a processing_error with its own message', async () => {
    const { payments, input, transactionId } = await heldAuthorization();
    const resolved = await payments.resolveReview({ transactionId, outcome: 'failed', note: 'Nothing at the processor (bo, OPS-1)' });
    expect(resolved.transaction).to.deep.include({ errorCode: 'processing_error', error: 'The payment could not be processed' });
    expect((await rejection(payments.pay(input))).message).to.equal('The payment could not be processed');
  });
});
