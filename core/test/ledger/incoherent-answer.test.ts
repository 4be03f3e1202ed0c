import { expect } from 'chai';
import { MemoryLedgerStore, PaymentService, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GatedDummy, expectAmount, key, payInput, rejection, setup, type Setup } from './helpers.js';
import { captureLogger } from '../support/log-capture.js';

type Bug = 'refund-as-capture' | 'ongoing-without-id' | 'other-currency' | 'more-than-asked' | 'float-amount' | MalformedBug;

/** Successes a JavaScript plugin can answer that name nothing the ledger could count. */
const MALFORMED: Record<string, Partial<Record<'kind' | 'amount', unknown>>> = {
  'kind-unknown': { kind: 'charge' },
  'kind-missing': { kind: undefined },
  'amount-missing': { amount: undefined },
  'amount-negative': { amount: '-3.00' },
  'amount-nan': { amount: Number.NaN },
  'amount-text': { amount: 'abc' },
  'amount-object': { amount: { value: 3 } },
};
type MalformedBug = keyof typeof MALFORMED;

/** The dummy with a bug switched on: refunds answered as captures, or charges answered in another currency. */
class BuggyDummy extends GatedDummy {
  static bug: Bug | null = null;

  private buggy(response: GatewayResponse | undefined, ...on: Bug[]): GatewayResponse | undefined {
    const bug = BuggyDummy.bug;
    if (!response || bug === null || !on.includes(bug)) return response;
    if (bug === 'refund-as-capture') return { ...response, kind: 'capture' };
    if (bug === 'ongoing-without-id') return { ...response, kind: 'refund_ongoing', transactionId: '' };
    // As a plugin that reports the charge's amount instead of the refund's would.
    if (bug === 'more-than-asked') return { ...response, amount: response.amount.plus(1) };
    // Minor units converted through a float: 299.99999999999994 cents for a 3.00 refund.
    if (bug === 'float-amount') return { ...response, amount: ((response.amount.toNumber() * 100 - 1e-13) / 100) as never };
    if (bug in MALFORMED) return { ...response, ...MALFORMED[bug] } as GatewayResponse;
    return { ...response, currency: 'EUR' };
  }
  override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.buggy(await super.processPayment(p, v), 'other-currency');
  }
  override async refundPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.buggy(await super.refundPayment(p, v), 'refund-as-capture', 'ongoing-without-id', 'more-than-asked', 'float-amount', ...Object.keys(MALFORMED));
  }
  override async getTransactionStatus(input: TransactionStatusInput, previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    const status = await super.getTransactionStatus(input, previous);
    return input.transaction.kind === 'refund' ? this.buggy(status, 'refund-as-capture') : this.buggy(status, 'other-currency');
  }
}

