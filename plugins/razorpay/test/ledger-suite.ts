import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Decimal, MemoryLedgerStore, PaymentService, isPayhostError, type PluginManager } from '@payhost/core';
import type { FakeRazorpay } from '@payhost/testkit/razorpay';
import { CHANNEL, GATEWAY, makeManager, useFakeRazorpay } from './helpers.js';

export const key = (): string => `key-${randomUUID()}`;

export interface RazorpayLedger {
  fake: FakeRazorpay;
  manager: PluginManager;
  service: PaymentService;
}

type ServiceOptions = Omit<ConstructorParameters<typeof PaymentService>[0], 'manager' | 'store'>;

/**
 * One fake Razorpay for the suite (outside hosts blocked), and before each test
 * a new manager on it and a PaymentService over an in-memory ledger, handed to
 * `use`; the manager is closed after each test.
 */
export function useRazorpayLedger(use: (ledger: RazorpayLedger) => void, serviceOptions: ServiceOptions = {}): void {
  let fake: FakeRazorpay | undefined;
  let manager: PluginManager | undefined;
  useFakeRazorpay((f) => {
    fake = f;
  });
  beforeEach(() => {
    manager = makeManager(fake!);
    use({ fake: fake!, manager, service: new PaymentService({ manager, store: new MemoryLedgerStore(), ...serviceOptions }) });
  });
  afterEach(() => manager?.close());
}

/**
 * useRazorpayLedger, with the steps of the paid-checkout suites: a checkout the
 * customer paid for a new order of 499.50 INR, a payment whose process is
 * rejected, a webhook delivery applied to the ledger, and the charged check.
 */
export function usePaidCheckoutLedger(use: (ledger: RazorpayLedger) => void) {
  let ledger: RazorpayLedger;
  useRazorpayLedger((l) => {
    ledger = l;
    use(l);
  });

  /** The checkout result for a new order of 499.50 INR (no host payment named), paid by the customer (captured: account-level auto-capture). */
  async function paidCheckout(status: 'authorized' | 'captured' = 'captured') {
    const token = JSON.parse(await ledger.manager.getClientToken({ channel: CHANNEL, gateway: GATEWAY, amount: new Decimal('499.50'), currency: 'INR' })) as { order_id: string };
    const { payment: _p, ...result } = ledger.fake.checkout(token.order_id, { status });
    return result;
  }

  /** The host records the checkout result as a payment and processes it; the rejection. */
  async function processRejected(token: string) {
    const created = await ledger.service.createPayment({ idempotencyKey: key(), channel: CHANNEL, total: '499.50', currency: 'INR', token });
    const error = await ledger.service.process({ paymentId: created.id, idempotencyKey: key() }).then(() => expect.fail('process succeeded'), (e: unknown) => e);
    return { id: created.id, error };
  }

  async function webhook(delivery: { rawBody: Buffer; headers: Record<string, string> }) {
    const response = (await ledger.manager.webhook({ channel: CHANNEL, plugin: GATEWAY, path: '/webhook', method: 'POST', ...delivery }))!;
    expect(response.status).to.equal(200);
    const results: string[] = [];
    for (const event of response.events ?? []) {
      results.push(await ledger.service.applyGatewayEvent({ ...event, gateway: GATEWAY }).then((r) => r.status, (e: unknown) => (isPayhostError(e) ? e.code : String(e))));
    }
    return results;
  }

  async function expectCharged(id: string, razorpayPaymentId: string) {
    const after = await ledger.service.getPayment(id);
    expect(after).to.deep.include({ chargeStatus: 'fully-charged', pspReference: razorpayPaymentId });
    expect(after.capturedAmount.eq('499.5')).to.equal(true);
    expect((await ledger.service.listTransactions(id)).map((t) => [t.kind, t.state, t.isSuccess])).to.deep.equal([['capture', 'applied', true]]);
  }

  return { paidCheckout, processRejected, webhook, expectCharged };
}
