import { expect } from 'chai';
import Stripe from 'stripe';
import { HANDLED_EVENT_TYPES, type StripeGatewayEvent } from '@payhost/plugin-stripe';
import type { Json } from '@payhost/testkit/stripe';
import { SECRET_KEY, WEBHOOK_SECRET, call, dec, key, makePlugin, payment, useFakeStripe } from './helpers.js';

/** 2023-11-14T22:13:20Z, far from "now", so a conversion that fell back on the clock would show. */
const CREATED = 1_700_000_000;

describe('stripe: every webhook event carries occurredAt', () => {
  const env = useFakeStripe();

  /** Makes the fake emit every handled event type (and crafts the two it never sends). */
  async function everyHandledEvent(): Promise<Json[]> {
    const plugin = makePlugin(env.fake, { auto_capture: false });
    const auth = await call(plugin.authorizePayment(payment({ token: 'pm_card_pendingRefund' }), null));
    await call(plugin.capturePayment(payment({ token: auth.transactionId, idempotencyKey: key() }), null));
    const refund = await call(plugin.refundPayment(payment({ token: auth.transactionId, amount: dec('4.00'), idempotencyKey: key() }), null));
    env.fake.settleRefund(refund.transactionId, 'succeeded');
    env.fake.openDispute(auth.pspReference ?? '', 'fraudulent');
    const toVoid = await call(plugin.authorizePayment(payment(), null));
    await call(plugin.voidPayment(payment({ token: toVoid.transactionId, idempotencyKey: key() }), null));
    await call(plugin.processPayment(payment({ token: 'pm_card_processing' }), null));
    await call(plugin.processPayment(payment({ token: 'pm_card_chargeDeclined' }), null));
    const stripeRefund = await new Stripe(SECRET_KEY, env.fake.sdkOptions()).refunds.retrieve(refund.transactionId);
    const clone = (event: Json): Json => JSON.parse(JSON.stringify(event)) as Json;
    // Stripe sends charge.refund.updated for some payment methods only, and lists refunds on charge.refunded for old API versions.
    const chargeRefundUpdated = { ...clone(env.fake.lastEvent('refund.updated')), id: 'evt_charge_refund_updated', type: 'charge.refund.updated' };
    const listed = clone(env.fake.lastEvent('charge.refunded')) as { data: { object: Json } } & Json;
    listed.data.object['refunds'] = { object: 'list', data: [stripeRefund], has_more: false };
    return [...env.fake.events(), chargeRefundUpdated, { ...listed, id: 'evt_listed' }];
  }

  it("sets it from the event's created time (unix seconds) as a Date, on every handled event type", async () => {
    const events = await everyHandledEvent();
    const plugin = makePlugin(env.fake);
    const seen = new Set<string>();
    for (const [i, event] of events.entries()) {
      const created = CREATED + i;
      const res = await call(plugin.webhook(env.fake.webhook({ ...event, created }, WEBHOOK_SECRET), null));
      for (const emitted of (res.events ?? []) as StripeGatewayEvent[]) {
        seen.add(emitted.type);
        expect(emitted.occurredAt, emitted.type).to.be.instanceOf(Date);
        expect(emitted.occurredAt.getTime(), emitted.type).to.equal(created * 1000);
      }
    }
    expect([...seen].sort()).to.deep.equal([...HANDLED_EVENT_TYPES].sort());
  });
});
