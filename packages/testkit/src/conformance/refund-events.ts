import { Decimal, type GatewayEvent, type GatewayResponse, type PaymentData } from '@payhost/core';
import type { MochaLike, WebhookAdapter } from './adapter.js';
import { assertConforms, checkWebhookResponse, show, type Violation } from './checks.js';
import { expectSuccess, type Harness } from './harness.js';

const REFUND_KINDS: ReadonlySet<string> = new Set(['refund', 'refund_ongoing', 'refund_failed']);

/**
 * Checks the refund events a webhook answer reports about one refund call
 * (`refund`: the payment it sent and the plugin's answer; `chargeId`: the
 * refunded charge's transactionId). The ledger counts a refund once only by
 * these: transactionId the processor's refund id (as refundPayment answered,
 * not the charge's), amount the refund's own (not a running total), the
 * currency, gatewayIdempotencyKey null or the call's key, and the payment
 * named (paymentId) or referenced (pspReference).
 */
export function checkRefundEvents(answer: unknown, refund: { payment: PaymentData; response: GatewayResponse }, chargeId: string): Violation[] {
  const out = checkWebhookResponse(answer, { expect: 'accepted' });
  if (out.length > 0) return out;
  const events = ((answer as { events?: GatewayEvent[] }).events ?? []).filter((e) => REFUND_KINDS.has(String(e.response?.kind)));
  if (events.length === 0) return ['the delivery about a refund reported no refund event (response.kind refund, refund_ongoing or refund_failed)'];
  const { payment, response } = refund;
  for (const event of events) {
    const at = `event ${show(event.eventId)} (${event.type})`;
    const got = event.response;
    if (got.transactionId === chargeId && chargeId !== response.transactionId) {
      out.push(`${at}: response.transactionId is the charge's id ${show(chargeId)}; it must be the processor's refund id, ${show(response.transactionId)} as refundPayment answered`);
    } else if (got.transactionId !== response.transactionId) {
      out.push(`${at}: response.transactionId must be the refund's id ${show(response.transactionId)}, as refundPayment answered, got ${show(got.transactionId)}`);
    }
    if (Decimal.isDecimal(got.amount) && !got.amount.eq(payment.amount)) {
      out.push(`${at}: response.amount must be the refund's own amount ${payment.amount.toString()}, got ${got.amount.toString()} (a running total of the charge's refunds is counted again)`);
    }
    if (got.currency !== payment.currency) out.push(`${at}: response.currency must be ${payment.currency}, got ${show(got.currency)}`);
    const key = event.gatewayIdempotencyKey;
    if (typeof key === 'string' && key !== payment.idempotencyKey) {
      out.push(`${at}: gatewayIdempotencyKey must be the refund call's key ${show(payment.idempotencyKey)} (as the processor echoed it) or null, got ${show(key)}`);
    }
    if (event.paymentId !== undefined && event.paymentId !== null && event.paymentId !== payment.paymentId) {
      out.push(`${at}: paymentId must be the host's payment id ${show(payment.paymentId)}, got ${show(event.paymentId)}`);
    }
    if (!event.paymentId && !event.pspReference) out.push(`${at}: neither paymentId nor pspReference is set: the host cannot find the payment`);
  }
  return out;
}

/** The refund event check, when the adapter can deliver the processor's event about a refund. */
export function registerRefundEventTests<Env>(ui: MochaLike, h: Harness<Env>, webhooks: WebhookAdapter<Env>): void {
  const deliverRefund = webhooks.refund;
  if (!deliverRefund || !h.supports('refund')) return;
  ui.it("reports a refund event with the refund's id, its own amount and the call's key (if echoed)", async () => {
    const charge = await h.capturedCharge('the payment to refund');
    const part = h.refundAmount('two');
    // Two refunds: the second's own amount differs from the charge's refunded total.
    const first = await h.followUp('refundPayment', charge, part, 'first partial refund');
    expectSuccess(first.response, ['refund', 'refund_ongoing', 'pending'], 'the first refundPayment');
    const refund = await h.followUp('refundPayment', charge, part, 'second partial refund');
    expectSuccess(refund.response, ['refund', 'refund_ongoing', 'pending'], 'the second refundPayment');
    const answer = await h.deliver(await deliverRefund({ env: h.env, charge, refund }));
    assertConforms(checkRefundEvents(answer, refund, charge.response.transactionId), 'the webhook delivery about the second refund');
  });
}