/** A plugin's answer that cannot be what the operation did is never counted as that. */
describe('ledger: incoherent gateway answers', () => {
  let env: Setup;
  afterEach(async () => {
    BuggyDummy.bug = null;
    GatedDummy.canTell = true;
    await env?.close();
  });

  it('a refund answered as a successful capture: the processor is asked again, and its refund is what the ledger records', async () => {
    env = setup({ plugin: BuggyDummy });
    const { payment } = await env.service.pay(payInput());
    BuggyDummy.bug = 'refund-as-capture';
    // getTransactionStatus answers coherently here (only the refund call's answer is wrong).
    const original = BuggyDummy.prototype.getTransactionStatus;
    BuggyDummy.prototype.getTransactionStatus = GatedDummy.prototype.getTransactionStatus;
    try {
      const refunded = await env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' });
      expect(refunded.transaction).to.include({ kind: 'refund', isSuccess: true, state: 'applied' });
      expectAmount(refunded.payment.capturedAmount, '7');
    } finally {
      BuggyDummy.prototype.getTransactionStatus = original;
    }
  });

  it('the logged error names the plugin and channel that answered, for the operation and for reconciliation', async () => {
    const log = captureLogger();
    env = setup({ plugin: BuggyDummy });
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: log.logger });
    const { payment } = await service.pay(payInput());
    BuggyDummy.bug = 'refund-as-capture';
    GatedDummy.canTell = false;
    await rejection(service.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '3.00' }));
    const incoherent = log.lines.filter((line) => line['level'] === 50 && String(line['msg']).includes('answered a refund'));
    expect(incoherent, log.text()).to.have.length.greaterThan(0);
    for (const line of incoherent) expect(line).to.include({ plugin: 'payhost.dummy', channel: 'web', paymentId: payment.id });
  });

  /**
   * Pays 10.00, then refunds `amount` with `bug` on and a processor that cannot tell: the caller gets
   * outcome_unknown, the refund is held for review, nothing is refunded in the ledger. Returns the payment id.
   */
  async function refundHeldForReview(bug: Bug, amount: string): Promise<string> {
    env = setup({ plugin: BuggyDummy });
    const { payment } = await env.service.pay(payInput());
    BuggyDummy.bug = bug;
    GatedDummy.canTell = false;
    const err = await rejection(env.service.refund({ paymentId: payment.id, idempotencyKey: key(), amount }));
    expect(err.code).to.equal('outcome_unknown');
    const held = (await env.service.listTransactions(payment.id)).find((t) => t.kind === 'refund');
    expect(held).to.include({ state: 'review', isSuccess: false });
    const after = await env.service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '10');
    expect(after.chargeStatus).to.equal('fully-charged');
    return payment.id;
  }

  it('a refund answered as a capture, and the processor cannot tell: outcome_unknown, held for review, nothing captured or freed', async () => {
    const paymentId = await refundHeldForReview('refund-as-capture', '10.00');
    // The 10.00 stays reserved for the refund that may have happened: no second refund on top of it.
    expect((await rejection(env.service.refund({ paymentId, idempotencyKey: key(), amount: '1.00' }))).code).to.equal('amount_exceeds');
  });

  it('a refund in progress without its gateway transaction id (nothing could settle it): outcome_unknown, held for review', async () => {
    const paymentId = await refundHeldForReview('ongoing-without-id', '4.00');
    // 4.00 reserved, 6.00 left.
    expect((await rejection(env.service.refund({ paymentId, idempotencyKey: key(), amount: '6.01' }))).code).to.equal('amount_exceeds');
  });

  it('a refund answered for more than was asked is not counted: held for review, only the asked amount reserved', async () => {
    const paymentId = await refundHeldForReview('more-than-asked', '3.00');
    // 3.00 reserved (not 4.00 refunded): 7.00 left.
    expect((await rejection(env.service.refund({ paymentId, idempotencyKey: key(), amount: '7.01' }))).code).to.equal('amount_exceeds');
    BuggyDummy.bug = null;
    const rest = await env.service.refund({ paymentId, idempotencyKey: key(), amount: '7.00' });
    expectAmount(rest.payment.capturedAmount, '3');
  });

  it('a refund answered with a fraction of a cent (a float conversion) is not counted: held for review, the asked amount reserved', async () => {
    const paymentId = await refundHeldForReview('float-amount', '3.00');
    expect((await rejection(env.service.refund({ paymentId, idempotencyKey: key(), amount: '7.01' }))).code).to.equal('amount_exceeds');
    const [held] = (await env.service.listTransactions(paymentId)).filter((t) => t.kind === 'refund');
    expectAmount(held!.amount, '3');
  });

  for (const [bug, fields] of Object.entries(MALFORMED)) {
    it(`a successful refund answered with ${JSON.stringify(fields, (_k, v: unknown) => (v === undefined ? '<missing>' : Number.isNaN(v) ? 'NaN' : v))} is not counted: held for review, the asked amount reserved`, async () => {
      const paymentId = await refundHeldForReview(bug, '3.00');
      const [held] = (await env.service.listTransactions(paymentId)).filter((t) => t.state === 'review');
      expect(held).to.include({ kind: 'refund', isSuccess: false });
      expectAmount(held!.amount, '3');
      expect((await rejection(env.service.refund({ paymentId, idempotencyKey: key(), amount: '7.01' }))).code).to.equal('amount_exceeds');
    });
  }

  it('a charge answered in another currency is not counted: held for review when the processor cannot tell', async () => {
    env = setup({ plugin: BuggyDummy });
    BuggyDummy.bug = 'other-currency';
    GatedDummy.canTell = false;
    const err = await rejection(env.service.pay(payInput()));
    expect(err.code).to.equal('outcome_unknown');
    const paymentId = err.details?.['paymentId'] as string;
    const payment = await env.service.getPayment(paymentId);
    expect(payment.chargeStatus).to.equal('not-charged');
    expectAmount(payment.capturedAmount, '0');
    expect((await env.service.listTransactions(paymentId))[0]).to.include({ state: 'review', kind: 'capture' });
  });

  it('reconciliation does not apply an incoherent status answer: the crashed refund goes to review', async () => {
    const store = new MemoryLedgerStore();
    env = setup({ plugin: BuggyDummy, store });
    const { payment } = await env.service.pay(payInput());
    const crashing = new PaymentService({
      manager: env.manager,
      store,
      faults: {
        'after-gateway': ({ operation }) => {
          if (operation === 'refund') throw new Error('simulated crash');
        },
      },
    });
    await rejection(crashing.refund({ paymentId: payment.id, idempotencyKey: key(), amount: '4.00' }));
    BuggyDummy.bug = 'refund-as-capture';
    const report = await env.service.reconcile({ minAgeMs: 0 });
    expect(report.review).to.have.length(1);
    expect(report.applied).to.deep.equal([]);
    const after = await env.service.getPayment(payment.id);
    expectAmount(after.capturedAmount, '10');
    // Fixed plugin, next pass: the processor's refund is applied.
    BuggyDummy.bug = null;
    const next = await env.service.reconcile({ minAgeMs: 0 });
    expect(next.applied).to.deep.equal(report.review);
    expectAmount((await env.service.getPayment(payment.id)).capturedAmount, '6');
  });
});

