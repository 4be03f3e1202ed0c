import { expect } from 'chai';
import { GatewayDeclinedError, PaymentService, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from '../support/log-capture.js';
import { GatedDummy, expectAmount, key, payInput, rejection, setup, successful, sum, type Setup } from './helpers.js';

const SHARED = 'psp_replayed_checkout';

/** The dummy, answering every money call with one processor reference: a checkout result replayed for several payments. */
class SharedReferenceDummy extends GatedDummy {
  private shared(response: GatewayResponse | undefined): GatewayResponse | undefined {
    return response && { ...response, pspReference: SHARED };
  }
  override async processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.shared(await super.processPayment(p, v));
  }
  override async authorizePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.shared(await super.authorizePayment(p, v));
  }
  override async capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.shared(await super.capturePayment(p, v));
  }
}

/** One processor payment pays for at most one host payment, whatever the plugin reports. */
describe('ledger: a PSP reference belongs to one payment', () => {
  let env: Setup;
  afterEach(async () => {
    GatedDummy.gate.open();
    await env?.close();
  });

  const input = payInput;

  it('a second payment answered with a reference another payment holds gets a failed transaction, and nothing is counted twice', async () => {
    env = setup({ plugin: SharedReferenceDummy });
    const first = await env.service.pay(input());
    expect(first.payment).to.include({ chargeStatus: 'fully-charged', pspReference: SHARED });

    const err = await rejection(env.service.pay(input()));
    expect(err).to.be.instanceOf(GatewayDeclinedError);
    expect(err.details).to.include({ errorCode: 'processing_error' });
    expect(err.message).to.include(first.payment.id);
    const secondId = err.details?.['paymentId'] as string;
    const second = await env.service.getPayment(secondId);
    expect(second).to.include({ chargeStatus: 'not-charged', pspReference: null });
    expectAmount(second.capturedAmount, '0');
    const [refused] = await env.service.listTransactions(secondId);
    expect(refused).to.include({ state: 'applied', isSuccess: false, errorCode: 'processing_error', pspReference: SHARED });
    expect(refused!.rawResponse).to.include({ pspReferenceHeldBy: first.payment.id });
    expect(await env.store.findPaymentIdByPspReference?.('payhost.dummy', SHARED)).to.equal(first.payment.id);
  });

  it("a processor event naming the refused payment goes to the payment holding the reference (the processor's metadata lost the race)", async () => {
    env = setup({ plugin: SharedReferenceDummy });
    const holder = await env.service.pay(input());
    const refusedId = (await rejection(env.service.pay(input()))).details?.['paymentId'] as string;
    // A refund made on the processor's dashboard: its event names the payment the processor's metadata names.
    const event = { gateway: 'payhost.dummy', eventId: 'evt-dashboard-refund', paymentId: refusedId, pspReference: SHARED, response: { isSuccess: true, kind: 'refund' as const, amount: '3.00', transactionId: 're_dashboard_1' } };
    const result = await env.service.applyGatewayEvent(event);
    expect(result.status).to.equal('applied');
    expect(result.payment.id).to.equal(holder.payment.id);
    expectAmount((await env.service.getPayment(holder.payment.id)).capturedAmount, '7');
    expect(await env.service.listTransactions(refusedId)).to.have.length(1);
    // Without a reference the event goes where it says (here a failed refund: recorded, nothing moves).
    const named = await env.service.applyGatewayEvent({ ...event, eventId: 'evt-named', pspReference: null, response: { isSuccess: false, kind: 'refund', amount: '3.00', transactionId: 're_other', errorCode: 'declined' } });
    expect(named.payment.id).to.equal(refusedId);
  });

  it('logs what the ledger recorded (a failure), not what the gateway said', async () => {
    env = setup({ plugin: SharedReferenceDummy });
    const log = captureLogger();
    const service = new PaymentService({ manager: env.manager, store: env.store, logger: log.logger });
    await service.pay(input());
    const err = await rejection(service.pay(input()));
    const applied = log.lines.filter((l) => l['msg'] === 'payment operation applied');
    expect(applied.map((l) => [l['paymentId'], l['isSuccess'], l['errorCode']])).to.deep.equal([
      [applied[0]!['paymentId'], true, null],
      [err.details?.['paymentId'], false, 'processing_error'],
    ]);
  });

  it('two payments racing with one reference: exactly one is charged', async () => {
    env = setup({ plugin: SharedReferenceDummy });
    GatedDummy.gate.close();
    const arrived = Promise.all([GatedDummy.gate.nextArrival(), GatedDummy.gate.nextArrival()]);
    const racing = [env.service.pay(input()), env.service.pay(input())];
    // Both calls are at the gateway before either answer is applied.
    await arrived;
    GatedDummy.gate.open();
    const results = await Promise.allSettled(racing);
    const charged = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(charged).to.have.length(1);
    expect(refused).to.have.length(1);
    expect(refused[0]!.reason).to.be.instanceOf(GatewayDeclinedError);
    const ids = results.map((r) => (r.status === 'fulfilled' ? r.value.payment.id : (r.reason as GatewayDeclinedError).details?.['paymentId'] as string));
    const captured = [];
    for (const id of ids) captured.push(...successful(await env.service.listTransactions(id), 'capture'));
    expectAmount(sum(captured), '10');
  });

  it('the payment holding the reference keeps using it: authorize, then capture with the same reference', async () => {
    env = setup({ plugin: SharedReferenceDummy });
    const { payment } = await env.service.pay(input({ action: 'authorize' }));
    expect(payment.pspReference).to.equal(SHARED);
    const captured = await env.service.capture({ paymentId: payment.id, idempotencyKey: key() });
    expect(captured.payment.chargeStatus).to.equal('fully-charged');
    expect(captured.transaction).to.include({ isSuccess: true, pspReference: SHARED });
  });
});