/** A charge answered with 15.00 for a 10.00 payment, and a status check answering what `status` gives. */
class OverchargeDummy extends GatedDummy {
  static status: ((input: TransactionStatusInput) => GatewayResponse | undefined) | null = null;
  override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    const r = await super.processPayment(p, v);
    return r ? { ...r, amount: p.amount.plus(5), rawResponse: { id: 'ch_over', captured: '15.00' } } : r;
  }
  override async getTransactionStatus(input: TransactionStatusInput, previous: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return OverchargeDummy.status ? OverchargeDummy.status(input) : undefined;
  }
}

/** A status check whose own request was lost (outcome_unknown), saying `error`. */
function lostStatus(input: TransactionStatusInput, error: string): GatewayResponse {
  return {
    isSuccess: false, actionRequired: false, kind: 'capture', amount: input.payment.amount, currency: input.payment.currency,
    transactionId: 'ch_over', errorCode: 'processing_error', error, rawResponse: { outcome_unknown: true, http: 504 },
  };
}

describe('ledger: a held incoherent answer keeps its evidence when a status check cannot tell', () => {
  let env: Setup;
  afterEach(async () => {
    OverchargeDummy.status = null;
    await env?.close();
  });

  const INCOHERENT = 'answered a process of 10 with 15';

  it('reconciliation puts the status check beside the first reason and raw response, replacing (not piling up) its own on later passes', async () => {
    env = setup({ plugin: OverchargeDummy });
    expect((await rejection(env.service.pay(payInput()))).code).to.equal('outcome_unknown');
    const [first] = await env.service.listReview();
    expect(first?.transaction.error).to.include(INCOHERENT);

    OverchargeDummy.status = (input) => lostStatus(input, 'status endpoint timed out');
    expect((await env.service.reconcile({ minAgeMs: 0 })).held).to.have.length(1);
    let [held] = await env.service.listReview();
    expect(held?.transaction.error).to.include(INCOHERENT).and.include('; status check: The gateway said: status endpoint timed out.');
    expect(held?.transaction.rawResponse).to.have.nested.property('incoherentAnswer.response.captured', '15.00');
    expect(held?.transaction.rawResponse).to.have.nested.property('statusCheck.rawResponse.http', 504);

    OverchargeDummy.status = (input) => lostStatus(input, 'status endpoint answered 502');
    await env.service.reconcile({ minAgeMs: 0 });
    [held] = await env.service.listReview();
    const error = held?.transaction.error ?? '';
    expect(error).to.include(INCOHERENT).and.include('status endpoint answered 502').and.not.include('timed out');
    expect(error.split('status check:')).to.have.length(2);
    expect(held?.transaction.rawResponse).to.have.nested.property('incoherentAnswer.reason').that.includes(INCOHERENT);
  });

  it('the call itself: its incoherent answer and a status check that cannot tell are both on the held row', async () => {
    env = setup({ plugin: OverchargeDummy });
    OverchargeDummy.status = (input) => lostStatus(input, 'status endpoint timed out');
    expect((await rejection(env.service.pay(payInput()))).code).to.equal('outcome_unknown');
    const [held] = await env.service.listReview();
    expect(held?.transaction.error).to.include(INCOHERENT).and.include('status check: The gateway said: status endpoint timed out.');
    expect(held?.transaction.rawResponse).to.have.nested.property('incoherentAnswer.response.captured', '15.00');
    expect(held?.transaction.rawResponse).to.have.nested.property('statusCheck.rawResponse.http', 504);
  });
});
